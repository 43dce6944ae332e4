"""The command line as a user and cron meet it: help, exit codes, messages, no tracebacks."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO, make_config
from publisher import config as config_module
from publisher.cli import main, parser
from publisher.store.locks import FileLock, lock_path

pytestmark = pytest.mark.engines


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def commands(
    command_parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for action in command_parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((*path, name, helps.get(name) or sub.description or ""))
                found += commands(sub, (*path, name))
    return found


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    found = commands(parser())
    names = {entry[:-1] for entry in found}
    assert {("init",), ("ingest",), ("build",), ("status",)} <= names
    for *path, summary in found:
        assert summary, f"{' '.join(path)} has no help line"
        with pytest.raises(SystemExit) as exited:
            main([*path, "--help"])
        assert exited.value.code == 0
        text = capsys.readouterr().out
        assert summary in text or len(text.split("\n\n")) > 2, f"{path}: --help says nothing"


def test_main_job_on_the_example_batch(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    ingest = run(tmp_path, "ingest", str(EXAMPLES / "2025-12-14.txt"))
    assert ingest.returncode == 0, ingest.stderr
    assert "3 articles added" in ingest.stdout
    assert "\r" not in ingest.stderr  # no progress bar when output is not a terminal
    again = run(tmp_path, "ingest", str(EXAMPLES / "2025-12-14.txt"))
    assert "nothing new (3 articles already stored)" in again.stdout
    build = run(tmp_path, "build")
    assert build.returncode == 0, build.stderr
    for script in ("zh-Hant", "zh-Hans"):
        assert (tmp_path / "feeds" / script / "atom.xml").is_file()
        assert (tmp_path / "feeds" / script / "index.html").is_file()
    assert (
        run(tmp_path, "subscribers", "add", "r@example.org", "--edition", "zh-Hans").returncode == 0
    )
    send = run(tmp_path, "send", "--date", "2025-12-14")
    assert send.returncode == 0, send.stderr
    [mail] = (tmp_path / "outbox" / "new").iterdir()
    assert "Subject:" in mail.read_text(encoding="utf-8")
    status = run(tmp_path, "status")
    assert "2025-12-14  3" in status.stdout and "範例科技週報" in status.stdout
    assert "last build: 20" in status.stdout
    assert "subscribers: 1 active zh-Hans" in status.stdout
    assert "2025-12-14  1 sent" in status.stdout


def test_bad_file_does_not_stop_the_good_ones(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("標題\n沒有來源\n", encoding="utf-8")
    result = run(tmp_path, "ingest", str(bad), str(EXAMPLES / "2025-12-14.txt"))
    assert result.returncode == 1
    assert f"{bad}:2: no source" in result.stderr
    assert "Traceback" not in result.stderr
    assert "3 articles added" in result.stdout


def test_config_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[feeds]\nmax_entries = 'many'\n", encoding="utf-8")
    result = run(tmp_path, "status")
    assert result.returncode == 1
    assert "feeds.max_entries: must be an integer" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_does_not_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "site.toml"
    assert run(tmp_path, "--config", str(target), "init").returncode == 0
    assert target.read_bytes() == (REPO / "config.toml").read_bytes()
    again = run(tmp_path, "--config", str(target), "init")
    assert again.returncode == 1 and "--force" in again.stderr


def test_bad_date_is_refused_by_the_parser(tmp_path: Path) -> None:
    result = run(tmp_path, "ingest", "x.txt", "--date", "14/12/2025")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


def test_one_shot_commands_respect_the_store_lock(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    assert run(tmp_path, "ingest", str(EXAMPLES / "2025-12-15-simplified.txt")).returncode == 0
    settings = config_module.load(tmp_path / "config.toml")
    holder = FileLock(lock_path(settings.storage), "publisher run")
    assert holder.acquire(wait=False)
    try:
        for command in (["ingest", str(EXAMPLES / "2025-12-14.txt")], ["build"], ["send"]):
            busy = run(tmp_path, *command)
            assert busy.returncode == 69, command  # busy, not failed
            assert f"pid {os.getpid()} (publisher run" in busy.stderr
            assert "--wait" in busy.stderr and "Traceback" not in busy.stderr
        assert run(tmp_path, "status").returncode == 0  # reading needs no lock
    finally:
        holder.release()
    assert run(tmp_path, "ingest", str(EXAMPLES / "2025-12-14.txt")).returncode == 0


def test_subscribers_set_changes_edition_frequency_and_pause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    args = ["--config", str(config.root / "config.toml"), "subscribers"]
    assert main([*args, "add", "reader@example.org", "--edition", "zh-Hant"]) == 0
    change = ["--edition", "zh-Hans", "--frequency", "weekly", "--weekday", "mon"]
    assert main([*args, "set", "reader@example.org", *change, "--pause-until", "2099-01-05"]) == 0
    assert capsys.readouterr().out.endswith(
        "reader@example.org: zh-Hans, weekly on mon, paused until 2099-01-05, all sources\n"
    )
    assert main([*args, "set", "reader@example.org", "--frequency", "daily", "--resume"]) == 0
    assert capsys.readouterr().out.endswith("reader@example.org: zh-Hans, daily, all sources\n")
    assert main([*args, "set", "reader@example.org", "--frequency", "weekly"]) == 1
    assert "weekly needs a weekday" in capsys.readouterr().err
