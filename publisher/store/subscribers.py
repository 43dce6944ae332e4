"""SQL for the subscriber list. The rules (who may move to which state) are
publisher.mail.subscribers'; this module only reads and writes rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from publisher.records import (
    BounceKind,
    BounceRecord,
    Edition,
    Frequency,
    Script,
    Subscriber,
    SubscriberStatus,
    SubscriberTally,
)
from publisher.store.database import Database, operation

_COLUMNS = (
    "id, email, script, status, name, created, confirmed, unsubscribed, bounced,"
    " frequency, weekday, paused_until, link_generation, signed_up, confirm_mailed, edition"
)


def _choice(chosen: Script | Edition) -> tuple[str, str]:
    """(script, edition) columns: a bare script chose no edition (its first one)."""
    if isinstance(chosen, Script):
        return chosen.value, ""
    return chosen.script.value, chosen.tag


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
        bounced=_time(row[8]),
        frequency=Frequency(row[9]),
        weekday=row[10],
        paused_until=dt.date.fromisoformat(row[11]) if row[11] else None,
        link_generation=int(row[12]),
        signed_up=_time(row[13]),
        confirm_mailed=_time(row[14]),
        edition=row[15],
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
            "SELECT status, script, edition, COUNT(*) FROM subscribers"
            " GROUP BY status, script, edition ORDER BY status, script, edition"
        )
        return [
            SubscriberTally(SubscriberStatus(r[0]), Script(r[1]), int(r[3]), r[2]) for r in rows
        ]

    @operation("add a subscriber")
    def insert_subscriber(
        self,
        address: str,
        email_key: str,
        edition: Script | Edition,
        status: SubscriberStatus,
        name: str,
        now: dt.datetime,
        signed_up: dt.datetime | None = None,
    ) -> int | None:
        """The new subscriber's id; None if the address is on the list already (added by
        another process since the caller looked: web processes sign people up at once)."""
        confirmed = now.isoformat() if status is SubscriberStatus.ACTIVE else None
        row = self.db.execute(
            "INSERT INTO subscribers (email, email_key, script, edition, status, name, created,"
            " confirmed, signed_up) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (email_key) DO NOTHING RETURNING id",
            (
                address,
                email_key,
                *_choice(edition),
                status.value,
                name,
                now.isoformat(),
                confirmed,
                signed_up.isoformat() if signed_up else None,
            ),
        ).fetchone()
        return int(row[0]) if row else None

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
        elif status is SubscriberStatus.BOUNCED:
            sql, params = "status = 'bounced', bounced = ?", (stamp,)
        else:
            sql = "status = 'pending', confirmed = NULL, unsubscribed = NULL, bounced = NULL"
            params = ()
        with self.db.transaction():
            self.db.execute(f"UPDATE subscribers SET {sql} WHERE id = ?", (*params, subscriber_id))

    @operation("start a sign-up")
    def start_sign_up(
        self, subscriber_id: int, edition: Script | Edition, signed_up: dt.datetime
    ) -> None:
        """A web sign-up of an existing subscriber: pending in `edition` from `signed_up`."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE subscribers SET status = 'pending', confirmed = NULL, unsubscribed = NULL,"
                " bounced = NULL, script = ?, edition = ?, signed_up = ? WHERE id = ?",
                (*_choice(edition), signed_up.isoformat(), subscriber_id),
            )

    @operation("note a confirmation mail")
    def claim_confirmation_mail(
        self, subscriber_id: int, now: dt.datetime, cooled_down: dt.datetime
    ) -> bool:
        """Note that a confirmation mail goes out now, unless one went after `cooled_down`;
        whether it may go. One conditional UPDATE, so of two web processes asking at once
        (PostgreSQL re-checks the condition on the row it waited for) only one may."""
        with self.db.transaction():
            cursor = self.db.execute(
                "UPDATE subscribers SET confirm_mailed = ? WHERE id = ?"
                " AND (confirm_mailed IS NULL OR confirm_mailed < ?)",
                (now.isoformat(), subscriber_id, cooled_down.isoformat()),
            )
            return bool(cursor.rowcount)

    @operation("change a subscriber's edition")
    def set_subscriber_edition(self, subscriber_id: int, edition: Script | Edition) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE subscribers SET script = ?, edition = ? WHERE id = ?",
                (*_choice(edition), subscriber_id),
            )

    # -- the reader's preferences ----------------------------------------------------------

    @operation("change a subscriber's preferences")
    def set_subscriber_preferences(
        self,
        subscriber_id: int,
        edition: Script | Edition | None,
        frequency: Frequency,
        weekday: int | None,
        paused_until: dt.date | None,
        opted_out: frozenset[str],
    ) -> None:
        """Every choice at once, in one transaction: a digest being sent meanwhile reads
        either the old choices or the new ones, never half of each. `edition` None keeps the
        edition."""
        pause = paused_until.isoformat() if paused_until else None
        chosen = _choice(edition) if edition is not None else (None, None)
        with self.db.transaction():
            self.db.execute(
                "UPDATE subscribers SET script = COALESCE(?, script), edition = COALESCE(?,"
                " edition), frequency = ?, weekday = ?, paused_until = ? WHERE id = ?",
                (*chosen, frequency.value, weekday, pause, subscriber_id),
            )
            self.db.execute("DELETE FROM source_optouts WHERE subscriber_id = ?", (subscriber_id,))
            self.db.executemany(
                "INSERT INTO source_optouts (subscriber_id, source) VALUES (?, ?)",
                [(subscriber_id, source) for source in sorted(opted_out)],
            )

    @operation("read a subscriber's sources")
    def opted_out_sources(self, subscriber_id: int) -> frozenset[str]:
        rows = self.db.execute(
            "SELECT source FROM source_optouts WHERE subscriber_id = ?", (subscriber_id,)
        )
        return frozenset(row[0] for row in rows)

    @operation("read the source opt-outs")
    def source_optouts(self) -> dict[int, frozenset[str]]:
        """Every subscriber's opted-out sources, for those who have any."""
        found: dict[int, set[str]] = {}
        for row in self.db.execute("SELECT subscriber_id, source FROM source_optouts"):
            found.setdefault(int(row[0]), set()).add(row[1])
        return {key: frozenset(value) for key, value in found.items()}

    @operation("revoke a subscriber's links")
    def next_link_generation(self, subscriber_id: int) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE subscribers SET link_generation = link_generation + 1 WHERE id = ?",
                (subscriber_id,),
            )

    # -- bounces, complaints and erasure ---------------------------------------------------

    @operation("record a bounce")
    def record_bounce(self, subscriber_id: int, bounce: BounceRecord) -> bool:
        """Keep a bounce once per (report, subscriber); returns whether it was new."""
        with self.db.transaction():
            cursor = self.db.execute(
                "INSERT INTO bounces (subscriber_id, report, kind, status, message_id, received)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (report, subscriber_id) DO NOTHING",
                (
                    subscriber_id,
                    bounce.report,
                    bounce.kind.value,
                    bounce.status,
                    bounce.message_id,
                    bounce.received.isoformat(),
                ),
            )
            return bool(cursor.rowcount)

    @operation("count the soft bounces")
    def soft_bounces_since(self, subscriber_id: int, since: dt.datetime) -> int:
        # ISO strings with the same offset compare in time order; `received` is always
        # written by one site, in its zone.
        row = self.db.execute(
            "SELECT COUNT(*) FROM bounces WHERE subscriber_id = ? AND kind = ? AND received >= ?",
            (subscriber_id, BounceKind.SOFT.value, since.isoformat()),
        ).fetchone()
        return int(row[0])

    @operation("read a subscriber's bounces")
    def bounces_of(self, subscriber_id: int) -> list[BounceRecord]:
        rows = self.db.execute(
            "SELECT report, kind, status, message_id, received FROM bounces"
            " WHERE subscriber_id = ? ORDER BY received, id",
            (subscriber_id,),
        )
        return [
            BounceRecord(r[0], BounceKind(r[1]), r[2], r[3], dt.datetime.fromisoformat(r[4]))
            for r in rows
        ]

    @operation("erase a subscriber")
    def erase_subscriber(self, subscriber_id: int, address_hash: str) -> bool:
        """Delete the person and everything about them; keep only the keyed hash. SQLite
        overwrites the freed bytes (secure_delete, on every connection), and the write-ahead
        log, which still holds the pages as they were, is folded into the file and emptied
        here rather than whenever the last connection closes (never, while `serve` runs).
        False when a reader kept the log from being emptied: the old pages stay in it until
        the next checkpoint. PostgreSQL keeps dead rows until VACUUM (README: Erasure)."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO erased (address_hash) VALUES (?)"
                " ON CONFLICT (address_hash) DO NOTHING",
                (address_hash,),
            )
            self.db.execute("DELETE FROM bounces WHERE subscriber_id = ?", (subscriber_id,))
            self.db.execute("DELETE FROM source_optouts WHERE subscriber_id = ?", (subscriber_id,))
            self.db.execute("DELETE FROM deliveries WHERE subscriber_id = ?", (subscriber_id,))
            self.db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
        if self.db.engine != "sqlite":
            return True
        # TRUNCATE waits (the busy timeout) for readers of the old pages, then empties the log.
        busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    @operation("look up an erased address")
    def is_erased(self, address_hash: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM erased WHERE address_hash = ?", (address_hash,)
        ).fetchone()
        return row is not None
