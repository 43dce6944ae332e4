"""Confirmation mails, off the web request. A sign-up queues its mail in the store and is
answered at once; a sender thread inside `publisher serve` delivers the queue with the
relay's own time-out, and tries again later when the relay is down or slow. A relay that
hangs then holds up one thread's mail, never a reader's page.

A row moves as a digest's delivery row does (publisher.delivery.engine), every step
committed before the next begins:

    queued ──claim──▶ sending ──hand over──▶ sending, handed over ──250──▶ sent
      ▲                 │                          ├── 5xx ──▶ failed
      └── relay down, 4xx, no answer (later) ──────┤
                                                   └── lost after the "." ──▶ uncertain
    queued ── the reader is no longer pending ──▶ skipped

The cool-down per address and the ceiling per hour are decided when the mail is queued,
in one transaction with the row: a flood makes no rows, so it cannot make mail either.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from publisher.delivery.backends import TransportSettings, open_transport
from publisher.delivery.transport import FailureScope, SendFailure, Transport
from publisher.errors import DeliveryError, PublisherError
from publisher.mail import subscribers
from publisher.mail.confirmation import ConfirmationSettings, confirmation_letter
from publisher.records import DeliveryStatus, QueuedConfirmation, Subscriber, SubscriberStatus
from publisher.settings import DeliveryConfig
from publisher.store import Pool, Store

log = logging.getLogger(__name__)

HOUR = 3600.0
BACKOFF = 30.0  # seconds before a mail is tried again after the relay failed; doubles …
MAX_BACKOFF = 600.0  # … up to this
GIVE_UP = 86_400.0  # a mail still not sent this long after it was asked for fails
KEEP = 7 * 86_400.0  # settled rows are forgotten after this long
IDLE = 60.0  # seconds between looks at the queue when nothing wakes the sender

Clock = Callable[[], float]


class Asked(StrEnum):
    """What became of a sign-up's request for a mail."""

    QUEUED = "queued"
    COOLING_DOWN = "cooling down"  # one went to the address within web.confirm_cooldown_seconds
    CEILING = "ceiling"  # web.confirm_mails_per_hour were asked for in the last hour


@dataclass(frozen=True)
class Asking:
    asked: Asked
    wait: int = 0  # with CEILING: seconds until the hour's first mail leaves the count


def queue(
    store: Store,
    subscriber: Subscriber,
    now: dt.datetime,
    cooldown: dt.timedelta,
    per_hour: int,
) -> Asking:
    """Queue a confirmation mail for `subscriber`, unless the hour's ceiling is reached or
    one went within the cool-down; both decided with the row, in one transaction (the
    caller's, when it has one open)."""
    moment = now.timestamp()
    with store.transaction():
        count, first = store.confirmations_since(moment - HOUR)
        if count >= per_hour:
            return Asking(Asked.CEILING, max(1, int((first or moment) + HOUR - moment) + 1))
        if not subscribers.claim_confirmation_mail(store, subscriber, now, cooldown):
            return Asking(Asked.COOLING_DOWN)
        store.queue_confirmation(subscriber.id, moment)
    return Asking(Asked.QUEUED)


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0
    stopped: str = ""  # why the pass ended with mail still due: the relay's failure


class ConfirmationSendSettings(ConfirmationSettings, TransportSettings, Protocol):
    """What sending the confirmation mails reads of the configuration (a Config is one):
    the mail's own part and the backend's."""


def lease_seconds(delivery: DeliveryConfig) -> float:
    """How long a claimed row is a sender's: longer than one mail can take with the relay's
    time-out on each of its steps, so that no other sender takes a row still in flight."""
    return max(delivery.lease_seconds, 10 * delivery.smtp.timeout)


