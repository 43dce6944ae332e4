"""The deliveries of one day as the engine sees them: a queue whose every change is its own
short transaction in the store (publisher.store.deliveries), so that no transaction is open
while the server talks.

A settle is held back until the next hand-over (or claim) and goes into the same
transaction: one commit per mail beside the batch claims. Nothing is reordered: a row is
settled only after its own claim and hand-over were committed. Held back, a settle is lost
only by a crash, and then its row is one recovery finds in `sending`: handed over →
uncertain (never sent again), as if the crash had come a moment earlier, before the
server's answer was recorded. The engine writes what is held (`flush`) before it waits for
anything and when the run ends, so the time a settle is held is the time it takes to build
the next letter.

The hand-over's commit (its flush to disk is most of a mail's cost) runs on a thread of
its own while the transport says the envelope and the body; the transport waits for it
before the point of no return (SMTP's final ".", the Maildir's rename). Meanwhile nothing
else touches the store: every other use waits for it first (`store`). So a crash leaves
at most one row uncertain, the mail being sent, as before: only now that may be a mail
whose envelope the server was still reading or refusing.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, Protocol, TypeVar

from publisher.errors import PublisherError
from publisher.records import (
    ClaimedDelivery,
    DeliveryStatus,
    DigestKind,
    Settlement,
    Subscriber,
    SubscriberStatus,
)

BATCH = 20  # rows one claim takes: few enough that a stop gives little back
LEASE_SECONDS = 120.0


class LostClaim(PublisherError):
    """A sender's lease ran out and another took its row: it must not send that mail."""


