"""Returned mail applied to the list: a hard bounce or too many soft ones mark the subscriber
`bounced` (never mailed again), a complaint unsubscribes them. What counts as hard or soft
is publisher.mail.refusals' table: a refusal that is the sender's problem (5.7.x: DKIM, SPF,
DMARC, a blocklist) marks nobody; it is counted and named to the operator instead.

Each report is matched to a subscriber by its VERP token (bounce+<token>@, signed, so a
forged bounce cannot silence someone) or else by the Message-ID of our mail it returns.
Every bounce is recorded once per (report, subscriber): reading the same mailbox twice
changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from publisher.errors import TokenError
from publisher.mail import subscribers, tokens
from publisher.mail.bounces import BounceError, Found, Report, mark_read, parse, read_new
from publisher.mail.refusals import Refusal, Verdict
from publisher.records import BounceKind, BounceRecord, SubscriberStatus
from publisher.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SoftBounceLimit:
    soft_limit: int  # this many soft bounces …
    soft_days: int  # … within this many days mark a subscriber bounced


@dataclass
class BounceCounts:
    counts: Counter[str]
    # The refusals that are the sender's problem, by what they said (code: meaning).
    refusals: Counter[str] = dataclasses.field(default_factory=Counter)

    def describe(self) -> str:
        c = self.counts
        return (
            f"{c['read']} mails read: {c['hard']} hard bounces, {c['soft']} soft, "
            f"{c['complaint']} complaints; {c['bounced']} subscribers marked bounced, "
            f"{c['unsubscribed']} unsubscribed; {c['refused']} refused for a reason of "
            f"the sender's (nobody marked); {c['unmatched']} not ours, {c['skipped']} skipped"
        )

    def warnings(self) -> list[str]:
        """One line per kind of refusal that is the sender's problem, most frequent first."""
        return [
            f"{n} reports say the receiver refused our mail: {explained}; readers were not "
            "marked: check `publisher doctor` and the relay"
            for explained, n in self.refusals.most_common()
        ]


def apply_all(
    store: Store, found: Iterable[Found], limit: SoftBounceLimit, secret: bytes, now: dt.datetime
) -> BounceCounts:
    """Apply every readable report; a mail that is no report, or matches none of our mail,
    is logged as a warning with where it came from, and the rest go on."""
    counted = BounceCounts(Counter())
    for mail in found:
        counted.counts["read"] += 1
        try:
            report = parse(mail.data)
        except BounceError as error:
            log.warning("%s: skipped: %s", mail.where, error)
            counted.counts["skipped"] += 1
            continue
        for status in report.recipients:
            if status.senders_problem and status.refusal is not None:
                counted.counts["refused"] += 1
                counted.refusals[status.refusal.explain()] += 1
        subscriber_id = _match(store, report, secret)
        if subscriber_id is None:
            log.warning("%s: skipped: matches no mail of ours", mail.where)
            counted.counts["unmatched"] += 1
            continue
        counted.counts.update(apply_report(store, report, subscriber_id, limit, now))
    return counted


def _match(store: Store, report: Report, secret: bytes) -> int | None:
    for token in report.verp_tokens:
        try:
            return tokens.verify(secret, "bounce", token)
        except TokenError:
            continue
    if report.message_id:
        return store.subscriber_of_message(report.message_id)
    return None


def apply_report(
    store: Store, report: Report, subscriber_id: int, limit: SoftBounceLimit, now: dt.datetime
) -> list[str]:
    """Record the report for one subscriber and move them on; returns what happened, as
    keys of BounceCounts.counts ("hard", "soft", "complaint", "bounced", "unsubscribed")."""
    received = report.date.astimezone(now.tzinfo) if report.date else now
    kinds = [BounceKind.COMPLAINT] if report.complaint else _kinds(report)
    records = [
        BounceRecord(
            report.report_id,
            kind,
            next((r.status for r in report.recipients if r.kind is kind), ""),
            report.message_id,
            received,
        )
        for kind in kinds
    ]
    return _apply(store, subscriber_id, records, limit, now)


def refused_at_send(
    store: Store,
    subscriber_id: int,
    refusal: Refusal,
    message_id: str,
    limit: SoftBounceLimit,
    now: dt.datetime,
) -> list[str]:
    """A relay's refusal at send that is about the reader's address (a bad address: hard;
    a full mailbox: soft), recorded as a report would be, once per mail."""
    kind = BounceKind.HARD if refusal.verdict is Verdict.BAD_ADDRESS else BounceKind.SOFT
    record = BounceRecord(f"send:{message_id}", kind, refusal.code, message_id, now)
    return _apply(store, subscriber_id, [record], limit, now)


def _apply(
    store: Store,
    subscriber_id: int,
    records: list[BounceRecord],
    limit: SoftBounceLimit,
    now: dt.datetime,
) -> list[str]:
    happened: list[str] = []
    with store.transaction():
        person = store.subscriber(subscriber_id)
        if person is None:  # erased since the mail went out
            return ["unmatched"]
        for record in records:
            if store.record_bounce(subscriber_id, record):
                happened.append(record.kind.value)
        if not happened or person.status in {
            SubscriberStatus.UNSUBSCRIBED,
            SubscriberStatus.BOUNCED,
        }:
            return happened
        if BounceKind.COMPLAINT.value in happened:
            subscribers.unsubscribe(store, subscriber_id, now)
            return [*happened, "unsubscribed"]
        # The window ends at this report, not at the clock: an old mailbox read today
        # counts its bounces as they came.
        since = records[0].received - dt.timedelta(days=limit.soft_days)
        if "hard" in happened or store.soft_bounces_since(subscriber_id, since) >= limit.soft_limit:
            store.set_subscriber_status(subscriber_id, SubscriberStatus.BOUNCED, now)
            happened.append("bounced")
    return happened


def _kinds(report: Report) -> list[BounceKind]:
    """The strongest thing a DSN says: one hard bounce outweighs any soft ones in it."""
    kinds = {r.kind for r in report.recipients if r.kind is not None}
    if BounceKind.HARD in kinds:
        return [BounceKind.HARD]
    return [BounceKind.SOFT] if kinds else []


def read_maildir(
    store: Store, path: Path, limit: SoftBounceLimit, secret: bytes, now: dt.datetime
) -> BounceCounts:
    """The daily run's reading: apply the Maildir's new mail, then file each away as read
    (after it is recorded: a crash in between only means reading it again, which counts
    nothing twice)."""
    found = list(read_new(path))
    counted = apply_all(store, found, limit, secret, now)
    for mail in found:
        mark_read(path, mail.maildir_key)
    return counted
