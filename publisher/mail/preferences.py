"""The reader's own choices: edition (script), frequency and weekday, a pause, and the
sources they opted out of. New sources are in unless opted out, so only opt-outs are kept.

Sending honours them all: `due` picks the readers of a daily or weekly digest (script and
pause included), and the digest leaves out the sources a reader opted out of
(publisher.mail.digest), skipping them on a day none of their sources published.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from publisher.errors import SubscriberError
from publisher.records import DigestKind, Edition, Frequency, Script, Subscriber

if TYPE_CHECKING:  # OpenCC is for the callers that convert, not for `status` or `--help`
    from publisher.articles.conversion import Scripts

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclasses.dataclass(frozen=True)
class Change:
    """What to change; None leaves a choice as it is."""

    edition: Script | Edition | None = None  # None: keep the edition
    frequency: Frequency | None = None
    weekday: int | None = None
    paused_until: dt.date | None = None
    resume: bool = False  # clear the pause
    opted_out: frozenset[str] | None = None


def spellings(
    known: Iterable[str], scripts: Scripts, editions: Iterable[Edition]
) -> dict[str, str]:
    """Every way a reader may write a known source, to the source as stored: as stored, and
    as each edition shows it (a Simplified reader writes the Simplified form of a name
    stored in Traditional, and the page shows them that form)."""
    names = list(known)
    found = {scripts.into(name, edition): name for edition in editions for name in names}
    return found | {name: name for name in names}


def opt_outs(
    known: Iterable[str], wanted: Iterable[str], spelt: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The opt-outs of a reader who wants only `wanted` of the `known` sources: every other
    known source. Sources that appear later are theirs too, unless they opt out then.
    `spelt` maps other spellings of a source (`spellings`) to the source as stored."""
    names = set(known)
    chosen = {(spelt or {}).get(name.strip(), name.strip()) for name in wanted if name.strip()}
    unknown = chosen - names
    if unknown:
        raise SubscriberError(
            f"no such source: {', '.join(sorted(unknown))} (known: {', '.join(sorted(names))})"
        )
    if not chosen:
        raise SubscriberError("choose at least one source", "no_source")
    return frozenset(names - chosen)


class PreferenceRows(Protocol):
    """What changing a reader's choices asks of the store (publisher.store.subscribers):
    the reader and their opted-out sources, read and written in one transaction."""

    def subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    def opted_out_sources(self, subscriber_id: int) -> frozenset[str]: ...

    def set_subscriber_preferences(
        self,
        subscriber_id: int,
        edition: Script | Edition | None,
        frequency: Frequency,
        weekday: int | None,
        paused_until: dt.date | None,
        opted_out: frozenset[str],
    ) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...


def apply(store: PreferenceRows, person: Subscriber, change: Change, today: dt.date) -> Subscriber:
    """Store the changed choices, all in one transaction. They take effect from the next
    digest: a digest already queued for this reader still goes (once, see `due`)."""
    frequency = change.frequency or person.frequency
    weekday = change.weekday if change.weekday is not None else person.weekday
    if frequency is Frequency.DAILY:
        weekday = None
    elif weekday is None:
        raise SubscriberError("weekly needs a weekday (--weekday mon … sun)", "no_weekday")
    paused = None if change.resume else (change.paused_until or person.paused_until)
    if change.paused_until is not None and change.paused_until <= today:
        raise SubscriberError(f"a pause must end after today ({today.isoformat()})", "pause")
    with store.transaction():
        opted_out = change.opted_out
        if opted_out is None:
            opted_out = store.opted_out_sources(person.id)
        store.set_subscriber_preferences(
            person.id, change.edition, frequency, weekday, paused, opted_out
        )
        changed = store.subscriber(person.id)
    assert changed is not None  # it was there inside the same transaction
    return changed


def due(
    active: Iterable[Subscriber], day: dt.date, kind: DigestKind = DigestKind.DAILY
) -> list[Subscriber]:
    """Who of the active readers gets a digest on `day`: the daily readers the day's, the
    weekly readers who chose its weekday the weekly; either only once a pause (if any) has
    ended. Used when the rows are queued; the queue's one row per reader and digest means
    a change made while the day is being sent never gives two mails, and a row queued
    before a change still goes (a change counts from the next digest)."""
    return [
        p
        for p in active
        if (p.paused_until is None or p.paused_until <= day) and _wants(p, day, kind)
    ]


def _wants(person: Subscriber, day: dt.date, kind: DigestKind) -> bool:
    if kind is DigestKind.DAILY:
        return person.frequency is Frequency.DAILY
    return person.frequency is Frequency.WEEKLY and person.weekday == day.weekday()
