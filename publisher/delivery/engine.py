"""Delivery: one day's digest to every active subscriber, exactly once each; on a reader's
chosen weekday, the weekly digest to the weekly readers, as its own rows.

Each (date, kind, subscriber) has one row in `deliveries` (publisher.delivery.queue), and the row
moves forward only after the step it records has happened, every step committed on its own
(no transaction is open while the server talks; a settle shares the next hand-over's
transaction, publisher.delivery.queue):

    queued ──claim──▶ sending ──handover──▶ sending + message_id ──250──▶ sent
      ▲                                           ├──5xx──▶ failed
      └──────── 4xx, dropped before the end ──────┤
                                                  └── lost before the answer ──▶ uncertain

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

import contextlib
import dataclasses
import datetime as dt
import functools
import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from publisher.config import Config
from publisher.delivery.backends import open_transport
from publisher.delivery.queue import LEASE_SECONDS, LostClaim, Queue
from publisher.delivery.transport import FailureScope, SendFailure, Transport
from publisher.errors import PublisherError
from publisher.mail import preferences, subscribers
from publisher.mail.digest import prepare_digest, prepare_weekly
from publisher.mail.weekly import last_complete_week
from publisher.records import ClaimedDelivery, DeliveryStatus, DigestKind, Letter, Subscriber
from publisher.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], object]


class Digest(Protocol):
    """What the engine needs of a prepared digest (publisher.mail.digest.PreparedDigest)."""

    @property
    def renders(self) -> int: ...

    def letter(self, subscriber: Subscriber) -> Letter | None: ...


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
    # Stopped by a failure that no retry mends (a login or a TLS setting the relay does not
    # take, an untrusted certificate): a setting must change before any mail can go.
    refused: bool = False

    @property
    def complete(self) -> bool:
        mine = not (self.failed or self.uncertain or self.deferred or self.stopped)
        return mine and (self.weekly is None or self.weekly.complete)

    @property
    def turned_away(self) -> bool:
        """This digest or the weekly was `refused`: someone must change a setting."""
        return self.refused or (self.weekly is not None and self.weekly.refused)

    @property
    def unfinished(self) -> bool:
        """Running again would do more: stopped, or mail deferred (this or the weekly)."""
        mine = self.stopped or bool(self.deferred)
        return mine or (self.weekly is not None and self.weekly.unfinished)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # per mail and run, for temporary failures
    max_consecutive_failures: int = 10  # server failures in a row before the run stops
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_backoff: float = 300.0
    max_wait: float = 120.0  # seconds of waiting for the relay in one run, in all

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        smtp = config.delivery.smtp
        return cls(smtp.max_attempts, smtp.max_consecutive_failures, max_wait=smtp.max_wait_seconds)

    def delay(self, failures: int) -> float:
        return min(self.backoff * 2.0 ** max(failures - 1, 0), self.max_backoff)


# -- the engine ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The next mail to try: its row, the tries it has had in this run, and whether its
    row is claimed already (a retry's row was given back and is claimed again)."""

    delivery_id: int
    subscriber_id: int
    tries: int
    claimed: bool


@dataclass(order=True)
class _Retry:
    """A deferred row to try again at `due`. Its letter is built again then, not kept: a
    letter is cheap to fill but ~40 KB, and a relay deferring thousands of recipients must
    not cost as many letters in memory."""

    due: float
    delivery_id: int
    subscriber_id: int = field(compare=False)
    tries: int = field(compare=False)


