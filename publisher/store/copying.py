"""Moving a whole store to another database (SQLite → PostgreSQL, or back).

Both ends are opened as stores, so both are at the newest schema before a row moves; the
target must hold nothing yet (a copy never merges). Everything goes in one transaction on
the target, and the row counts are compared before it commits: a copy is whole or absent.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from publisher.errors import StorageError
from publisher.settings import StorageConfig
from publisher.store import Store

# Parents before children (foreign keys); meta is the schema's own and is not copied.
TABLES = (
    "articles",
    "conversions",
    "outputs",
    "builds",
    "subscribers",
    "source_optouts",
    "deliveries",
    "bounces",
    "erased",
    "runs",
    "form_posts",
    "feed_states",
    "websub_pings",
    "posts",
    "confirmation_mails",
    "conversion_reports",
)
# Tables whose `id` the database hands out: on PostgreSQL its sequence must move on past
# the copied ids, or the next insert would collide.
IDENTITIES = (
    "builds",
    "subscribers",
    "deliveries",
    "bounces",
    "posts",
    "confirmation_mails",
    "conversion_reports",
)
ROWS_PER_COPY = 1000


def copy_store(source: StorageConfig, target: StorageConfig) -> dict[str, int]:
    """Copy every row of `source` into the empty store `target`; returns rows per table."""
    with Store(source) as origin, Store(target) as copy:
        occupied = {table: n for table, n in _counts(copy).items() if n}
        if occupied:
            listed = ", ".join(f"{n} {table}" for table, n in occupied.items())
            raise StorageError(f"{target}: not empty ({listed}): a copy goes into an empty store")
        expected = _counts(origin)
        try:
            with copy.db.transaction():
                for table in TABLES:
                    _copy_table(origin, copy, table)
                if copy.db.engine == "postgresql":
                    _advance_identities(copy)
                # Builds and articles name generations: the counter goes on from the source's.
                copy.db.execute(
                    "UPDATE meta SET value = ? WHERE name = 'generation'",
                    (str(origin.generation()),),
                )
                _check(expected, _counts(copy), target)
        except origin.db.driver_errors + copy.db.driver_errors as error:
            raise StorageError(f"{target}: the copy failed, nothing was kept: {error}") from None
    return expected


def _counts(store: Store) -> dict[str, int]:
    return {
        table: int(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for table in TABLES
    }


def _copy_table(origin: Store, copy: Store, table: str) -> None:
    rows = iter(origin.db.execute(f"SELECT * FROM {table}"))
    first = next(rows, None)
    if first is None:
        return
    columns = list(first.keys())
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    for chunk in _chunks(itertools.chain([first], rows)):
        copy.db.executemany(sql, [tuple(row) for row in chunk])


def _chunks(rows: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, ROWS_PER_COPY)):
        yield chunk


def _advance_identities(copy: Store) -> None:
    for table in IDENTITIES:
        copy.db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def _check(expected: dict[str, int], found: dict[str, int], target: StorageConfig) -> None:
    wrong = [
        f"{table}: {found[table]} of {n}" for table, n in expected.items() if found[table] != n
    ]
    if wrong:
        raise StorageError(f"{target}: the counts differ after the copy ({'; '.join(wrong)})")
