"""One lock per store, shared by the daemon and every one-shot command.

An advisory `flock` on a file beside the database (publisher.db → publisher.lock). The
kernel drops the lock when its holder exits, however it exits, so a killed process never
blocks the next one; that is why the file is not deleted on release (deleting it would let
two processes lock two different files of the same name). The holder writes its pid and
command line into the file so that whoever waits can say who it waits for.
"""

from __future__ import annotations

import contextlib
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

from publisher.config import Config, StorageConfig
from publisher.errors import LockError
from publisher.store.locks import STORE_KEY, AdvisoryLock

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2


def lock_path(config: Config) -> Path:
    """publisher.db → publisher.lock, beside it."""
    return config.storage.path.with_suffix(".lock")


def describe_holder(path: Path) -> str:
    """What the holder wrote into the lock file, as 'pid 123 (publisher run, since …)'."""
    try:
        pid, command, since = [*path.read_text(encoding="utf-8").splitlines(), "", "", ""][:3]
    except (OSError, UnicodeDecodeError):
        return "another process"
    if not pid:
        return "another process"  # the holder has locked but not written yet
    return f"pid {pid} ({command or '?'}, since {since or '?'})"


class StoreLock:
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
            raise RuntimeError("StoreLock is not reentrant")
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


class DatabaseLock:
    """The store lock of a PostgreSQL store: an advisory lock in the database, so that it
    holds across every machine that shares it. Same calls as StoreLock."""

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


def store_lock(config: Config, purpose: str = "") -> StoreLock | DatabaseLock:
    """The lock one-shot commands and the daemon share: a file beside a SQLite store, an
    advisory lock in a PostgreSQL one."""
    if config.storage.engine == "postgresql":
        return DatabaseLock(config.storage, STORE_KEY, purpose, config.site.zone)
    return StoreLock(lock_path(config), purpose, config.site.zone)


@contextmanager
def hold(
    config: Config, *, wait: bool, timeout: float | None = None, purpose: str = ""
) -> Iterator[StoreLock | DatabaseLock]:
    """`with lock.hold(config, wait=args.wait):` around any command that changes the store."""
    taken = store_lock(config, purpose)
    taken.acquire(wait=wait, timeout=timeout)
    try:
        yield taken
    finally:
        taken.release()
