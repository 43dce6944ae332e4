"""SQL for the confirmation mails' queue: a row per mail a sign-up asked for, moved through
the states publisher.delivery.confirmations draws, every change its own short transaction."""

from __future__ import annotations

from typing import Any

from publisher.records import ConfirmationBacklog, DeliveryStatus, QueuedConfirmation
from publisher.store.database import Database, operation

# Pairs with every `serve` process's sign-ups on PostgreSQL, so that two of them cannot both
# count the hour's mails as under the ceiling and both add one ('publ', 16).
CEILING_LOCK = 0x7075626C_00000010
_WAITING = "status IN ('queued', 'sending')"


class ConfirmationQueries:
    db: Database

    @operation("count the confirmation mails")
    def confirmations_since(self, since: float) -> tuple[int, float | None]:
        """Mails asked for after `since`, and when the first of them was. On PostgreSQL
        inside a transaction, the count holds until it ends (an advisory lock)."""
        if self.db.engine == "postgresql" and self.db.in_transaction:
            self.db.execute("SELECT pg_advisory_xact_lock(?)", (CEILING_LOCK,))
        row = self.db.execute(
            "SELECT COUNT(*), MIN(queued) FROM confirmation_mails WHERE queued > ?", (since,)
        ).fetchone()
        return int(row[0]), None if row[1] is None else float(row[1])

    @operation("queue a confirmation mail")
    def queue_confirmation(self, subscriber_id: int, now: float) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO confirmation_mails (subscriber_id, queued, status, due)"
                " VALUES (?, ?, 'queued', ?)",
                (subscriber_id, now, now),
            )

    @operation("recover interrupted confirmation mails")
    def recover_confirmations(self, now: float) -> int:
        """Rows whose sender's lease ran out (it died): not handed over → queued, handed
        over → uncertain. Returns how many became uncertain."""
        note = "interrupted after the mail was handed over; it may have been delivered"
        with self.db.transaction():
            self.db.execute(
                "UPDATE confirmation_mails SET status = 'queued', due = ?"
                " WHERE status = 'sending' AND handed_over = 0 AND lease_until < ?",
                (now, now),
            )
            cursor = self.db.execute(
                "UPDATE confirmation_mails SET status = 'uncertain', last_error = ?"
                " WHERE status = 'sending' AND lease_until < ?",
                (note, now),
            )
            return int(cursor.rowcount)

    @operation("claim a confirmation mail")
    def claim_confirmation(self, now: float, lease_until: float) -> QueuedConfirmation | None:
        """The oldest queued row that is due, now `sending` under a lease; None when there
        is none. The conditional UPDATE lets only one of several senders have a row."""
        with self.db.transaction():
            for row in self.db.execute(
                "SELECT id FROM confirmation_mails WHERE status = 'queued' AND due <= ?"
                " ORDER BY due, id LIMIT 5",
                (now,),
            ).fetchall():
                claimed = self.db.execute(
                    "UPDATE confirmation_mails SET status = 'sending', handed_over = 0,"
                    " attempts = attempts + 1, lease_until = ? WHERE id = ? AND status = 'queued'"
                    " RETURNING id, subscriber_id, queued, attempts",
                    (lease_until, row[0]),
                ).fetchone()
                if claimed is not None:
                    return _claimed(claimed)
        return None

    @operation("hand a confirmation mail over")
    def hand_over_confirmation(self, mail_id: int) -> None:
        """From here a crash leaves the row uncertain: committed before the final "."."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE confirmation_mails SET handed_over = 1 WHERE id = ?", (mail_id,)
            )

    @operation("settle a confirmation mail")
    def settle_confirmation(
        self, mail_id: int, status: DeliveryStatus, *, error: str = "", due: float = 0.0
    ) -> None:
        """A final state, or `queued` again with the next attempt `due`."""
        again = status is DeliveryStatus.QUEUED
        with self.db.transaction():
            self.db.execute(
                "UPDATE confirmation_mails SET status = ?, handed_over = 0, last_error = ?"
                + (", due = ?" if again else "")
                + " WHERE id = ?",
                (status.value, error, *((due,) if again else ()), mail_id),
            )

    @operation("postpone the confirmation mails")
    def postpone_confirmations(self, due: float) -> None:
        """Every queued row due before `due` waits until then (the relay is down)."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE confirmation_mails SET due = ? WHERE status = 'queued' AND due < ?",
                (due, due),
            )

    @operation("read the confirmation mails")
    def next_confirmation_due(self) -> float | None:
        row = self.db.execute(
            "SELECT MIN(due) FROM confirmation_mails WHERE status = 'queued'"
        ).fetchone()
        return None if row[0] is None else float(row[0])

    @operation("read the confirmation mails")
    def confirmation_backlog(self) -> ConfirmationBacklog:
        waiting, oldest = self.db.execute(
            f"SELECT COUNT(*), MIN(queued) FROM confirmation_mails WHERE {_WAITING}"
        ).fetchone()
        last = self.db.execute(
            f"SELECT last_error FROM confirmation_mails WHERE {_WAITING} AND last_error != ''"
            " ORDER BY due DESC, id DESC LIMIT 1"
        ).fetchone()
        uncertain = self.db.execute(
            "SELECT COUNT(*) FROM confirmation_mails WHERE status = 'uncertain'"
        ).fetchone()
        return ConfirmationBacklog(
            waiting=int(waiting),
            oldest=None if oldest is None else float(oldest),
            last_error=last[0] if last else "",
            uncertain=int(uncertain[0]),
        )

    @operation("forget old confirmation mails")
    def forget_confirmations(self, before: float) -> None:
        """Forget the rows asked for before `before` that are settled (uncertain ones
        too: `status` has shown them meanwhile)."""
        with self.db.transaction():
            self.db.execute(
                f"DELETE FROM confirmation_mails WHERE queued < ? AND NOT {_WAITING}", (before,)
            )


def _claimed(row: Any) -> QueuedConfirmation:
    return QueuedConfirmation(
        id=int(row[0]), subscriber_id=int(row[1]), queued=float(row[2]), attempts=int(row[3])
    )
