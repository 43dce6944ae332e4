"""SQL for the deliveries table: one row per (day, subscriber), moved through the states
that publisher.delivery.engine draws. Every change is its own short transaction, so that
no transaction is open while the server talks; settling one mail and claiming the next
share one, so a mail costs two commits (claim, hand-over)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from publisher.records import (
    DeliveryRecord,
    DeliveryStatus,
    Script,
    Settlement,
    Subscriber,
    UncertainDelivery,
)
from publisher.store.database import Database, operation

# A row may only be claimed while its subscriber is still active.
_ACTIVE = (
    "EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id"
    " AND s.status = 'active')"
)


class DeliveryQueries:
    db: Database

    @operation("queue the deliveries")
    def enqueue(self, day: dt.date, people: Iterable[Subscriber], now: dt.datetime) -> None:
        """A row per subscriber; a row that exists already keeps its state."""
        stamp = now.isoformat()
        rows = [(day.isoformat(), p.script.value, p.id, stamp) for p in people]
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO deliveries (digest_date, script, subscriber_id, status, updated)"
                " VALUES (?, ?, ?, 'queued', ?) ON CONFLICT (digest_date, subscriber_id)"
                " DO NOTHING",
                rows,
            )

    @operation("recover interrupted deliveries")
    def recover_deliveries(self, day: dt.date, now: dt.datetime) -> int:
        """Settle rows a killed run left in `sending`: not yet handed over → queued, handed
        over → uncertain. Returns how many became uncertain."""
        note = "interrupted after the mail was handed over; it may have been delivered"
        stamp = now.isoformat()
        with self.db.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = 'queued', updated = ? WHERE digest_date = ?"
                " AND status = 'sending' AND message_id = ''",
                (stamp, day.isoformat()),
            )
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'uncertain', last_error = ?, updated = ?"
                " WHERE digest_date = ? AND status = 'sending'",
                (note, stamp, day.isoformat()),
            )
            return cursor.rowcount

    @operation("read the queue")
    def queued_deliveries(self, day: dt.date) -> list[tuple[int, int]]:
        """(delivery id, subscriber id) of every queued row, oldest first."""
        rows = self.db.execute(
            "SELECT id, subscriber_id FROM deliveries WHERE digest_date = ?"
            " AND status = 'queued' ORDER BY id",
            (day.isoformat(),),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    @operation("settle and claim deliveries")
    def settle_and_claim(
        self, settled: Sequence[Settlement], claim: int | None, now: dt.datetime
    ) -> bool:
        """In one transaction: record how the `settled` rows ended, then claim the row
        `claim` (queued → sending, if it is still queued and its subscriber still active).
        Returns whether the claim took."""
        stamp = now.isoformat()
        with self.db.transaction():
            self.db.executemany(
                "UPDATE deliveries SET status = ?, last_error = ?, updated = ? WHERE id = ?",
                [(each.status.value, each.error, stamp, each.delivery_id) for each in settled],
            )
            if claim is None:
                return False
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1,"
                f" message_id = '', updated = ? WHERE id = ? AND status = 'queued' AND {_ACTIVE}",
                (stamp, claim),
            )
            return bool(cursor.rowcount)

    @operation("withdraw a delivery")
    def withdraw_delivery(self, delivery_id: int) -> bool:
        """Delete a queued row whose subscriber is no longer active; returns whether it did."""
        with self.db.transaction():
            cursor = self.db.execute(
                f"DELETE FROM deliveries WHERE id = ? AND status = 'queued' AND NOT {_ACTIVE}",
                (delivery_id,),
            )
            return bool(cursor.rowcount)

    @operation("record a hand-over")
    def record_handover(self, delivery_id: int, message_id: str, now: dt.datetime) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE deliveries SET message_id = ?, updated = ? WHERE id = ?",
                (message_id, now.isoformat(), delivery_id),
            )

    @operation("count the deliveries")
    def delivery_counts(self, day: dt.date) -> dict[DeliveryStatus, int]:
        """How many deliveries of `day` are in each state (every state, zeros included)."""
        rows = self.db.execute(
            "SELECT status, COUNT(*) FROM deliveries WHERE digest_date = ? GROUP BY status",
            (day.isoformat(),),
        )
        found = {DeliveryStatus(row[0]): int(row[1]) for row in rows}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    @operation("read the days with deliveries")
    def delivery_days(self, limit: int) -> list[dt.date]:
        """The latest `limit` days that have deliveries, newest first."""
        rows = self.db.execute(
            "SELECT DISTINCT digest_date FROM deliveries ORDER BY digest_date DESC LIMIT ?",
            (limit,),
        )
        return [dt.date.fromisoformat(row[0]) for row in rows]

    @operation("read the uncertain deliveries")
    def uncertain_deliveries(self, day: dt.date) -> list[UncertainDelivery]:
        rows = self.db.execute(
            "SELECT s.email, d.message_id, d.last_error FROM deliveries d"
            " JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE d.digest_date = ? AND d.status = 'uncertain' ORDER BY d.id",
            (day.isoformat(),),
        )
        return [UncertainDelivery(row[0], row[1], row[2]) for row in rows]

    @operation("settle an uncertain delivery")
    def settle_uncertain(
        self,
        day: dt.date,
        email_key: str,
        status: DeliveryStatus,
        note: str,
        now: dt.datetime,
    ) -> bool:
        """The operator's verdict on one uncertain row of `day`, found by its subscriber:
        sent (it did arrive) or queued (send it again). Returns whether a row moved."""
        with self.db.transaction():
            cursor = self.db.execute(
                "UPDATE deliveries SET status = ?, last_error = ?, updated = ?"
                " WHERE digest_date = ? AND status = 'uncertain' AND subscriber_id ="
                " (SELECT id FROM subscribers WHERE email_key = ?)",
                (status.value, note, now.isoformat(), day.isoformat(), email_key),
            )
            return bool(cursor.rowcount)

    @operation("find a delivery by its Message-ID")
    def subscriber_of_message(self, message_id: str) -> int | None:
        row = self.db.execute(
            "SELECT subscriber_id FROM deliveries WHERE message_id = ? ORDER BY id LIMIT 1",
            (message_id,),
        ).fetchone()
        return int(row[0]) if row else None

    @operation("read a subscriber's deliveries")
    def deliveries_of(self, subscriber_id: int) -> list[DeliveryRecord]:
        rows = self.db.execute(
            "SELECT digest_date, script, status, attempts, message_id, updated FROM deliveries"
            " WHERE subscriber_id = ? ORDER BY digest_date, id",
            (subscriber_id,),
        )
        return [
            DeliveryRecord(
                dt.date.fromisoformat(r[0]),
                Script(r[1]),
                r[2],
                int(r[3]),
                r[4],
                dt.datetime.fromisoformat(r[5]),
            )
            for r in rows
        ]
