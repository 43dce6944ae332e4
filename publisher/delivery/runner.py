"""One pass over a digest's queue: send, retry what is temporary, hold back what the
sender must fix, stop when told or when the relay keeps failing (publisher.delivery.engine
draws the states a row goes through).

What a refusal does depends on whom it is about (publisher.mail.refusals): a bad address
fails its row and bounces the reader; a full mailbox fails the row and counts a soft
bounce; the sender's problem (DKIM, SPF, DMARC, a blocklist) keeps the row queued and, a
few in a row, stops the run; a receiver that says slow down is left alone for a while,
its whole domain with it (publisher.delivery.pacing).
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from publisher.delivery.pacing import Pacing, domain_of
from publisher.delivery.queue import LostClaim, Queue
from publisher.delivery.transport import FailureScope, SendFailure, Transport
from publisher.errors import PublisherError
from publisher.mail import returns, subscribers
from publisher.mail.refusals import Refusal, Verdict
from publisher.records import ClaimedDelivery, DeliveryStatus, Letter, Subscriber
from publisher.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], object]


# What the operator can do about refusals that are the sender's problem.
ADVICE = (
    "the mail waits, no reader was marked; check `publisher doctor` (SPF, DKIM, DMARC, PTR) "
    "and the relay's log, fix it, then run send again"
)


class Digest(Protocol):
    """What the engine needs of a prepared digest (publisher.mail.digest.PreparedDigest)."""

    @property
    def renders(self) -> int: ...

    def letter(self, subscriber: Subscriber) -> Letter | None: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # per mail and run, for temporary failures
    max_consecutive_failures: int = 10  # server failures in a row before the run stops
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_backoff: float = 300.0
    # Seconds of waiting for the relay in one run, in all: back-off, and the time spent in
    # attempts that failed without an answer (a relay that accepts and never answers).
    max_wait: float = 120.0
    # Refusals in a row that are the sender's problem (5.7.x …) before the run stops.
    max_sender_refusals: int = 3

    def delay(self, failures: int) -> float:
        return min(self.backoff * 2.0 ** max(failures - 1, 0), self.max_backoff)


@dataclass(frozen=True)
class SendRules:
    """What a send keeps to beyond retries: per-domain pace, the day's cap (mails still
    allowed today; None: no cap), and when soft bounces suppress a reader."""

    pacing: Pacing = field(default_factory=Pacing)
    budget: int | None = None
    soft_limit: returns.SoftBounceLimit = field(
        default_factory=lambda: returns.SoftBounceLimit(3, 15)
    )


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
    not cost as many letters in memory. `paced`: held back only by the configured pace, so
    waiting for it is not waiting for a failing relay."""

    due: float
    delivery_id: int
    subscriber_id: int = field(compare=False)
    tries: int = field(compare=False)
    paced: bool = field(default=False, compare=False)


