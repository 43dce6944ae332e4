"""The store lock: one holder at a time, a clear message naming it, freed when a holder dies."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from publisher.config import Config
from publisher.errors import LockError
from publisher.run.lock import StoreLock, describe_holder, hold, lock_path

pytestmark = pytest.mark.engines


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(root=tmp_path)


def test_the_lock_file_sits_beside_the_database(config: Config, tmp_path: Path) -> None:
    assert lock_path(config) == (tmp_path / "publisher.lock").resolve()


def test_only_the_owner_can_read_the_lock_file(config: Config) -> None:
    path = lock_path(config)
    with hold(config, wait=False):
        assert path.stat().st_mode & 0o777 == 0o600
    # A file an older version left readable to all is tightened when next locked.
    path.chmod(0o644)
    with hold(config, wait=False):
        assert path.stat().st_mode & 0o777 == 0o600


def test_a_second_holder_is_refused_with_the_first_ones_pid(config: Config) -> None:
    with (
        hold(config, wait=False, purpose="publisher run --once"),
        pytest.raises(LockError) as caught,
    ):
        StoreLock(lock_path(config)).acquire(wait=False)
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message
    assert "publisher run --once" in message
    assert "--wait" in message


def test_released_lock_can_be_taken_again_and_names_nobody(config: Config) -> None:
    with hold(config, wait=False):
        pass
    assert describe_holder(lock_path(config)) == "another process"
    with hold(config, wait=False), pytest.raises(LockError, match="the store is busy"):
        StoreLock(lock_path(config)).acquire(wait=False)


def test_waiting_gives_up_after_the_timeout(config: Config) -> None:
    with hold(config, wait=False):
        started = time.monotonic()
        with pytest.raises(LockError, match=r"gave up after 0\.3 s"):
            StoreLock(lock_path(config)).acquire(wait=True, timeout=0.3)
        assert time.monotonic() - started < 3


def test_a_waiter_gets_the_lock_when_the_holder_releases(config: Config) -> None:
    first = StoreLock(lock_path(config))
    first.acquire(wait=False)
    releaser = threading.Timer(0.3, first.release)
    releaser.start()
    second = StoreLock(lock_path(config))
    try:
        assert second.acquire(wait=True, timeout=10)
    finally:
        second.release()
        releaser.join()


def test_a_stop_request_ends_the_wait_without_the_lock(config: Config) -> None:
    stop = threading.Event()
    with hold(config, wait=False):
        threading.Timer(0.2, stop.set).start()
        waiter = StoreLock(lock_path(config))
        assert waiter.acquire(wait=True, stop=stop) is False
    # The waiter holds nothing: a third process takes the lock at once.
    with hold(config, wait=False):
        pass


def test_a_killed_holder_does_not_block_for_ever(config: Config) -> None:
    path = lock_path(config)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from publisher.run.lock import StoreLock
        StoreLock(Path({str(path)!r}), "holder").acquire(wait=False)
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockError, match=f"pid {holder.pid}"):
            StoreLock(path).acquire(wait=False)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        survivor = StoreLock(path)
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
        hold(config, wait=False, purpose="publisher build"),
        pytest.raises(LockError) as caught,
    ):
        StoreLock(lock_path(config)).acquire(wait=False)
    # Asia/Taipei, the default site.timezone, as every other time a command shows.
    assert re.search(r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\)", str(caught.value))


def test_a_command_that_waits_says_so_and_for_whom(config: Config, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    command = [sys.executable, "-m", "publisher", "build", "--wait"]
    with hold(config, wait=False, purpose="publisher run"):
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
