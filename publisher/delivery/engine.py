"""Delivery: one day's digest to every active subscriber, exactly once each; on a reader's
chosen weekday, the weekly digest to the weekly readers, as its own rows.

Each (date, kind, subscriber) has one row in `deliveries` (publisher.delivery.queue), and the row
moves forward only after the step it records has happened, every step committed on its own
(no transaction is open while the server talks; a settle shares the next hand-over's
transaction, publisher.delivery.queue):

    queued ──claim──▶ sending ──handover──▶ sending + message_id ──250──▶ sent
      ▲                                           ├──5xx about the reader──▶ failed
      ├──────── 4xx, dropped before the end ──────┤
      └──── 5.7.x …: the sender's problem ────────┤
                                                  └── lost before the answer ──▶ uncertain

What each reply means is publisher.mail.refusals' table; publisher.delivery.runner acts on
it (a bad address also bounces the reader; the sender's problem stops the run).

The handover is committed before the point of no return (SMTP's final ".", the Maildir's
rename), while the transport says the envelope and the body.
A claimed row whose reader's sources published nothing in the digest ends `skipped`: no
mail, and final like `sent`.
The checkpoint is the row itself, written after the send, not a cursor moved when a batch
is fetched (the listmonk flaw, its issues 2278 and 3022): a crash can never skip anyone.
A row found in `sending` when a run starts was interrupted. Without a message_id it never
reached the handover, so nothing can have gone out: it is queued again. With one, the
mail may have been in the server's hands (or renamed into the Maildir) before the crash
could record the answer: it becomes `uncertain` and is never resent on its own — an
operator looks the Message-ID up in the relay's log and, if it is not there, runs
`send --retry-uncertain`. A crash leaves at most one such row per sender.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from publisher.delivery import reputation
from publisher.delivery.backends import TransportSettings, open_transport
from publisher.delivery.pacing import Pacing
from publisher.delivery.queue import LEASE_SECONDS, Queue
from publisher.delivery.runner import Clock, Digest, RetryPolicy, Runner, SendRules, Sleep
from publisher.delivery.transport import Transport
from publisher.editions import Editions, EditionSettings
from publisher.mail import preferences, returns, subscribers
from publisher.mail.digest import DigestSettings, prepare_digest, prepare_weekly
from publisher.mail.weekly import last_complete_week
from publisher.records import DeliveryStatus, DigestKind, Subscriber
from publisher.settings import RatesConfig, SmtpConfig, StorageConfig
from publisher.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendReport:
    day: dt.date
    sent: int = 0
    failed: int = 0  # refused for good in this run (5xx, or the mail could not be built)
    uncertain: int = 0  # newly uncertain in this run: may or may not have arrived
    deferred: int = 0  # still queued at the end: the next `send` of the day retries them
    done_before: int = 0  # already sent, failed, uncertain or skipped before this run
    withdrawn: int = 0  # queued, but no longer subscribed when their turn came
    stopped: bool = False  # the run ended early; `reason` says why
    reason: str = ""
    seconds: float = 0.0
    renders: int = 0
    empty: bool = False  # the day has no articles: nothing was queued or sent
    skipped: int = 0  # skipped in this run: none of the reader's sources is in the digest
    kind: DigestKind = DigestKind.DAILY  # weekly: `day` is the week's Monday
    weekly: SendReport | None = None  # the weekly digest, sent the same day
    bounced: int = 0  # readers marked bounced by the relay's answer (a bad address)
    refused: int = 0  # held back, queued: refused for a reason that is the sender's problem
    # Set when the run stopped for the sender's problem (the refusals, or the complaint and
    # bounce rates): the reason, with the code and what it usually means. Someone must look.
    blocked: str = ""

    @property
    def complete(self) -> bool:
        mine = not (self.failed or self.uncertain or self.deferred or self.stopped)
        return mine and (self.weekly is None or self.weekly.complete)

    @property
    def needs_attention(self) -> bool:
        """Stopped for a reason only the operator can fix (this or the weekly)."""
        return bool(self.blocked) or (self.weekly is not None and self.weekly.needs_attention)

    @property
    def unfinished(self) -> bool:
        """Running again would do more: stopped, or mail deferred (this or the weekly)."""
        mine = self.stopped or bool(self.deferred)
        return mine or (self.weekly is not None and self.weekly.unfinished)


class SendSettings(DigestSettings, TransportSettings, EditionSettings, Protocol):
    """What sending a day's digests reads of the configuration (a Config is one): the
    digest's part, the backend's, [rates] and whether the store is shared."""

    @property
    def rates(self) -> RatesConfig: ...

    @property
    def storage(self) -> StorageConfig: ...


def retry_policy(smtp: SmtpConfig) -> RetryPolicy:
    return RetryPolicy(
        smtp.max_attempts,
        smtp.max_consecutive_failures,
        max_wait=smtp.max_wait_seconds,
        max_sender_refusals=smtp.max_sender_refusals,
    )


def send_rules(config: SendSettings, store: Store, now: dt.datetime) -> SendRules:
    """The pace, the day's cap left (delivery.daily_cap less what went out today) and the
    soft-bounce limit, from the configuration."""
    cap = config.delivery.daily_cap
    return SendRules(
        Pacing(dict(config.delivery.per_domain_per_minute)),
        max(cap - store.sent_on(now.date()), 0) if cap else None,
        returns.SoftBounceLimit(config.bounces.soft_limit, config.bounces.soft_days),
    )


def _rates_stop(
    config: SendSettings, store: Store, day: dt.date, accept: bool
) -> SendReport | None:
    """A report that sends nothing, when the recent figures are over the stop level and not
    acknowledged; `accept` acknowledges the days before `day`."""
    if accept:
        store.accept_rates(day - dt.timedelta(days=1))
    levels = reputation.Levels(**dataclasses.asdict(config.rates))
    recent = reputation.recent(store, Editions.from_config(config), day, levels.days)
    judged = reputation.judge(recent, levels, store.rates_accepted_through())
    if judged.level is reputation.Level.WARN:
        log.warning("%s", judged.message(levels))
    if judged.level is not reputation.Level.STOP:
        return None
    why = (
        f"the receivers' complaints or bounces are too many: {judged.message(levels)}; "
        "nothing new is sent until you acknowledge it: "
        "publisher send --accept-rates (after finding the cause: publisher status)"
    )
    return SendReport(day, stopped=True, reason=why, blocked=why)


# -- the engine ---------------------------------------------------------------------------


def deliver(
    store: Store,
    day: dt.date,
    digest: Digest,
    people: list[Subscriber],
    transport: Transport,
    *,
    now: dt.datetime,
    policy: RetryPolicy | None = None,
    rules: SendRules | None = None,
    stop: threading.Event | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep | None = None,
    active: list[Subscriber] | None = None,
    shared: bool = False,
    lease_seconds: float = LEASE_SECONDS,
    kind: DigestKind = DigestKind.DAILY,
) -> SendReport:
    """Queue `people` for `day` and send `digest` to every queued row. Resumable: run it
    again and it picks up what is still queued, never a row that is done. `active` (default
    `people`) is everyone a queued row may still be sent to: a reader who paused after their
    row was queued gets that day's mail, once, since a change counts from the next digest.
    `shared`: other senders work on the same day at once (a PostgreSQL store); see Queue."""
    started = clock()
    stop = stop or threading.Event()
    wall = lambda: now + dt.timedelta(seconds=clock() - started)  # noqa: E731
    queue = Queue(store, day, wall, shared=shared, lease_seconds=lease_seconds, kind=kind)
    queue.enqueue(people)
    uncertain = queue.recover()
    withdrawn = queue.withdraw_inactive()
    before = queue.counts()
    done = (
        DeliveryStatus.SENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNCERTAIN,
        DeliveryStatus.SKIPPED,
    )
    done_before = sum(before[status] for status in done) - uncertain
    run = Runner(
        queue,
        digest,
        {person.id: person for person in (people if active is None else active)},
        transport,
        policy or RetryPolicy(),
        rules or SendRules(),
        stop,
        clock,
        sleep or stop.wait,
    )
    with transport:
        run.run()
    withdrawn += queue.withdraw_inactive()  # left while the run went on
    report = SendReport(
        day=day,
        sent=run.sent,
        failed=run.failed,
        uncertain=uncertain + run.uncertain,
        deferred=queue.counts()[DeliveryStatus.QUEUED],
        done_before=done_before,
        withdrawn=withdrawn + run.withdrawn,
        stopped=bool(run.halt),
        reason=run.halt,
        seconds=clock() - started,
        renders=digest.renders,
        skipped=run.skipped,
        kind=kind,
        bounced=run.bounced,
        refused=run.refused,
        blocked=run.blocked,
    )
    log.debug("send %s: %s", day, report)
    return report


def send_day(
    config: SendSettings,
    store: Store,
    day: dt.date,
    now: dt.datetime,
    *,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep | None = None,
    accept_rates: bool = False,
) -> SendReport:
    """Send the digest of `day` to every active, unpaused daily reader who has not had it
    yet, and the last complete week's digest to the weekly readers who chose `day`'s
    weekday (publisher.mail.weekly); the weekly's report rides along as `weekly`. Nothing
    is sent while the complaint or bounce rate is over its stop level (publisher.delivery
    .reputation), unless `accept_rates` acknowledges the figures so far."""
    stopped = _rates_stop(config, store, day, accept_rates)
    if stopped is not None:
        return stopped
    started = clock()
    stop = stop or threading.Event()
    sleep = sleep or stop.wait
    if transport is None:
        transport = open_transport(config, clock=clock, sleep=sleep)
    active = subscribers.active(store)
    opted_out = store.source_optouts()  # read once: a change counts from the next digest
    rules = send_rules(config, store, now)
    send = functools.partial(
        deliver,
        store,
        now=now,
        policy=retry_policy(config.delivery.smtp),
        stop=stop,
        clock=clock,
        sleep=sleep,
        active=active,
        shared=config.storage.shared,
        lease_seconds=config.delivery.lease_seconds,
    )
    digest = prepare_digest(config, store, day, now, opted_out)
    daily = (
        send(day, digest, preferences.due(active, day), transport, rules=rules)
        if digest
        else SendReport(day, empty=True)
    )
    weekly = None
    readers = preferences.due(active, day, DigestKind.WEEKLY)
    # A stopped day is resumed whole by the next run; a blocked one waits for the operator.
    if readers and not stop.is_set() and not daily.blocked:
        left = None if rules.budget is None else max(rules.budget - daily.sent, 0)
        rules = dataclasses.replace(rules, budget=left)
        monday = last_complete_week(day)
        digest = prepare_weekly(config, store, monday, now, opted_out)
        kind = DigestKind.WEEKLY
        empty = SendReport(monday, empty=True, kind=kind)
        weekly = (
            send(monday, digest, readers, transport, kind=kind, rules=rules) if digest else empty
        )
    return dataclasses.replace(daily, weekly=weekly, seconds=clock() - started)