def worker_id() -> str:
    """Names a sender in the rows it claims: host and pid, for whoever reads the table,
    and a random part, since pids repeat across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryRows(Protocol):
    """What the queue asks of the store (publisher.store.deliveries): the rows of one
    digest, each change its own transaction, and the reader a row is for."""

    def enqueue(
        self,
        day: dt.date,
        people: Iterable[Subscriber],
        now: dt.datetime,
        *,
        kind: DigestKind = ...,
    ) -> None: ...

    def recover_deliveries(
        self,
        day: dt.date,
        now: dt.datetime,
        *,
        leased_until: float | None = ...,
        kind: DigestKind = ...,
    ) -> int: ...

    def withdraw_inactive(self, day: dt.date, *, kind: DigestKind = ...) -> int: ...

    def claim_deliveries(
        self,
        day: dt.date,
        worker: str,
        limit: int,
        lease_until: float,
        now: dt.datetime,
        *,
        kind: DigestKind = ...,
    ) -> list[ClaimedDelivery]: ...

    def in_flight(self, day: dt.date, *, kind: DigestKind = ...) -> tuple[int, float]: ...

    def renew_lease(
        self, day: dt.date, worker: str, lease_until: float, *, kind: DigestKind = ...
    ) -> None: ...

    def release_deliveries(
        self,
        day: dt.date,
        worker: str,
        now: dt.datetime,
        *,
        deferred: bool,
        kind: DigestKind = ...,
    ) -> None: ...

    def delivery_counts(
        self, day: dt.date, *, kind: DigestKind = ...
    ) -> dict[DeliveryStatus, int]: ...

    def settle_and_claim(
        self,
        settled: Sequence[Settlement],
        claim: int,
        worker: str,
        lease_until: float,
        now: dt.datetime,
    ) -> bool: ...

    def withdraw_delivery(self, delivery_id: int) -> bool: ...

    def settle_and_hand_over(
        self,
        settled: Sequence[Settlement],
        delivery_id: int,
        worker: str,
        message_id: str,
        now: dt.datetime,
    ) -> bool: ...

    def settle_deliveries(self, settled: Sequence[Settlement], now: dt.datetime) -> None: ...

    def subscriber(self, subscriber_id: int) -> Subscriber | None: ...


# The store as its user holds it: the engine's runner also records bounces through it.
S = TypeVar("S", bound=DeliveryRows)


class Queue(Generic[S]):
    """The deliveries of one digest (the daily one of `day`, or with `kind` weekly the one
    of the week beginning on `day`), stamped with the wall clock as they change.

    Rows are claimed in batches under this sender's id and a lease. `shared`: other
    senders may work on the same rows (a PostgreSQL store), so a row in `sending` is
    taken for interrupted only once its lease has run out; alone (SQLite, under the store
    lock) every row in `sending` was left by a run that has ended."""

    def __init__(
        self,
        store: S,
        day: dt.date,
        wall: Callable[[], dt.datetime],
        *,
        shared: bool = False,
        lease_seconds: float = LEASE_SECONDS,
        kind: DigestKind = DigestKind.DAILY,
    ) -> None:
        self._store = store
        self.day = day
        self.kind = kind
        self.wall = wall
        self.shared = shared
        self.lease_seconds = lease_seconds
        self.worker = worker_id()
        self._renew_at = 0.0
        self._held: list[Settlement] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hand-over")
        self._pending: Future[bool] | None = None

    @property
    def store(self) -> S:
        """The store, once the hand-over under way (if any) is committed: one connection,
        used by one thread at a time."""
        self._sync()
        return self._store

    def _sync(self) -> None:
        """Wait for the hand-over under way; one that failed, and that nobody waited for,
        raises its error here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the hand-over under way and end the thread that records them."""
        try:
            self._sync()
        finally:
            self._writer.shutdown()

    def enqueue(self, people: Iterable[Subscriber]) -> None:
        """A row per subscriber; an existing row keeps its state."""
        self.store.enqueue(self.day, people, self.wall(), kind=self.kind)

    def recover(self) -> int:
        """Settle rows a killed run left in `sending`; returns how many became uncertain."""
        now = self.wall()
        expired = now.timestamp() if self.shared else None
        return self.store.recover_deliveries(self.day, now, leased_until=expired, kind=self.kind)

    def withdraw_inactive(self) -> int:
        """Drop the queued rows of people who left; returns how many."""
        return self.store.withdraw_inactive(self.day, kind=self.kind)

    def claim_batch(self) -> list[ClaimedDelivery]:
        """Claim the next few queued rows, now `sending`."""
        self.flush()
        now = self.wall()
        self._renew_at = now.timestamp() + self.lease_seconds / 2
        return self.store.claim_deliveries(
            self.day, self.worker, BATCH, self._lease(now), now, kind=self.kind
        )

    def wait_for_others(self) -> float:
        """Seconds to wait for rows other senders hold (they may finish, or their lease run
        out); 0 when none are left. Settles those whose lease has run out already."""
        if not self.shared:
            return 0.0
        self.flush()  # a settle held back leaves its row in `sending`: not another's
        count, earliest = self.store.in_flight(self.day, kind=self.kind)
        if not count:
            return 0.0
        return max(min(earliest - self.wall().timestamp(), 1.0), 0.05)

    def keep_lease(self) -> None:
        """Renew the lease on the rows claimed, once half of it has passed."""
        now = self.wall()
        if now.timestamp() >= self._renew_at:
            self._renew_at = now.timestamp() + self.lease_seconds / 2
            self.store.renew_lease(self.day, self.worker, self._lease(now), kind=self.kind)

    def release(self, *, deferred: bool = False) -> None:
        """Give back the rows claimed and not yet sent; with `deferred` (the run ends),
        also the deferred rows kept for a retry in this run."""
        self.store.release_deliveries(
            self.day, self.worker, self.wall(), deferred=deferred, kind=self.kind
        )

    def release_all(self) -> None:
        """The run ends: give back the rows claimed and the deferred rows kept for a retry."""
        self.release(deferred=True)

    def _lease(self, now: dt.datetime) -> float:
        return now.timestamp() + self.lease_seconds

    def counts(self) -> dict[DeliveryStatus, int]:
        self.flush()
        return self.store.delivery_counts(self.day, kind=self.kind)

    def claim(self, delivery_id: int) -> bool:
        """queued → sending, if the row is still queued and its subscriber still active;
        the settles held back are written in the same transaction."""
        now = self.wall()
        claimed = self.store.settle_and_claim(
            self._held, delivery_id, self.worker, self._lease(now), now
        )
        self._held = []
        return claimed

    def withdraw(self, delivery_id: int) -> bool:
        """Delete a queued row whose subscriber is no longer active; returns whether it did.
        Nothing was sent, and should they come back the same day, a new row lets them have
        the digest."""
        return self.store.withdraw_delivery(delivery_id)

    def hand_over(self, delivery_id: int, message_id: str) -> Callable[[], None]:
        """Start recording, with the settles held back, that the mail of `delivery_id` goes
        now: from then on a crash leaves the row uncertain. Returns the call that waits
        until it is committed; it raises LostClaim, before anything goes out, if the row is
        no longer this sender's."""
        store = self.store
        held, self._held = self._held, []
        pending = self._writer.submit(
            store.settle_and_hand_over, held, delivery_id, self.worker, message_id, self.wall()
        )
        self._pending = pending

        def committed() -> None:
            if self._pending is pending:
                self._pending = None
            if not pending.result():
                raise LostClaim(f"delivery {delivery_id} was taken over by another sender")

        return committed

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        """An active subscriber the run did not know of when it began (they confirmed
        meanwhile, and this or another sender queued them)."""
        found = self.store.subscriber(subscriber_id)
        return found if found and found.status is SubscriberStatus.ACTIVE else None

    def settle(self, delivery_id: int, status: DeliveryStatus, error: str = "") -> None:
        """Record how a row ended, with the next claim or `flush`."""
        self._held.append(Settlement(delivery_id, status, error))

    def flush(self) -> None:
        """Write the settles held back."""
        if self._held:
            self.store.settle_deliveries(self._held, self.wall())
            self._held = []
