"""The deliveries of one day as the engine sees them: a queue whose every change is its own
short transaction in the store (publisher.store.deliveries), so that no transaction is open
while the server talks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from publisher.records import DeliveryStatus, Subscriber
from publisher.store import Store


class Queue:
    """The deliveries of one day, stamped with the wall clock as they change."""

    def __init__(self, store: Store, day: dt.date, wall: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.day = day
        self.wall = wall

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
        return self.store.delivery_counts(self.day)

    def claim(self, delivery_id: int) -> bool:
        """queued → sending, if the row is still queued and its subscriber still active."""
        return self.store.claim_delivery(delivery_id, self.wall())

    def withdraw(self, delivery_id: int) -> bool:
        """Delete a queued row whose subscriber is no longer active; returns whether it did.
        Nothing was sent, and should they come back the same day, a new row lets them have
        the digest."""
        return self.store.withdraw_delivery(delivery_id)

    def handed_over(self, delivery_id: int, message_id: str) -> None:
        """From here on the mail may arrive: a crash now leaves the row uncertain."""
        self.store.record_handover(delivery_id, message_id, self.wall())

    def settle(self, delivery_id: int, status: DeliveryStatus, error: str = "") -> None:
        self.store.settle_delivery(delivery_id, status, error, self.wall())
