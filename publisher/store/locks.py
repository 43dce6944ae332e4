"""The store lock, shared by the daemon and every one-shot command, and the daily leader's
lock when several machines share one database. Which lock a store takes is decided here,
once (`store_lock`).

A store in a file (SQLite): an advisory `flock` on a file beside the database
(publisher.db → publisher.lock). The kernel drops the lock when its holder exits, however
it exits, so a killed process never blocks the next one; that is why the file is not
deleted on release (deleting it would let two processes lock two different files of the
same name). The holder writes its pid and command line into the file so that whoever
waits can say who it waits for.

A store on a server (PostgreSQL): a session-level advisory lock in the database, since a
file lock only works among the processes of one machine. It lives as long as the
connection that took it: a holder that is killed, or whose machine dies, loses it when the
server notices the connection gone, so nobody has to clean up after it. The holder's
connection carries its purpose as `application_name`, so that a process that waits can say
whom it waits for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from publisher.errors import LockError, StorageError
from publisher.settings import StorageConfig
from publisher.store.postgres import PostgresDatabase, describe

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2

# Keys in one space of bigints: 'publ' in the high half, the use in the low half.
STORE_KEY = 0x7075626C_00000002
LEADER_KEY = 0x7075626C_10000000  # + the day's ordinal: one leader per day


def leader_key(day: dt.date) -> int:
    return LEADER_KEY + day.toordinal()


def lock_path(storage: StorageConfig) -> Path:
    """publisher.db → publisher.lock, beside it."""
    return storage.path.with_suffix(".lock")


def describe_holder(path: Path) -> str:
    """What the holder wrote into the lock file, as 'pid 123 (publisher run, since …)'."""
    try:
        pid, command, since = [*path.read_text(encoding="utf-8").splitlines(), "", "", ""][:3]
    except (OSError, UnicodeDecodeError):
        return "another process"
    if not pid:
        return "another process"  # the holder has locked but not written yet
    return f"pid {pid} ({command or '?'}, since {since or '?'})"


class FileLock:
    """An exclusive, non-reentrant lock on one store. Use `hold()` for the usual case."""

    def __init__(self, path: Path, purpose: str = "", zone: dt.tzinfo = dt.UTC) -> None:
        self.path = path
        self.purpose = purpose or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        self.zone = zone  # the site's: whoever waits reads the time as the site tells it
        self._fd: int | None = None

    def acquire(
        self,
        *,
        wait: bool,
        timeout: float | None = None,
        stop: threading.Event | None = None,
    ) -> bool:
        """Take the lock. Without `wait`, fail at once with LockError naming the holder; with
        it, wait up to `timeout` seconds (None: for ever). Returns False only when `stop` was
        set while waiting: the caller is shutting down and should not start work."""
        if self._fd is not None:
            raise RuntimeError("FileLock is not reentrant")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Owner only, like the database beside it: the holder's command line is nobody
        # else's business. fchmod also tightens a file an older version made 0644 (unless
        # another user owns it: theirs to change).
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(PermissionError):
                os.fchmod(fd, 0o600)
            if not self._wait_for(fd, wait=wait, timeout=timeout, stop=stop):
                os.close(fd)
                return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._write_holder(fd)
        return True

    def _wait_for(
        self, fd: int, *, wait: bool, timeout: float | None, stop: threading.Event | None
    ) -> bool:
        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        return wait_for(
            take,
            lambda: describe_holder(self.path),
            str(self.path),
            wait=wait,
            timeout=timeout,
            stop=stop,
        )

    def _write_holder(self, fd: int) -> None:
        since = dt.datetime.now(self.zone).isoformat(timespec="seconds")
        text = f"{os.getpid()}\n{self.purpose}\n{since}\n".encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, text, 0)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # Empty the file first, so a reader never blames a process that has finished.
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def wait_for(
    take: Callable[[], bool],
    holder: Callable[[], str],
    name: str,
    *,
    wait: bool,
    timeout: float | None,
    stop: threading.Event | None,
) -> bool:
    """Call `take` until it succeeds (True), `stop` is set (False) or time runs out.

    Polls rather than blocks: a blocked flock() or pg_advisory_lock() cannot notice `stop`
    (SIGTERM to a daemon that is waiting) or a timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    announced = False
    while True:
        if take():
            return True
        who = holder()
        if not wait:
            raise LockError(
                f"{name}: the store is busy: {who} is working on it; pass --wait to wait for it"
            )
        if deadline is not None and time.monotonic() >= deadline:
            raise LockError(
                f"{name}: the store is busy: {who} is working on it; gave up after {timeout:g} s"
            )
        if not announced:  # said by every command that waits, not only the services
            log.warning("waiting for the store lock %s, held by %s", name, who)
            announced = True
        if stop is None:
            time.sleep(POLL_SECONDS)
        elif stop.wait(POLL_SECONDS):
            return False


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


class DatabaseLock:
    """The store lock of a PostgreSQL store: an advisory lock in the database, so that it
    holds across every machine that shares it. Same calls as FileLock."""

    def __init__(
        self, storage: StorageConfig, key: int, purpose: str = "", zone: dt.tzinfo = dt.UTC
    ) -> None:
        purpose = purpose or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        self._lock = AdvisoryLock(storage, key, purpose, zone)

    @property
    def held(self) -> bool:
        return self._lock.held

    def acquire(
        self, *, wait: bool, timeout: float | None = None, stop: threading.Event | None = None
    ) -> bool:
        name = f"{self._lock.storage} (lock {self._lock.key:#x})"
        return wait_for(
            self._lock.try_acquire, self._lock.holder, name, wait=wait, timeout=timeout, stop=stop
        )

    def still_held(self) -> bool:
        return self._lock.still_held()

    def release(self) -> None:
        self._lock.release()


def store_lock(
    storage: StorageConfig, purpose: str = "", zone: dt.tzinfo = dt.UTC
) -> FileLock | DatabaseLock:
    """The lock one-shot commands and the daemon share: a file beside a store in a file, an
    advisory lock in a store on a server. `zone`: the site's, in which it tells its holder's
    time."""
    if storage.engine == "postgresql":
        return DatabaseLock(storage, STORE_KEY, purpose, zone)
    return FileLock(lock_path(storage), purpose, zone)


@contextmanager
def hold(
    storage: StorageConfig,
    *,
    wait: bool,
    timeout: float | None = None,
    purpose: str = "",
    zone: dt.tzinfo = dt.UTC,
) -> Iterator[FileLock | DatabaseLock]:
    """`with locks.hold(config.storage, wait=args.wait):` around any command that changes
    the store."""
    taken = store_lock(storage, purpose, zone)
    taken.acquire(wait=wait, timeout=timeout)
    try:
        yield taken
    finally:
        taken.release()
