"""The `deliveries` table: one row per (day, subscriber), moved through the states that
publisher.delivery.engine draws, every change its own short transaction so that no transaction is
open while the server talks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from publisher.records import DeliveryStatus, Subscriber
from publisher.store import Store


class Queue:
    """The deliveries of one day. Every change is its own short transaction."""

    def __init__(self, store: Store, day: dt.date, wall: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.day = day.isoformat()
        self.wall = wall

    def enqueue(self, people: Iterable[Subscriber]) -> None:
        """A row per subscriber; OR IGNORE keeps every existing row (and its state) as is."""
        stamp = self.wall().isoformat()
        rows = [(self.day, p.script.value, p.id, stamp) for p in people]
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (digest_date, script, subscriber_id, status,"
                " updated) VALUES (?, ?, ?, 'queued', ?)",
                rows,
            )

    def recover(self) -> int:
        """Settle rows a killed run left in `sending`; returns how many became uncertain."""
        note = "interrupted after the mail was handed over; it may have been delivered"
        stamp = self.wall().isoformat()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'queued', updated = ? WHERE digest_date = ?"
                " AND status = 'sending' AND message_id = ''",
                (stamp, self.day),
            )
            cursor = db.execute(
                "UPDATE deliveries SET status = 'uncertain', last_error = ?, updated = ?"
                " WHERE digest_date = ? AND status = 'sending'",
                (note, stamp, self.day),
            )
        return cursor.rowcount

    def queued(self) -> list[tuple[int, int]]:
        """(delivery id, subscriber id) of every queued row, oldest first."""
        rows = self.store.db.execute(
            "SELECT id, subscriber_id FROM deliveries WHERE digest_date = ?"
            " AND status = 'queued' ORDER BY id",
            (self.day,),
        )
        return [(row[0], row[1]) for row in rows]

    def counts(self) -> dict[str, int]:
        return counts(self.store, dt.date.fromisoformat(self.day))

    def claim(self, delivery_id: int) -> bool:
        """queued → sending, if the row is still queued and its subscriber still active."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1,"
                " message_id = '', updated = ? WHERE id = ? AND status = 'queued'"
                " AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id"
                " AND s.status = 'active')",
                (self.wall().isoformat(), delivery_id),
            )
        return bool(cursor.rowcount)

    def withdraw(self, delivery_id: int) -> bool:
        """Delete a queued row whose subscriber is no longer active; returns whether it did.
        Nothing was sent, and should they come back the same day, a new row lets them have
        the digest."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "DELETE FROM deliveries WHERE id = ? AND status = 'queued'"
                " AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id"
                " AND s.status = 'active')",
                (delivery_id,),
            )
        return bool(cursor.rowcount)

    def handed_over(self, delivery_id: int, message_id: str) -> None:
        """From here on the mail may arrive: a crash now leaves the row uncertain."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE deliveries SET message_id = ?, updated = ? WHERE id = ?",
                (message_id, self.wall().isoformat(), delivery_id),
            )

    def settle(self, delivery_id: int, status: DeliveryStatus, error: str = "") -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = ?, last_error = ?, updated = ? WHERE id = ?",
                (status.value, error, self.wall().isoformat(), delivery_id),
            )


# -- for operators ------------------------------------------------------------------------


def counts(store: Store, day: dt.date) -> dict[str, int]:
    """How many deliveries of `day` are in each state (every state, zeros included)."""
    rows = store.db.execute(
        "SELECT status, COUNT(*) FROM deliveries WHERE digest_date = ? GROUP BY status",
        (day.isoformat(),),
    )
    found = {str(status): int(count) for status, count in rows}
    return {str(status): found.get(str(status), 0) for status in DeliveryStatus}


def recent_days(store: Store, limit: int) -> list[dt.date]:
    """The latest `limit` days that have deliveries, newest first."""
    rows = store.db.execute(
        "SELECT DISTINCT digest_date FROM deliveries ORDER BY 1 DESC LIMIT ?", (limit,)
    )
    return [dt.date.fromisoformat(row[0]) for row in rows]


def uncertain(store: Store, day: dt.date) -> list[tuple[str, str, str]]:
    """(address, Message-ID, reason) of each uncertain delivery of `day`: look the
    Message-ID up in the relay's log to learn whether it went."""
    rows = store.db.execute(
        "SELECT s.email, d.message_id, d.last_error FROM deliveries d"
        " JOIN subscribers s ON s.id = d.subscriber_id"
        " WHERE d.digest_date = ? AND d.status = 'uncertain' ORDER BY d.id",
        (day.isoformat(),),
    )
    return [(row[0], row[1], row[2]) for row in rows]


def retry_uncertain(store: Store, day: dt.date, now: dt.datetime) -> int:
    """Put the uncertain deliveries of `day` back in the queue; returns how many. Only after
    checking the relay's log: any of them that did arrive will arrive twice."""
    with store.transaction() as db:
        cursor = db.execute(
            "UPDATE deliveries SET status = 'queued', updated = ?"
            " WHERE digest_date = ? AND status = 'uncertain'",
            (now.isoformat(), day.isoformat()),
        )
    return cursor.rowcount