class _Run:
    """One pass over the queue: send, retry what is temporary, stop when told or when the
    server keeps failing. Counts what happened; the rows say it durably."""

    def __init__(
        self,
        queue: Queue,
        digest: Digest,
        people: dict[int, Subscriber],
        transport: Transport,
        policy: RetryPolicy,
        stop: threading.Event,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self.queue, self.digest, self.people = queue, digest, people
        self.transport, self.policy = transport, policy
        self.stop, self.clock, self.sleep = stop, clock, sleep
        self.sent = self.failed = self.uncertain = self.withdrawn = self.skipped = 0
        self.in_a_row = 0  # server failures since the last sign the server works
        self.pause_until = 0.0
        self.waited = 0.0  # seconds spent waiting for the relay, against policy.max_wait
        self.halt = ""  # why the run must stop, once it must
        self.refused = False  # it must stop because the server takes no mail at all
        self.retries: list[_Retry] = []
        self.claimed: deque[ClaimedDelivery] = deque()  # claimed rows not yet sent
        # The next claimed row's letter, made while the relay read the mail before it.
        self.ahead: tuple[int, Letter | None] | None = None

    def run(self) -> None:
        try:
            while not self._halted():
                self._wait_until(self.pause_until)
                if self._halted():
                    break
                item = self._next()
                if item is None:
                    break
                self._deliver(item)
        except BaseException:
            self._end(failing=True)
            raise
        self._end(failing=False)

    def _end(self, *, failing: bool) -> None:
        """Write the settles held back, give back the rows claimed and not sent, end the
        hand-over thread: each step tried. After a failure they meet the same trouble (the
        store gone in a PostgreSQL outage): the step that failed first is what the run
        reports, and theirs are only logged ("cannot give back claimed deliveries" hid it)."""
        self.claimed.clear()
        problems: list[PublisherError] = []
        for step in (self.queue.flush, self.queue.release_all, self.queue.close):
            try:
                step()
            except PublisherError as error:
                problems.append(error)
        if problems and not failing:
            raise problems[0]
        for problem in problems:
            log.warning("after the failure, also: %s", problem)

    def _halted(self) -> bool:
        if self.stop.is_set() and not self.halt:
            self.halt = "stop requested"
        return bool(self.halt)

    def _next(self) -> _Attempt | None:
        """A retry that is due, else the next claimed row (claiming a new batch when the
        last is used up), else wait for the earliest retry."""
        while True:
            if self.retries and self.retries[0].due <= self.clock():
                retry = heapq.heappop(self.retries)
                return _Attempt(retry.delivery_id, retry.subscriber_id, retry.tries, False)
            if not self.claimed:
                self.claimed.extend(self.queue.claim_batch())
            if self.claimed:
                row = self.claimed.popleft()
                return _Attempt(row.delivery_id, row.subscriber_id, 0, True)
            if not self.retries:
                if not self._others_done():
                    continue
                return None
            self._wait_until(self.retries[0].due)
            if self._halted():
                return None

    def _others_done(self) -> bool:
        """With several senders: the queue is empty, but rows others hold may still come
        back (a sender that died): wait for them, taking back those whose lease ran out,
        so that a run ends only when the day is done or deferred."""
        delay = self.queue.wait_for_others()
        if not delay:
            return True
        self.sleep(delay)
        self.uncertain += self.queue.recover()
        return self._halted()

    def _wait_until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0 and self.waited + delay > self.policy.max_wait:
            # The store lock is held while we wait: give up and let the next run go on.
            self.halt = (
                f"the relay kept failing; waited {self.waited:.0f} s of the "
                f"{self.policy.max_wait:g} s allowed (delivery.smtp.max_wait_seconds), "
                "the rest stays queued"
            )
            return
        if delay > 0:
            self.waited += delay
            self.queue.flush()  # a settle is never held back across a wait
            self._give_back()  # a wait may outlast the lease: other senders go on meanwhile
            self.sleep(delay)  # stop.wait by default: a stop request ends the wait

    def _give_back(self) -> None:
        if self.claimed:
            self.queue.release()
            self.claimed.clear()

    def _make_ahead(self) -> None:
        """Make the next claimed row's letter, if its reader is at hand (pure work, no
        store): a letter that cannot be made is left for `_deliver` to report."""
        if not self.claimed:
            return
        row = self.claimed[0]
        person = self.people.get(row.subscriber_id)
        if person is not None:
            with contextlib.suppress(PublisherError):
                self.ahead = (row.delivery_id, self.digest.letter(person))

    def _letter(self, delivery_id: int, person: Subscriber) -> Letter | None:
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] == delivery_id:
            return ahead[1]
        return self.digest.letter(person)

    def _deliver(self, attempt: _Attempt) -> None:
        delivery_id, subscriber_id, tries = (
            attempt.delivery_id,
            attempt.subscriber_id,
            attempt.tries,
        )
        person = self.people.get(subscriber_id) or self.queue.subscriber(subscriber_id)
        if person is None:  # left after this run began and before its row was claimed
            self._withdraw(delivery_id)
            return
        try:
            letter = self._letter(delivery_id, person)
        except PublisherError as error:
            # One bad address or name must not hold up the rest of the list.
            self.queue.settle(delivery_id, DeliveryStatus.FAILED, f"cannot build: {error}")
            self.failed += 1
            return
        if not attempt.claimed and not self.queue.claim(delivery_id):
            self._withdraw(delivery_id)
            return
        if letter is None:
            self.queue.settle(delivery_id, DeliveryStatus.SKIPPED, "nothing from their sources")
            self.skipped += 1
            return
        self.queue.keep_lease()
        # Committed while the transport talks; it waits for it before the point of no return.
        committed = self.queue.hand_over(delivery_id, letter.message_id)
        try:
            self.transport.send(letter, committed, self._make_ahead)
        except SendFailure as failure:
            self._failed(delivery_id, subscriber_id, tries + 1, letter.recipient, failure)
            return
        except LostClaim:
            return  # another sender took the row over after our lease ran out: theirs now
        self.queue.settle(delivery_id, DeliveryStatus.SENT)
        self.sent += 1
        self.in_a_row = 0

    def _withdraw(self, delivery_id: int) -> None:
        """Drop the row of someone who left; a row of someone active again stays queued for
        the next run (deferred), and a row no longer queued is another run's business."""
        if self.queue.withdraw(delivery_id):
            self.withdrawn += 1

    def _failed(
        self, delivery_id: int, subscriber_id: int, tries: int, recipient: str, failure: SendFailure
    ) -> None:
        reply = subscribers.unnamed(failure.reply, recipient)
        log.warning("subscriber %d (%s): %s", subscriber_id, subscribers.logged(recipient), reply)
        if failure.scope is FailureScope.RECIPIENT:
            self.in_a_row = 0  # the server is working: it judged this address
        else:
            self._server_trouble(failure)
        if failure.maybe_delivered:
            self.queue.settle(delivery_id, DeliveryStatus.UNCERTAIN, failure.reply)
            self.uncertain += 1
        elif not failure.temporary and failure.scope is not FailureScope.SERVER:
            self.queue.settle(delivery_id, DeliveryStatus.FAILED, failure.reply)
            self.failed += 1
        else:
            # Deferred: back in the queue with the reason, for this run or the next one.
            self.queue.settle(delivery_id, DeliveryStatus.QUEUED, failure.reply)
            if not failure.temporary:
                # Refused login, untrusted certificate, sender refused: no mail can go until
                # the configuration changes, so retrying only hammers the server.
                self.halt = f"the server refuses every mail: {failure.reply}"
                self.refused = True
            elif tries < self.policy.max_attempts:
                due = self.clock() + self.policy.delay(tries)
                heapq.heappush(self.retries, _Retry(due, delivery_id, subscriber_id, tries))

    def _server_trouble(self, failure: SendFailure) -> None:
        self.in_a_row += 1
        self.pause_until = self.clock() + self.policy.delay(self.in_a_row)
        if self.in_a_row >= self.policy.max_consecutive_failures:
            self.halt = f"{self.in_a_row} server failures in a row, the last: {failure.reply}"


