"""PostgreSQL under the store, through psycopg 3: the same calls as SqliteDatabase.

The store's SQL is written with `?` placeholders (SQLite's); psycopg takes `%s`, so each
statement is translated once (and cached). The connection runs in autocommit, as the
SQLite one does (isolation_level=None): nothing is open between the store's own
transactions, so no snapshot is held while the server talks to a relay.

psycopg is an optional dependency (`pip install 'publisher[postgresql]'`): it is imported
only when a postgresql:// store is opened.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from publisher.errors import StorageError
from publisher.store.database import Params, TransactionError

if TYPE_CHECKING:
    import psycopg_pool

    from publisher.settings import StorageConfig


# A quoted string or identifier (copied as it is), a `?` (a placeholder) or a `%` (doubled,
# since psycopg reads `%` as the start of one of its own placeholders).
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """`?` → `%s` outside quotes; `%` → `%%`."""

    def one(match: re.Match[str]) -> str:
        token = match.group()
        return "%s" if token == "?" else "%%" if token == "%" else token

    return _TOKENS.sub(one, sql)


class Row(tuple[Any, ...]):
    """A row that indexes by position and by column name, as sqlite3.Row does."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self.names[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self.names)


def _rows(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row.names = names
        return row

    return make


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StorageError(
            "storage.url is a PostgreSQL database, but psycopg is not installed: "
            "pip install 'publisher[postgresql]'"
        ) from None
    return psycopg


def connect_kwargs(storage: StorageConfig) -> dict[str, Any]:
    """What psycopg.connect takes beside the URL: the password from the environment, our
    rows, autocommit."""
    extra: dict[str, Any] = {"autocommit": True, "row_factory": _rows}
    password = storage.password
    if password:
        extra["password"] = password
    return extra


def describe(error: Exception) -> str:
    """psycopg's message without its trailing newline and detail lines."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class PostgresDatabase:
    """One PostgreSQL connection, every write in BEGIN … COMMIT.

    From a pool (`PostgresPool.connection()`) or on its own; `close()` gives a pooled connection
    back instead of closing it."""

    engine = "postgresql"

    def __init__(self, storage: StorageConfig, connection: Any = None) -> None:
        driver = _driver()
        self.label = storage.url
        self.driver_errors: tuple[type[Exception], ...] = (driver.Error,)
        self._give_back: Callable[[], None] | None = None
        if connection is None:
            try:
                connection = driver.connect(storage.url, **connect_kwargs(storage))
            except driver.Error as error:
                raise StorageError(f"{self.label}: cannot connect: {describe(error)}") from None
        self._db: Any = connection  # a psycopg.Connection

    @classmethod
    def lent(
        cls, storage: StorageConfig, connection: Any, give_back: Callable[[], None]
    ) -> PostgresDatabase:
        database = cls(storage, connection)
        database._give_back = give_back
        return database

    @property
    def in_transaction(self) -> bool:
        return bool(self._db.info.transaction_status != 0)  # 0: IDLE

    def execute(self, sql: str, params: Params = ()) -> Any:
        return self._db.execute(translate(sql), params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(translate(sql), rows)

    def insert_id(self, sql: str, params: Params) -> int:
        """Run an INSERT … RETURNING id and give the new row's id."""
        return int(self.execute(sql, params).fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT; any exception rolls the whole of it back. Nested use joins the
        transaction already open."""
        if self.in_transaction:
            yield
            return
        try:
            self._db.execute("BEGIN")
        except self.driver_errors as error:
            raise TransactionError(
                self.label, "cannot start a transaction", describe(error)
            ) from None
        try:
            yield
        except BaseException:
            if not self._db.closed:
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except self.driver_errors as error:
            raise TransactionError(self.label, "cannot commit", describe(error)) from None

    def close(self) -> None:
        if self._give_back is not None:
            give_back, self._give_back = self._give_back, None
            give_back()
        else:
            self._db.close()


class PostgresPool:
    """Connections for a process that opens the store often (`publisher serve`: one per
    request), kept open between uses rather than made anew each time."""

    def __init__(self, storage: StorageConfig) -> None:
        _driver()
        from psycopg_pool import ConnectionPool

        self.storage = storage
        self._pool: psycopg_pool.ConnectionPool[Any] = ConnectionPool(
            storage.url,
            kwargs=connect_kwargs(storage),
            min_size=1,
            max_size=storage.pool_size,
            open=False,
            name="publisher",
        )
        self._pool.open(wait=False)

    def database(self) -> PostgresDatabase:
        """A connection, for as long as the caller keeps the database open."""
        try:
            connection = self._pool.getconn()
        except Exception as error:  # psycopg_pool.PoolTimeout, psycopg.Error
            raise StorageError(f"{self.storage.url}: cannot connect: {describe(error)}") from None
        return PostgresDatabase.lent(
            self.storage, connection, lambda: self._pool.putconn(connection)
        )

    def close(self) -> None:
        self._pool.close()