def send_due(
    config: ConfirmationSendSettings,
    store: Store,
    clock: Clock = time.time,
    stopping: Callable[[], bool] = lambda: False,
) -> Report:
    """Send the mails that are due, oldest first, over one connection; stop at the first
    failure of the relay itself (the rest would only wait for it too)."""
    report = Report()
    store.recover_confirmations(clock())
    store.forget_confirmations(clock() - KEEP)
    try:
        with open_transport(config) as outgoing:
            while not stopping():
                mail = store.claim_confirmation(clock(), clock() + lease_seconds(config.delivery))
                if mail is None:
                    break
                _send(config, store, outgoing, mail, clock, report)
                if report.stopped:
                    break
    except DeliveryError as error:  # the transport could not open (its password unset)
        log.warning("confirmation mails cannot be sent: %s", error)
        report.stopped = str(error)
    return report


def _send(
    config: ConfirmationSendSettings,
    store: Store,
    outgoing: Transport,
    mail: QueuedConfirmation,
    clock: Clock,
    report: Report,
) -> None:
    person = subscribers.get(store, mail.subscriber_id)
    if person is None or person.status is not SubscriberStatus.PENDING:
        store.settle_confirmation(mail.id, DeliveryStatus.SKIPPED)  # confirmed meanwhile
        report.skipped += 1
        return
    asked = dt.datetime.fromtimestamp(mail.queued, config.site.zone)
    letter = confirmation_letter(config, person, asked)
    try:
        outgoing.send(letter, on_handover=lambda: store.hand_over_confirmation(mail.id))
    except SendFailure as failure:
        _failed(store, mail, person, failure, clock, report)
        return
    store.settle_confirmation(mail.id, DeliveryStatus.SENT)
    report.sent += 1


def _failed(
    store: Store,
    mail: QueuedConfirmation,
    person: Subscriber,
    failure: SendFailure,
    clock: Clock,
    report: Report,
) -> None:
    """Settle a mail the relay did not take, and log it without the reader's address (a
    log travels further and lives longer than the store)."""
    reason = subscribers.unnamed(failure.reply, person.email)
    who = f"{subscribers.logged(person.email)} (subscriber {person.id})"
    if failure.maybe_delivered:
        store.settle_confirmation(mail.id, DeliveryStatus.UNCERTAIN, error=reason)
        log.warning("confirmation mail to %s may or may not have gone: %s", who, reason)
        report.uncertain += 1
        return
    now = clock()
    if failure.temporary and now - mail.queued < GIVE_UP:
        wait = min(MAX_BACKOFF, BACKOFF * 2 ** (mail.attempts - 1))
        store.settle_confirmation(mail.id, DeliveryStatus.QUEUED, error=reason, due=now + wait)
        log.warning(
            "confirmation mail to %s not sent yet (attempt %d): %s; trying again in %d s",
            who,
            mail.attempts,
            reason,
            wait,
        )
        if failure.scope is FailureScope.SERVER:  # the relay's failure: the rest waits too
            store.postpone_confirmations(now + wait)
            report.stopped = reason
        return
    store.settle_confirmation(mail.id, DeliveryStatus.FAILED, error=reason)
    log.warning("confirmation mail to %s not sent: %s", who, reason)
    report.failed += 1


class Sender:
    """The thread of `publisher serve` that sends the queue: woken by each sign-up, and
    otherwise when the next retry is due (or every IDLE seconds: another process's
    sign-ups)."""

    def __init__(
        self, config: ConfirmationSendSettings, stores: Pool, clock: Clock = time.time
    ) -> None:
        """`stores` is the sender's own, closed by `stop`."""
        self.config = config
        self.stores = stores
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="confirmation mails", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, wait: float) -> None:
        """Stop after the mail in flight; wait for it at most `wait` seconds. A mail cut
        off by the process's end is safe: not handed over, it is queued again once its
        lease runs out; handed over, it is uncertain, never sent twice."""
        self._stop.set()
        self._wake.set()
        self._thread.join(wait)
        if not self._thread.is_alive():
            self.stores.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the look: a wake during it makes the next one at once
            wait = IDLE
            try:
                with self.stores.store() as store:
                    send_due(self.config, store, self.clock, self._stop.is_set)
                    due = store.next_confirmation_due()
                if due is not None:
                    wait = min(IDLE, max(0.0, due - self.clock()))
            except PublisherError as error:  # the store unreachable: look again later
                log.warning("confirmation mails: %s", error)
                wait = BACKOFF
            self._wake.wait(wait)
