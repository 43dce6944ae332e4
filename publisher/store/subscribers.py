"""SQL for the subscriber list. The rules (who may move to which state) are
publisher.mail.subscribers'; this module only reads and writes rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from publisher.records import Script, Subscriber, SubscriberStatus, SubscriberTally
from publisher.store.database import Database, operation

_COLUMNS = "id, email, script, status, name, created, confirmed, unsubscribed"


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        id=row[0],
        email=row[1],
        script=Script(row[2]),
        status=SubscriberStatus(row[3]),
        name=row[4],
        created=dt.datetime.fromisoformat(row[5]),
        confirmed=_time(row[6]),
        unsubscribed=_time(row[7]),
    )


class SubscriberQueries:
    db: Database

    @operation("read a subscriber")
    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        return _subscriber(row) if row else None

    @operation("look up a subscriber")
    def subscriber_by_key(self, email_key: str) -> Subscriber | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM subscribers WHERE email_key = ?", (email_key,)
        ).fetchone()
        return _subscriber(row) if row else None

    @operation("read the subscribers")
    def subscribers(self, status: SubscriberStatus | None = None) -> list[Subscriber]:
        """Every subscriber, or those in one state, in the order they joined."""
        if status is None:
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM subscribers ORDER BY id")
        else:
            sql = f"SELECT {_COLUMNS} FROM subscribers WHERE status = ? ORDER BY id"
            rows = self.db.execute(sql, (status.value,))
        return [_subscriber(row) for row in rows]

    @operation("count the subscribers")
    def subscriber_counts(self) -> list[SubscriberTally]:
        rows = self.db.execute(
            "SELECT status, script, COUNT(*) FROM subscribers GROUP BY status, script"
            " ORDER BY status, script"
        )
        return [SubscriberTally(SubscriberStatus(r[0]), Script(r[1]), int(r[2])) for r in rows]

    @operation("add a subscriber")
    def insert_subscriber(
        self,
        address: str,
        email_key: str,
        script: Script,
        status: SubscriberStatus,
        name: str,
        now: dt.datetime,
    ) -> int:
        confirmed = now.isoformat() if status is SubscriberStatus.ACTIVE else None
        return self.db.insert_id(
            "INSERT INTO subscribers (email, email_key, script, status, name, created, confirmed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (address, email_key, script.value, status.value, name, now.isoformat(), confirmed),
        )

    @operation("change a subscriber")
    def set_subscriber_status(
        self, subscriber_id: int, status: SubscriberStatus, now: dt.datetime
    ) -> None:
        """Move to `status`, stamping the time the state records (confirmed, unsubscribed)."""
        stamp = now.isoformat()
        params: tuple[str, ...]
        if status is SubscriberStatus.ACTIVE:
            sql, params = "status = 'active', confirmed = ?", (stamp,)
        elif status is SubscriberStatus.UNSUBSCRIBED:
            sql, params = "status = 'unsubscribed', unsubscribed = ?", (stamp,)
        else:
            sql, params = "status = 'pending', confirmed = NULL, unsubscribed = NULL", ()
        with self.db.transaction():
            self.db.execute(f"UPDATE subscribers SET {sql} WHERE id = ?", (*params, subscriber_id))

    @operation("change a subscriber's script")
    def set_subscriber_script(self, subscriber_id: int, script: Script) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE subscribers SET script = ? WHERE id = ?", (script.value, subscriber_id)
            )
