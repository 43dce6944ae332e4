"""PostgreSQL advisory locks: the store lock and the daily leader's lock when several
machines share one database (a file lock only works among processes of one machine).

A session-level advisory lock lives as long as the connection that took it: a holder
that is killed, or whose machine dies, loses it when the server notices the connection
gone, so nobody has to clean up after it. The holder's connection carries its purpose as
`application_name`, so that a process that waits can say whom it waits for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import quote

from publisher.config import StorageConfig
from publisher.errors import StorageError
from publisher.store.postgres import PostgresDatabase, describe

# Keys in one space of bigints: 'publ' in the high half, the use in the low half.
STORE_KEY = 0x7075626C_00000002
LEADER_KEY = 0x7075626C_10000000  # + the day's ordinal: one leader per day


def leader_key(day: dt.date) -> int:
    return LEADER_KEY + day.toordinal()


class AdvisoryLock:
    """One advisory lock on its own connection (so that a store's own transactions never
    take it along or drop it)."""

    def __init__(
        self, storage: StorageConfig, key: int, purpose: str, zone: dt.tzinfo = dt.UTC
    ) -> None:
        self.storage, self.key, self.purpose = storage, key, purpose
        self.zone = zone  # of the times `holder` tells
        self._db: PostgresDatabase | None = None

    @property
    def held(self) -> bool:
        return self._db is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        if self._db is not None:
            raise RuntimeError("AdvisoryLock is not reentrant")
        named = _with_application_name(self.storage, self.purpose)
        db = PostgresDatabase(named)
        try:
            taken = db.execute("SELECT pg_try_advisory_lock(?)", (self.key,)).fetchone()[0]
        except db.driver_errors as error:
            db.close()
            raise StorageError(
                f"{self.storage.url}: cannot take a lock: {describe(error)}"
            ) from None
        if not taken:
            db.close()
            return False
        self._db = db
        return True

    def still_held(self) -> bool:
        """Whether the connection (and so the lock) is still alive: a restarted server
        drops both, and another process may have taken the lock since."""
        if self._db is None:
            return False
        try:
            self._db.execute("SELECT 1")
        except self._db.driver_errors:
            return False
        return True

    def holder(self) -> str:
        """'pid 123 (publisher run, since …) on 10.0.0.5' for whoever holds the lock."""
        db = PostgresDatabase(self.storage)
        try:
            row: Any = db.execute(
                "SELECT a.pid, a.application_name, a.backend_start, a.client_addr"
                " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND (l.classid::bigint << 32) + l.objid::bigint = ?",
                (self.key,),
            ).fetchone()
        except db.driver_errors:
            row = None
        finally:
            db.close()
        if row is None:
            return "another process"
        since = row[2].astimezone(self.zone).isoformat(timespec="seconds") if row[2] else "?"
        where = f" on {row[3]}" if row[3] else ""
        return f"server pid {row[0]} ({row[1] or '?'}, since {since}){where}"

    def release(self) -> None:
        if self._db is None:
            return
        db, self._db = self._db, None
        # Unlock before closing: the server ends a closed session a moment after the client
        # has gone, and a command run right after this one would meanwhile find it "busy".
        with contextlib.suppress(*db.driver_errors):  # a lost connection released it already
            db.execute("SELECT pg_advisory_unlock(?)", (self.key,))
        db.close()  # closing the session releases its advisory locks in any case


def _with_application_name(storage: StorageConfig, name: str) -> StorageConfig:
    joiner = "&" if "?" in storage.url else "?"
    return dataclasses.replace(
        storage, url=f"{storage.url}{joiner}application_name={quote(name[:60])}"
    )
