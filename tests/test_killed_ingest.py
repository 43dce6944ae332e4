"""A `publisher ingest` killed with SIGKILL (cron's `timeout -s KILL`, the OOM killer) leaves
no process behind: its conversion worker and multiprocessing's resource tracker end with it
(issue 26.3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import make_config
from publisher.articles import ingest


def heavy_batch(path: Path) -> None:
    """A batch that weighs more than WORKER_BYTES, so its first new articles go to the
    worker process at once."""
    body = "新的記憶體晶片工廠今天開始量產，預計明年產能倍增，附近的小吃店也忙了起來。" * 40
    lines, size, number = [], 0, 0
    while size < ingest.WORKER_BYTES * 1.5:
        lines += [f"第{number}則：晶片廠擴產的一天", f"{body}這是第{number}則。 (範例通訊社)"]
        size += len(lines[-2].encode()) + len(lines[-1].encode()) + 2
        number += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def alive_in_session(session: int) -> list[str]:
    """The processes of `session` that have not ended (a zombie has, and holds nothing)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(f"{entry.name} {command[:100]}")
    return found


def until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition()` came true within `seconds` (looked at every 10 ms)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_killed_ingest_leaves_no_process_of_its_session(tmp_path: Path) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc to find a session's processes in (not Linux)")
    config = make_config(tmp_path)
    batch = tmp_path / "2025-12-14.txt"
    heavy_batch(batch)
    command = [sys.executable, "-m", "publisher", "--config", str(config.root / "config.toml")]
    started = subprocess.Popen(
        [*command, "ingest", str(batch)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    session = started.pid
    try:
        worker = until(lambda: len(alive_in_session(session)) >= 3, 60)
        assert worker, f"no conversion worker started: {alive_in_session(session)}"
        os.kill(started.pid, signal.SIGKILL)
        started.wait()
        assert until(lambda: not alive_in_session(session), 2), alive_in_session(session)
    finally:
        for line in alive_in_session(session):
            os.kill(int(line.split()[0]), signal.SIGKILL)
        started.wait()
