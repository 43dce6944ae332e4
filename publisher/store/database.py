"""The connection under the store: one engine's driver behind the few calls the store makes.

Every statement in the store is written once, in SQL both SQLite and PostgreSQL take (`?`
placeholders, `INSERT … ON CONFLICT`); an engine translates what it must. A driver's error
leaves the store as a `StorageError` saying what was being done, never as a traceback.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from publisher.errors import StorageError

Params = Sequence[object]


class Cursor(Protocol):
    """What a statement returns, in every engine."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """One connection. Statements use `?` placeholders; rows index by position and name."""

    label: str
    driver_errors: tuple[type[Exception], ...]

    @property
    def engine(self) -> str: ...

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    def insert_id(self, sql: str, params: Params) -> int: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class SqliteDatabase:
    """A SQLite file in WAL mode, every write in BEGIN IMMEDIATE … COMMIT."""

    engine = "sqlite"
    driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        self.label = str(path)
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        try:
            # isolation_level=None: we open every transaction ourselves, so none is left open.
            # check_same_thread=False: a sender commits its hand-overs on a thread of their
            # own while it talks to the relay, never two threads at once (delivery.queue).
            self._db = sqlite3.connect(
                path, isolation_level=None, timeout=30, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            # FULL: a commit survives power loss too. The delivery states rely on it; with
            # NORMAL a committed hand-over could vanish and the mail be sent again.
            self._db.execute("PRAGMA synchronous = FULL")
            # Freed bytes are zeroed, not left behind: a row rewritten by an UPDATE (a
            # reader's changed choices) or deleted (an erased reader) leaves no old copy in
            # the file's free space. The cost is writing zeros into pages written anyway.
            self._db.execute("PRAGMA secure_delete = ON")
        except sqlite3.DatabaseError as error:
            raise StorageError(f"{path}: cannot open the database: {error}") from None

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._db.executemany(sql, rows)

    def insert_id(self, sql: str, params: Params) -> int:
        """Run an INSERT … RETURNING id and give the new row's id."""
        return int(self._db.execute(sql, params).fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls the whole of it back. Nested use
        joins the transaction already open."""
        if self._db.in_transaction:
            yield
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise TransactionError(self.label, "cannot start a transaction", error) from None
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise TransactionError(self.label, "cannot commit", error) from None

    def close(self) -> None:
        self._db.close()


def create_private(path: Path) -> None:
    """The database holds the subscriber list: create it readable by its owner only. An
    existing file keeps the mode its owner gave it."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise StorageError(f"{path}: cannot create the database: {error.strerror}") from None


class TransactionError(StorageError):
    """BEGIN or COMMIT failed (the server gone, the disk full): `operation` names the
    operation it was for, which is what a reader of the message needs to know."""

    def __init__(self, label: str, step: str, error: object) -> None:
        self.label, self.step, self.error = label, step, error
        super().__init__(f"{label}: {step}: {error}")


P = ParamSpec("P")
R = TypeVar("R")


class HasDatabase(Protocol):
    db: Database


S = TypeVar("S", bound=HasDatabase)


def operation(
    what: str,
) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """A storage method whose driver errors reach the caller as StorageError('cannot WHAT')."""

    def wrap(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except self.db.driver_errors as error:
                raise StorageError(f"{self.db.label}: cannot {what}: {error}") from error
            except TransactionError as error:
                step = error.step.removeprefix("cannot ")
                text = f"{error.label}: cannot {what} ({step}): {error.error}"
                raise StorageError(text) from None

        return run

    return wrap
