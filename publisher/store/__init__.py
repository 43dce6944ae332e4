"""The store: the one place that holds publisher's state and the only one that speaks SQL.

`Store` joins the per-domain queries (articles, builds, subscribers, deliveries, runs, the
web form's limits) over one connection; each returns records, never driver rows. Opening a
store brings its schema up to date (publisher.store.migrations).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publisher.settings import StorageConfig
from publisher.store import backups, migrations, postgres
from publisher.store.articles import ArticleQueries
from publisher.store.builds import BuildQueries
from publisher.store.confirmations import ConfirmationQueries
from publisher.store.database import Database, SqliteDatabase
from publisher.store.deliveries import DeliveryQueries
from publisher.store.limits import LimitQueries
from publisher.store.outcomes import OutcomeQueries
from publisher.store.pings import PingQueries
from publisher.store.posts import PostQueries
from publisher.store.reports import ReportQueries
from publisher.store.runs import RunQueries
from publisher.store.subscribers import SubscriberQueries


class Store(
    ArticleQueries,
    BuildQueries,
    SubscriberQueries,
    DeliveryQueries,
    RunQueries,
    LimitQueries,
    PingQueries,
    PostQueries,
    OutcomeQueries,
    ConfirmationQueries,
    ReportQueries,
):
    """One connection to the store. Use one per thread.

    `where` is the storage settings (a SQLite file or a PostgreSQL URL) or a SQLite file's path;
    `pool` lends the connection instead (publisher serve)."""

    def __init__(
        self, where: StorageConfig | Path, pool: postgres.PostgresPool | None = None
    ) -> None:
        self.storage = where if isinstance(where, StorageConfig) else _sqlite(where)
        self.db: Database = pool.database() if pool else _connect(self.storage)
        try:
            # The migration steps this open applied (a pooled one: checked when the pool began).
            self.upgraded = [] if pool else _upgrade(self.db)
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""
        with self.db.transaction():
            yield

    # A part of a transaction that can be undone alone (a savepoint); parts do not nest.
    def begin_part(self) -> None:
        self.db.execute("SAVEPOINT part")

    def keep_part(self) -> None:
        self.db.execute("RELEASE SAVEPOINT part")

    def undo_part(self) -> None:
        """Back to where the part began; the transaction goes on with what came before."""
        self.db.execute("ROLLBACK TO SAVEPOINT part")
        self.db.execute("RELEASE SAVEPOINT part")

    @property
    def schema_version(self) -> int:
        return migrations.current_version(self.db)


def schema_status(where: StorageConfig) -> tuple[int, list[migrations.Step]]:
    """The store's schema version and the steps an upgrade would apply, changing nothing."""
    db = _connect(where)
    try:
        return migrations.current_version(db), migrations.pending(db)
    finally:
        db.close()


class Pool:
    """Connections kept open for a process that opens the store many times (one per web
    request). On SQLite each open is a new connection to the file, which costs nothing, and
    one more is held for the pool's life: when a WAL database's last connection closes, it
    locks the file to checkpoint and delete the WAL, and a connection opening meanwhile
    fails with SQLITE_BUSY whatever its busy timeout (sqlite.org/c3ref/setlk_timeout.html).
    With one held open, no request's connection is ever the last."""

    def __init__(self, storage: StorageConfig) -> None:
        self.storage = storage
        self._pool: postgres.PostgresPool | None = None
        self._held: Store | None = None
        self._lock = threading.Lock()

    def store(self) -> Store:
        with self._lock:
            # The first use brings the schema up to date, not every one.
            if self.storage.engine != "postgresql" and self._held is None:
                self._held = Store(self.storage)
            elif self.storage.engine == "postgresql" and self._pool is None:
                Store(self.storage).close()
                self._pool = postgres.PostgresPool(self.storage)
        return Store(self.storage, self._pool)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._held is not None:
                self._held.close()
                self._held = None


def _sqlite(path: Path) -> StorageConfig:
    return StorageConfig(url=f"sqlite:///{path}")


def _connect(storage: StorageConfig) -> Database:
    if storage.engine == "postgresql":
        return postgres.PostgresDatabase(storage)
    return SqliteDatabase(storage.path)


def _upgrade(db: Database) -> list[migrations.Step]:
    """Apply pending migrations; before changing a SQLite store that holds data, copy it
    aside (publisher.db → publisher.db.schema-N.bak, publisher.store.backups), so an
    upgrade can always be undone. A PostgreSQL server's backups are its operator's
    (pg_dump: docs/deploy.md)."""
    if not migrations.pending(db):
        return []
    keep = functools.partial(backups.keep, db) if isinstance(db, SqliteDatabase) else None
    return migrations.upgrade(db, before=keep)