class Runner:
    """One pass over the queue. Counts what happened; the rows say it durably."""

    def __init__(
        self,
        queue: Queue[Store],
        digest: Digest,
        people: dict[int, Subscriber],
        transport: Transport,
        policy: RetryPolicy,
        rules: SendRules,
        stop: threading.Event,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self.queue, self.digest, self.people = queue, digest, people
        self.transport, self.policy, self.rules = transport, policy, rules
        self.stop, self.clock, self.sleep = stop, clock, sleep
        self.sent = self.failed = self.uncertain = self.withdrawn = self.skipped = 0
        self.bounced = 0  # readers marked bounced by a refusal at send
        self.refused = 0  # rows held back: the sender's problem (5.7.x …)
        self.in_a_row = 0  # server failures since the last sign the server works
        self.sender_in_a_row = 0  # refusals that are the sender's problem, in a row
        self.pause_until = 0.0
        self.waited = 0.0  # seconds spent waiting for the relay, against policy.max_wait
        self.halt = ""  # why the run must stop, once it must
        self.blocked = ""  # set when it stops for the sender's problem: someone must look
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
            self._wait_until(self.retries[0].due, counted=not self.retries[0].paced)
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

    def _wait_until(self, moment: float, *, counted: bool = True) -> None:
        """Wait until `moment`; `counted`: the wait is for a failing relay, and counts
        against policy.max_wait (the configured pace does not)."""
        delay = moment - self.clock()
        if delay > 0 and counted and self.waited + delay > self.policy.max_wait:
            # The store lock is held while we wait: give up and let the next run go on.
            self._out_of_patience()
            return
        if delay > 0:
            self.waited += delay if counted else 0.0
            self.queue.flush()  # a settle is never held back across a wait
            self._give_back()  # a wait may outlast the lease: other senders go on meanwhile
            self.sleep(delay)  # stop.wait by default: a stop request ends the wait

    def _out_of_patience(self) -> None:
        self.halt = (
            f"the relay, or a receiver that asked us to slow down, would keep us waiting past "
            f"delivery.smtp.max_wait_seconds ({self.waited:.0f} s of {self.policy.max_wait:g} "
            "s waited so far); the rest stays queued"
        )

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

    def _held_back(self, attempt: _Attempt, domain: str) -> bool:
        """Park a row whose domain must wait (its pace, or a back-off): it goes back to the
        queue, to be tried when the domain is ready; other domains go on meanwhile."""
        ready, backing_off = self.rules.pacing.ready_at(domain)
        if ready <= self.clock():
            return False
        if attempt.claimed:
            self.queue.settle(attempt.delivery_id, DeliveryStatus.QUEUED, "")
        retry = _Retry(
            ready, attempt.delivery_id, attempt.subscriber_id, attempt.tries, not backing_off
        )
        heapq.heappush(self.retries, retry)
        return True

    def _deliver(self, attempt: _Attempt) -> None:
        delivery_id = attempt.delivery_id
        person = self.people.get(attempt.subscriber_id) or self.queue.subscriber(
            attempt.subscriber_id
        )
        if person is None:  # left after this run began and before its row was claimed
            self._withdraw(delivery_id)
            return
        domain = domain_of(person.email)
        if self._held_back(attempt, domain):
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
        if self.rules.budget is not None and self.sent >= self.rules.budget:
            self.queue.settle(delivery_id, DeliveryStatus.QUEUED, "")
            self.halt = "the day's cap (delivery.daily_cap) is reached; the rest stays queued"
            return
        self._send(attempt, letter, domain)

    def _send(self, attempt: _Attempt, letter: Letter, domain: str) -> None:
        self.queue.keep_lease()
        # Committed while the transport talks; it waits for it before the point of no return.
        committed = self.queue.hand_over(attempt.delivery_id, letter.message_id)
        self.rules.pacing.started(domain, self.clock())
        began = self.clock()
        try:
            self.transport.send(letter, committed, self._make_ahead)
        except SendFailure as failure:
            if failure.refusal is None and failure.scope is FailureScope.SERVER:
                self.waited += self.clock() - began  # a time-out is waiting for the relay
            self._failed(attempt, letter, domain, failure)
            return
        except LostClaim:
            return  # another sender took the row over after our lease ran out: theirs now
        self.queue.settle(attempt.delivery_id, DeliveryStatus.SENT)
        self.rules.pacing.delivered(domain)
        self.sent += 1
        self.in_a_row = self.sender_in_a_row = 0

    def _withdraw(self, delivery_id: int) -> None:
        """Drop the row of someone who left; a row of someone active again stays queued for
        the next run (deferred), and a row no longer queued is another run's business."""
        if self.queue.withdraw(delivery_id):
            self.withdrawn += 1

    def _failed(self, attempt: _Attempt, letter: Letter, domain: str, failure: SendFailure) -> None:
        reply = subscribers.unnamed(failure.reply, letter.recipient)
        log.warning(
            "subscriber %d (%s): %s",
            attempt.subscriber_id,
            subscribers.logged(letter.recipient),
            reply,
        )
        delivery_id, refusal = attempt.delivery_id, failure.refusal
        if failure.scope is FailureScope.SERVER:
            self._server_trouble(failure)
        else:
            self.in_a_row = 0  # the server is working: it judged this address or mail
        if failure.maybe_delivered:
            self.queue.settle(delivery_id, DeliveryStatus.UNCERTAIN, failure.reply)
            self.uncertain += 1
        elif refusal is not None and refusal.verdict is Verdict.SENDER:
            self._sender_problem(delivery_id, failure, refusal)
        elif not failure.temporary and failure.scope is not FailureScope.SERVER:
            self.queue.settle(delivery_id, DeliveryStatus.FAILED, failure.reply)
            self.failed += 1
            self.sender_in_a_row = 0
            if refusal is not None:
                self._bounce(attempt.subscriber_id, refusal, letter.message_id)
        else:
            # Deferred: back in the queue with the reason, for this run or the next one.
            self.queue.settle(delivery_id, DeliveryStatus.QUEUED, failure.reply)
            if not failure.temporary:
                # Refused login, untrusted certificate, a TLS setting the relay does not
                # take: no mail can go until the configuration changes, so retrying only
                # hammers the server, and someone must look.
                self.blocked = f"the server refuses every mail: {failure.reply}"
                self.halt = self.blocked
                return
            due = self.clock() + self.policy.delay(attempt.tries + 1)
            if failure.scope is not FailureScope.SERVER:  # the receiver's word, not the relay's
                due = max(due, self._domain_backoff(domain, refusal) or 0.0)
            if attempt.tries + 1 < self.policy.max_attempts:
                retry = _Retry(due, delivery_id, attempt.subscriber_id, attempt.tries + 1)
                heapq.heappush(self.retries, retry)
        if self.waited >= self.policy.max_wait and not self.halt:
            self._out_of_patience()

    def _domain_backoff(self, domain: str, refusal: Refusal | None) -> float | None:
        """Until when the domain waits after a deferral: a throttle backs it off at once,
        plain deferrals only a few in a row (publisher.delivery.pacing)."""
        if refusal is not None and refusal.verdict is Verdict.THROTTLE:
            return self.rules.pacing.throttled(domain, self.clock())
        return self.rules.pacing.deferred(domain, self.clock())

    def _sender_problem(self, delivery_id: int, failure: SendFailure, refusal: Refusal) -> None:
        """Refused for a reason of ours (authentication, policy, a block): the reader is
        not to blame, so the row stays queued for a run after the operator fixed it. A few
        in a row, or at MAIL FROM (every mail), and the run stops."""
        self.queue.settle(delivery_id, DeliveryStatus.QUEUED, failure.reply)
        self.refused += 1
        self.sender_in_a_row += 1
        every = failure.scope is FailureScope.SERVER
        if every or self.sender_in_a_row >= self.policy.max_sender_refusals:
            times = "" if every else f"{self.sender_in_a_row} refusals in a row, the last: "
            self.blocked = (
                f"the receivers refuse our mail: {times}{failure.reply} — {refusal.meaning}; "
                f"{ADVICE}"
            )
            self.halt = self.blocked

    def _bounce(self, subscriber_id: int, refusal: Refusal, message_id: str) -> None:
        """A refusal that is about the reader's address, recorded as a DSN would be."""
        if refusal.verdict not in {Verdict.BAD_ADDRESS, Verdict.MAILBOX_FULL}:
            return
        self.queue.flush()
        happened = returns.refused_at_send(
            self.queue.store,
            subscriber_id,
            refusal,
            message_id,
            self.rules.soft_limit,
            self.queue.wall(),
        )
        self.bounced += "bounced" in happened

    def _server_trouble(self, failure: SendFailure) -> None:
        self.in_a_row += 1
        self.pause_until = self.clock() + self.policy.delay(self.in_a_row)
        if self.in_a_row >= self.policy.max_consecutive_failures:
            self.halt = f"{self.in_a_row} server failures in a row, the last: {failure.reply}"
