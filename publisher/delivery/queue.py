"""The deliveries of one day as the engine sees them: a queue whose every change is its own
short transaction in the store (publisher.store.deliveries), so that no transaction is open
while the server talks.

A settle is held back until the next claim and goes into the same transaction (two commits
per mail instead of three). Nothing is reordered: a row is settled only after its own claim
and hand-over were committed. Held back, a settle is lost only by a crash, and then its row
is one recovery finds in `sending`: handed over → uncertain (never sent again), as if the
crash had come a moment earlier, before the server's answer was recorded. The engine
writes what is held (`flush`) before it waits for anything and when the run ends, so the
time a settle is held is the time it takes to build the next letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from publisher.records import DeliveryStatus, Settlement, Subscriber
from publisher.store import Store


class Queue:
    """The deliveries of one day, stamped with the wall clock as they change."""

    def __init__(self, store: Store, day: dt.date, wall: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.day = day
        self.wall = wall
        self._held: list[Settlement] = []

    def enqueue(self, people: Iterable[Subscriber]) -> None:
        """A row per subscriber; an existing row keeps its state."""
        self.store.enqueue(self.day, people, self.wall())

    def recover(self) -> int:
        """Settle rows a killed run left in `sending`; returns how many became uncertain."""
        return self.store.recover_deliveries(self.day, self.wall())

    def queued(self) -> list[tuple[int, int]]:
        """(delivery id, subscriber id) of every queued row, oldest first."""
        return self.store.queued_deliveries(self.day)

    def counts(self) -> dict[DeliveryStatus, int]:
        self.flush()
        return self.store.delivery_counts(self.day)

    def claim(self, delivery_id: int) -> bool:
        """queued → sending, if the row is still queued and its subscriber still active;
        the settles held back are written in the same transaction."""
        claimed = self.store.settle_and_claim(self._held, delivery_id, self.wall())
        self._held = []
        return claimed

    def withdraw(self, delivery_id: int) -> bool:
        """Delete a queued row whose subscriber is no longer active; returns whether it did.
        Nothing was sent, and should they come back the same day, a new row lets them have
        the digest."""
        return self.store.withdraw_delivery(delivery_id)

    def handed_over(self, delivery_id: int, message_id: str) -> None:
        """From here on the mail may arrive: a crash now leaves the row uncertain."""
        self.store.record_handover(delivery_id, message_id, self.wall())

    def settle(self, delivery_id: int, status: DeliveryStatus, error: str = "") -> None:
        """Record how a row ended, with the next claim or `flush`."""
        self._held.append(Settlement(delivery_id, status, error))

    def flush(self) -> None:
        """Write the settles held back."""
        if self._held:
            self.store.settle_and_claim(self._held, None, self.wall())
            self._held = []
