"""The operator's word on uncertain mail, and the state of a day's sending.

An uncertain delivery (the connection was lost after the server had the whole message) is
never sent again on its own: it may well have arrived. The operator looks its Message-ID
up in the relay's log and settles each row: `sent` (it is there) or `resend` (it is not,
so it goes back to the queue and the next send mails it).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from publisher.errors import DeliveryError
from publisher.records import DeliveryStatus, DigestKind, UncertainDelivery


class DayState(enum.Enum):
    """What a day's deliveries say, whatever this run did."""

    COMPLETE = "complete"  # every mail sent
    ATTENTION = "attention"  # a mail failed for good or is uncertain: someone must look
    UNFINISHED = "unfinished"  # mail still queued (deferred, or a run stopped early)


def day_state(counts: Mapping[DeliveryStatus, int]) -> DayState:
    if counts.get(DeliveryStatus.FAILED) or counts.get(DeliveryStatus.UNCERTAIN):
        return DayState.ATTENTION
    if counts.get(DeliveryStatus.QUEUED) or counts.get(DeliveryStatus.SENDING):
        return DayState.UNFINISHED
    return DayState.COMPLETE


@dataclass(frozen=True)
class Settled:
    sent: tuple[str, ...]  # addresses of the rows marked as arrived
    resend: tuple[str, ...]  # addresses of the rows queued again


class UncertainRows(Protocol):
    """What settling asks of the store (publisher.store.deliveries): a day's uncertain and
    failed rows, and the verdict on each, all in one transaction."""

    def uncertain_deliveries(
        self, day: dt.date, *, kind: DigestKind = ..., failed: bool = ...
    ) -> list[UncertainDelivery]: ...

    def settle_uncertain(
        self,
        day: dt.date,
        email_key: str,
        status: DeliveryStatus,
        note: str,
        now: dt.datetime,
        *,
        kind: DigestKind = ...,
    ) -> bool: ...

    def transaction(self) -> AbstractContextManager[None]: ...


def _match(rows: Sequence[UncertainDelivery], given: str) -> UncertainDelivery | None:
    """The uncertain row `given` names: its address (any case) or its Message-ID (with or
    without the angle brackets)."""
    wanted = given.strip()
    for row in rows:
        if wanted.lower() == row.email.lower() or row.message_id in (wanted, f"<{wanted}>"):
            return row
    return None


def settle(
    store: UncertainRows,
    day: dt.date,
    now: dt.datetime,
    *,
    sent: Sequence[str] = (),
    resend: Sequence[str] = (),
    kind: DigestKind = DigestKind.DAILY,
) -> Settled:
    """Mark uncertain rows of `day` (a weekly's: the Monday of its week) as sent or to
    resend, and failed rows to resend (the operator fixed what made them fail). All or
    nothing: a name that is not an uncertain or failed delivery of the day changes no row
    and is reported."""
    rows = store.uncertain_deliveries(day, kind=kind, failed=True)
    verdicts: dict[str, DeliveryStatus] = {}
    unknown = []
    for names, status in ((sent, DeliveryStatus.SENT), (resend, DeliveryStatus.QUEUED)):
        for name in names:
            row = _match(rows, name)
            if row is not None and row.failed and status is DeliveryStatus.SENT:
                raise DeliveryError(f"{name}: refused by the server, it cannot have arrived")
            if row is None:
                unknown.append(name)
            elif verdicts.setdefault(row.email, status) is not status:
                raise DeliveryError(f"{name}: marked both as sent and to resend")
    if unknown:
        raise DeliveryError(
            f"not an uncertain or failed delivery of {day}: {', '.join(unknown)} "
            f"(see: publisher deliveries list --date {day} --uncertain)"
        )
    notes = {
        DeliveryStatus.SENT: "the operator found it delivered",
        DeliveryStatus.QUEUED: "the operator settled it: to send again",
    }
    with store.transaction():
        for email, status in verdicts.items():
            store.settle_uncertain(day, email.lower(), status, notes[status], now, kind=kind)
    return Settled(
        tuple(e for e, s in verdicts.items() if s is DeliveryStatus.SENT),
        tuple(e for e, s in verdicts.items() if s is DeliveryStatus.QUEUED),
    )
