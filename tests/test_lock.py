"""The store lock: one holder at a time, a clear message naming it, freed when a holder dies."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from publisher.config import Config
from publisher.errors import LockError
from publisher.store.locks import FileLock, describe_holder, hold, lock_path

pytestmark = pytest.mark.engines


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(root=tmp_path)


def test_the_lock_file_sits_beside_the_database(config: Config, tmp_path: Path) -> None:
    assert lock_path(config.storage) == (tmp_path / "publisher.lock").resolve()


def test_only_the_owner_can_read_the_lock_file(config: Config) -> None:
    path = lock_path(config.storage)
    with hold(config.storage, wait=False):
        assert path.stat().st_mode & 0o777 == 0o600
    # A file an older version left readable to all is tightened when next locked.
    path.chmod(0o644)
    with hold(config.storage, wait=False):
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_second_holder_is_refused_with_the_first_ones_pid(config: Config) -> None:
    with (
        hold(config.storage, wait=False, purpose="publisher run --once"),
        pytest.raises(LockError) as caught,
    ):
        FileLock(lock_path(config.storage)).acquire(wait=False)
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message
    assert "publisher run --once" in message
    assert "--wait" in message


def test_released_lock_can_be_taken_again_and_names_nobody(config: Config) -> None:
    with hold(config.storage, wait=False):
        pass
    assert describe_holder(lock_path(config.storage)) == "another process"
    with hold(config.storage, wait=False), pytest.raises(LockError, match="the store is busy"):
        FileLock(lock_path(config.storage)).acquire(wait=False)


def test_waiting_gives_up_after_the_timeout(config: Config) -> None:
    with hold(config.storage, wait=False):
        started = time.monotonic()
        with pytest.raises(LockError, match=r"gave up after 0\.3 s"):
            FileLock(lock_path(config.storage)).acquire(wait=True, timeout=0.3)
        assert time.monotonic() - started < 3


def test_a_waiter_gets_the_lock_when_the_holder_releases(config: Config) -> None:
    first = FileLock(lock_path(config.storage))
    first.acquire(wait=False)
    second = FileLock(lock_path(config.storage))
    took: list[bool] = []
    waiter = threading.Thread(target=lambda: took.append(second.acquire(wait=True, timeout=30)))
    with _announced("waiting for the store lock") as waiting:
        waiter.start()
        try:
            assert waiting.wait(timeout=30), "the waiter says it waits for the holder"
            assert took == [], "it has not taken the lock while the holder has it"
            first.release()
            waiter.join(timeout=30)
            assert took == [True], "it takes the lock once the holder lets it go"
            with pytest.raises(LockError, match=f"pid {os.getpid()}"):
                FileLock(lock_path(config.storage)).acquire(wait=False)
        finally:
            first.release()
            waiter.join()
            second.release()


@contextmanager
def _announced(message: str) -> Iterator[threading.Event]:
    """An Event set when the lock module logs `message` (the moment a waiter starts to wait)."""
    said = threading.Event()

    class Listener(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith(message):
                said.set()

    logger, listener = logging.getLogger("publisher.store.locks"), Listener()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(listener)
    try:
        yield said
    finally:
        logger.removeHandler(listener)
        logger.setLevel(level)


def test_a_stop_request_ends_the_wait_without_the_lock(config: Config) -> None:
    stop = threading.Event()
    with hold(config.storage, wait=False), _announced("waiting for the store lock") as waiting:

        def stop_once_waiting() -> None:
            waiting.wait(30)
            stop.set()

        threading.Thread(target=stop_once_waiting).start()
        waiter = FileLock(lock_path(config.storage))
        assert waiter.acquire(wait=True, stop=stop) is False
    # The waiter holds nothing: a third process takes the lock at once.
    with hold(config.storage, wait=False):
        pass


def test_a_killed_holder_does_not_block_for_ever(config: Config) -> None:
    path = lock_path(config.storage)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from publisher.store.locks import FileLock
        FileLock(Path({str(path)!r}), "holder").acquire(wait=False)
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockError, match=f"pid {holder.pid}"):
            FileLock(path).acquire(wait=False)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        survivor = FileLock(path)
        assert survivor.acquire(wait=True, timeout=5)
        survivor.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout:
            holder.stdout.close()


def test_the_holders_time_is_told_in_the_sites_zone(config: Config) -> None:
    with (
        hold(config.storage, wait=False, purpose="publisher build", zone=config.site.zone),
        pytest.raises(LockError) as caught,
    ):
        FileLock(lock_path(config.storage)).acquire(wait=False)
    # Asia/Taipei, the default site.timezone, as every other time a command shows.
    assert re.search(r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\)", str(caught.value))


def test_a_command_that_waits_says_so_and_for_whom(config: Config, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    command = [sys.executable, "-m", "publisher", "build", "--wait"]
    with hold(config.storage, wait=False, purpose="publisher run"):
        waiting = subprocess.Popen(
            command, cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        stderr = waiting.stderr
        assert stderr is not None
        first: list[str] = []  # the first thing it says, while it waits
        reader = threading.Thread(target=lambda: first.append(stderr.readline()))
        reader.start()
        reader.join(timeout=60)  # a command that says nothing gets the lock after that
    reader.join()
    out, _ = waiting.communicate(timeout=120)
    said = first[0]
    assert said.startswith("publisher: warning: waiting for the store lock ")
    assert f"held by pid {os.getpid()} (publisher run, since " in said
    assert waiting.returncode == 0 and "files written" in out
