"""The store: the one place that holds publisher's state and the only one that speaks SQL.

`Store` joins the per-domain queries (articles, builds, subscribers, deliveries, runs) over
one connection; each returns records, never driver rows. Opening a store brings its schema
up to date (publisher.store.migrations).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publisher.store import migrations
from publisher.store.articles import ArticleQueries
from publisher.store.builds import BuildQueries
from publisher.store.database import Database, SqliteDatabase
from publisher.store.deliveries import DeliveryQueries
from publisher.store.runs import RunQueries
from publisher.store.subscribers import SubscriberQueries


class Store(ArticleQueries, BuildQueries, SubscriberQueries, DeliveryQueries, RunQueries):
    """One connection to the store. Use one per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: Database = SqliteDatabase(path)
        try:
            self.upgraded = _upgrade(self.db, path)  # the migration steps this open applied
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

    @property
    def schema_version(self) -> int:
        return migrations.current_version(self.db)


def schema_status(path: Path) -> tuple[int, list[migrations.Step]]:
    """The store's schema version and the steps an upgrade would apply, changing nothing."""
    db = SqliteDatabase(path)
    try:
        return migrations.current_version(db), migrations.pending(db)
    finally:
        db.close()


def _upgrade(db: Database, path: Path) -> list[migrations.Step]:
    """Apply pending migrations; before changing a store that holds data, copy it aside
    (publisher.db → publisher.db.schema-N.bak), so an upgrade can always be undone."""
    steps = migrations.pending(db)
    if not steps:
        return []
    version = migrations.current_version(db)
    backup = path.with_name(f"{path.name}.schema-{version}.bak")
    # An earlier attempt's copy is of the same version: keep it.
    if version > 0 and not backup.exists() and isinstance(db, SqliteDatabase):
        db.copy_to(backup)
    return migrations.upgrade(db)