def deliver(
    store: Store,
    day: dt.date,
    digest: Digest,
    people: list[Subscriber],
    transport: Transport,
    *,
    now: dt.datetime,
    policy: RetryPolicy | None = None,
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
    run = _Run(
        queue,
        digest,
        {person.id: person for person in (people if active is None else active)},
        transport,
        policy or RetryPolicy(),
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
        refused=run.refused,
    )
    log.debug("send %s: %s", day, report)
    return report


def send_day(
    config: Config,
    store: Store,
    day: dt.date,
    now: dt.datetime,
    *,
    stop: threading.Event | None = None,
    transport: Transport | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep | None = None,
) -> SendReport:
    """Send the digest of `day` to every active, unpaused daily reader who has not had it
    yet, and the last complete week's digest to the weekly readers who chose `day`'s
    weekday (publisher.mail.weekly); the weekly's report rides along as `weekly`."""
    started = clock()
    stop = stop or threading.Event()
    sleep = sleep or stop.wait
    if transport is None:
        transport = open_transport(config, clock=clock, sleep=sleep)
    active = subscribers.active(store)
    opted_out = store.source_optouts()  # read once: a change counts from the next digest
    send = functools.partial(
        deliver,
        store,
        now=now,
        policy=RetryPolicy.from_config(config),
        stop=stop,
        clock=clock,
        sleep=sleep,
        active=active,
        shared=config.storage.engine == "postgresql",
        lease_seconds=config.delivery.lease_seconds,
    )
    digest = prepare_digest(config, store, day, now, opted_out)
    daily = (
        send(day, digest, preferences.due(active, day), transport)
        if digest
        else SendReport(day, empty=True)
    )
    weekly = None
    readers = preferences.due(active, day, DigestKind.WEEKLY)
    if readers and not stop.is_set():  # a stopped day is resumed whole by the next run
        monday = last_complete_week(day)
        digest = prepare_weekly(config, store, monday, now, opted_out)
        kind = DigestKind.WEEKLY
        empty = SendReport(monday, empty=True, kind=kind)
        weekly = send(monday, digest, readers, transport, kind=kind) if digest else empty
    return dataclasses.replace(daily, weekly=weekly, seconds=clock() - started)
