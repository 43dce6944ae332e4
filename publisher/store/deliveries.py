"""SQL for the deliveries table: one row per (day, subscriber), moved through the states
that publisher.delivery.engine draws. Every change is its own short transaction, so that
no transaction is open while the server talks; a mail's settle shares the next mail's
hand-over, so a mail costs one commit (and the batch claims one per 20). A hand-over with
nothing to settle is one statement, committed by the connection's autocommit: BEGIN …
COMMIT around it would add two round trips on PostgreSQL and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import nullcontext

from publisher.records import (
    ClaimedDelivery,
    DeliveryRecord,
    DeliveryStatus,
    DigestKind,
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
    def enqueue(
        self,
        day: dt.date,
        people: Iterable[Subscriber],
        now: dt.datetime,
        *,
        kind: DigestKind = DigestKind.DAILY,
    ) -> None:
        """A row per subscriber; a row that exists already keeps its state."""
        stamp = now.isoformat()
        rows = [(day.isoformat(), kind.value, p.script.value, p.id, stamp) for p in people]
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO deliveries (digest_date, kind, script, subscriber_id, status,"
                " updated) VALUES (?, ?, ?, ?, 'queued', ?)"
                " ON CONFLICT (digest_date, kind, subscriber_id) DO NOTHING",
                rows,
            )

    @operation("recover interrupted deliveries")
    def recover_deliveries(
        self,
        day: dt.date,
        now: dt.datetime,
        *,
        leased_until: float | None = None,
        kind: DigestKind = DigestKind.DAILY,
    ) -> int:
        """Settle rows a killed run left in `sending`: not yet handed over → queued, handed
        over → uncertain. With `leased_until` (several senders share the rows), only those
        whose lease ran out before it. Returns how many became uncertain."""
        note = "interrupted after the mail was handed over; it may have been delivered"
        stamp = now.isoformat()
        expired = "" if leased_until is None else " AND lease_until < ?"
        lease = () if leased_until is None else (leased_until,)
        with self.db.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = 'queued', claimed_by = '', updated = ?"
                " WHERE digest_date = ? AND kind = ? AND status = 'sending'"
                f" AND message_id = ''{expired}",
                (stamp, day.isoformat(), kind.value, *lease),
            )
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'uncertain', last_error = ?, updated = ?"
                f" WHERE digest_date = ? AND kind = ? AND status = 'sending'{expired}",
                (note, stamp, day.isoformat(), kind.value, *lease),
            )
            # Deferred rows a sender kept for its own retry.
            self.db.execute(
                "UPDATE deliveries SET claimed_by = '' WHERE digest_date = ? AND kind = ?"
                f" AND status = 'queued' AND claimed_by <> ''{expired}",
                (day.isoformat(), kind.value, *lease),
            )
            return cursor.rowcount

    @operation("claim deliveries")
    def claim_deliveries(
        self,
        day: dt.date,
        worker: str,
        limit: int,
        lease_until: float,
        now: dt.datetime,
        *,
        kind: DigestKind = DigestKind.DAILY,
    ) -> list[ClaimedDelivery]:
        """queued → sending for up to `limit` rows of active subscribers, marked as
        `worker`'s until `lease_until`; oldest first. A
        deferred row a sender keeps for its own retry is left alone until its lease ends.
        On PostgreSQL rows another sender is claiming are skipped, not waited for."""
        skip = " FOR UPDATE SKIP LOCKED" if self.db.engine == "postgresql" else ""
        with self.db.transaction():
            rows = self.db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1,"
                " message_id = '', claimed_by = ?, lease_until = ?, updated = ?"
                " WHERE id IN (SELECT id FROM deliveries WHERE digest_date = ? AND kind = ?"
                " AND status = 'queued' AND (claimed_by = '' OR lease_until < ?)"
                f" AND {_ACTIVE} ORDER BY id LIMIT ?{skip})"
                " RETURNING id, subscriber_id",
                (
                    worker,
                    lease_until,
                    now.isoformat(),
                    day.isoformat(),
                    kind.value,
                    now.timestamp(),
                    limit,
                ),
            ).fetchall()
        return [ClaimedDelivery(*each) for each in sorted((int(r[0]), int(r[1])) for r in rows)]

    @operation("read the leases")
    def in_flight(self, day: dt.date, *, kind: DigestKind = DigestKind.DAILY) -> tuple[int, float]:
        """How many of the day's rows are in `sending`, and the earliest end of their leases."""
        row = self.db.execute(
            "SELECT COUNT(*), MIN(lease_until) FROM deliveries WHERE digest_date = ? AND kind = ?"
            " AND status = 'sending'",
            (
                day.isoformat(),
                kind.value,
            ),
        ).fetchone()
        return int(row[0]), float(row[1] or 0)

    @operation("renew a lease")
    def renew_lease(
        self, day: dt.date, worker: str, lease_until: float, *, kind: DigestKind = DigestKind.DAILY
    ) -> None:
        """Extend the lease on every row `worker` holds in `sending`."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE deliveries SET lease_until = ? WHERE digest_date = ? AND kind = ?"
                " AND claimed_by = ? AND status = 'sending'",
                (lease_until, day.isoformat(), kind.value, worker),
            )

    @operation("give back claimed deliveries")
    def release_deliveries(
        self,
        day: dt.date,
        worker: str,
        now: dt.datetime,
        *,
        deferred: bool,
        kind: DigestKind = DigestKind.DAILY,
    ) -> None:
        """Put `worker`'s claimed rows that never reached the hand-over back in the queue
        (nothing of them went out), and with `deferred` the deferred rows it kept for a
        retry too (the run ends)."""
        kept = " OR status = 'queued'" if deferred else ""
        with self.db.transaction():
            self.db.execute(
                "UPDATE deliveries SET attempts = attempts - CASE status WHEN 'sending'"
                " THEN 1 ELSE 0 END, status = 'queued', claimed_by = '', updated = ?"
                " WHERE digest_date = ? AND kind = ? AND claimed_by = ?"
                f" AND ((status = 'sending' AND message_id = ''){kept})",
                (now.isoformat(), day.isoformat(), kind.value, worker),
            )

    @operation("withdraw deliveries")
    def withdraw_inactive(self, day: dt.date, *, kind: DigestKind = DigestKind.DAILY) -> int:
        """Delete the day's queued rows whose subscriber is no longer active."""
        with self.db.transaction():
            return self.db.execute(
                f"DELETE FROM deliveries WHERE digest_date = ? AND kind = ? AND status = 'queued'"
                f" AND NOT {_ACTIVE}",
                (
                    day.isoformat(),
                    kind.value,
                ),
            ).rowcount

    @operation("settle and claim deliveries")
    def settle_and_claim(
        self,
        settled: Sequence[Settlement],
        claim: int,
        worker: str,
        lease_until: float,
        now: dt.datetime,
    ) -> bool:
        """In one transaction: record how the `settled` rows ended, then claim the row
        `claim` for `worker` until `lease_until` (queued → sending, if it is still queued
        and its subscriber still active). Returns whether the claim took."""
        stamp = now.isoformat()
        with self.db.transaction():
            self._settle(settled, stamp)
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1,"
                " message_id = '', claimed_by = ?, lease_until = ?, updated = ?"
                f" WHERE id = ? AND status = 'queued' AND {_ACTIVE}",
                (worker, lease_until, stamp, claim),
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
    def settle_and_hand_over(
        self,
        settled: Sequence[Settlement],
        delivery_id: int,
        worker: str,
        message_id: str,
        now: dt.datetime,
    ) -> bool:
        """In one transaction: record how the `settled` rows ended, then note the
        Message-ID on a row `worker` still holds. False if it holds it no more."""
        stamp = now.isoformat()
        with self.db.transaction() if settled else nullcontext():
            self._settle(settled, stamp)
            return bool(
                self.db.execute(
                    "UPDATE deliveries SET message_id = ?, updated = ? WHERE id = ?"
                    " AND claimed_by = ? AND status = 'sending'",
                    (message_id, stamp, delivery_id, worker),
                ).rowcount
            )

    @operation("settle deliveries")
    def settle_deliveries(self, settled: Sequence[Settlement], now: dt.datetime) -> None:
        with self.db.transaction():
            self._settle(settled, now.isoformat())

    def _settle(self, settled: Sequence[Settlement], stamp: str) -> None:
        if settled:
            self.db.executemany(
                "UPDATE deliveries SET status = ?, last_error = ?, updated = ? WHERE id = ?",
                [(each.status.value, each.error, stamp, each.delivery_id) for each in settled],
            )

    @operation("count the deliveries")
    def delivery_counts(
        self, day: dt.date, *, kind: DigestKind = DigestKind.DAILY
    ) -> dict[DeliveryStatus, int]:
        """How many deliveries of `day` are in each state (every state, zeros included)."""
        rows = self.db.execute(
            "SELECT status, COUNT(*) FROM deliveries WHERE digest_date = ? AND kind = ?"
            " GROUP BY status",
            (
                day.isoformat(),
                kind.value,
            ),
        )
        found = {DeliveryStatus(row[0]): int(row[1]) for row in rows}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    @operation("count the mails sent on a day")
    def sent_on(self, day: dt.date) -> int:
        """Mails of any digest that went out on `day` (by the site's clock): the daily cap's
        count. Every stamp is written in the site's zone, so its first ten characters are
        the local date."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND substr(updated, 1, 10) = ?",
            (day.isoformat(),),
        ).fetchone()
        return int(row[0])

    @operation("read why mail waits")
    def waiting_reasons(
        self, day: dt.date, *, kind: DigestKind = DigestKind.DAILY
    ) -> list[tuple[str, int]]:
        """The last answers of the day's queued rows that were refused or deferred, with how
        many rows each, most first."""
        rows = self.db.execute(
            "SELECT last_error, COUNT(*) AS n FROM deliveries WHERE digest_date = ? AND kind = ?"
            " AND status = 'queued' AND last_error <> '' GROUP BY last_error"
            " ORDER BY n DESC, last_error LIMIT 5",
            (day.isoformat(), kind.value),
        )
        return [(row[0], int(row[1])) for row in rows]

    @operation("read the days with deliveries")
    def delivery_days(self, limit: int, *, kind: DigestKind = DigestKind.DAILY) -> list[dt.date]:
        """The latest `limit` digests (days, or weeks' Mondays) that have deliveries."""
        rows = self.db.execute(
            "SELECT DISTINCT digest_date FROM deliveries WHERE kind = ?"
            " ORDER BY digest_date DESC LIMIT ?",
            (kind.value, limit),
        )
        return [dt.date.fromisoformat(row[0]) for row in rows]

    @operation("read the uncertain deliveries")
    def uncertain_deliveries(
        self, day: dt.date, *, kind: DigestKind = DigestKind.DAILY, failed: bool = False
    ) -> list[UncertainDelivery]:
        """The day's uncertain rows; with `failed`, the failed ones after them."""
        states = "('uncertain', 'failed')" if failed else "('uncertain')"
        rows = self.db.execute(
            "SELECT s.email, d.message_id, d.last_error, d.status FROM deliveries d"
            " JOIN subscribers s ON s.id = d.subscriber_id"
            f" WHERE d.digest_date = ? AND d.kind = ? AND d.status IN {states}"
            " ORDER BY d.status DESC, d.id",
            (day.isoformat(), kind.value),
        )
        return [UncertainDelivery(r[0], r[1], r[2], r[3] == "failed") for r in rows]

    @operation("settle an uncertain delivery")
    def settle_uncertain(
        self,
        day: dt.date,
        email_key: str,
        status: DeliveryStatus,
        note: str,
        now: dt.datetime,
        *,
        kind: DigestKind = DigestKind.DAILY,
    ) -> bool:
        """The operator's verdict on one uncertain row of `day`, found by its subscriber:
        sent (it did arrive) or queued (send it again; a failed row too). Returns whether a
        row moved."""
        states = "('uncertain', 'failed')" if status is DeliveryStatus.QUEUED else "('uncertain')"
        with self.db.transaction():
            cursor = self.db.execute(
                # A row settled to resend is nobody's claim (several senders: see claim).
                "UPDATE deliveries SET status = ?, last_error = ?, claimed_by = '', updated = ?"
                f" WHERE digest_date = ? AND kind = ? AND status IN {states} AND subscriber_id ="
                " (SELECT id FROM subscribers WHERE email_key = ?)",
                (status.value, note, now.isoformat(), day.isoformat(), kind.value, email_key),
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
            "SELECT digest_date, script, status, attempts, message_id, updated, kind"
            " FROM deliveries WHERE subscriber_id = ? ORDER BY digest_date, id",
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
                DigestKind(r[6]),
            )
            for r in rows
        ]
