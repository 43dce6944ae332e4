"""`publisher run` as a real process against a real SMTP server on 127.0.0.1.

No test sleeps to synchronise: each polls for an effect it can see (a mail arrived, a line
in the log, the process ended) until a deadline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import stat
import subprocess
import sys
import threading
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from smtpserver import DROP_AFTER_DATA, Handler, SmtpServer, free_port

from publisher import config as config_module
from publisher.cli import exits, parser
from publisher.config import Config
from publisher.mail import subscribers
from publisher.records import Script
from publisher.run import daemon, daily, logs
from publisher.store import Store

pytestmark = pytest.mark.engines

REPO = Path(__file__).resolve().parents[1]
DEADLINE = 30.0


# -- the trigger, with a fixed now ----------------------------------------------------------


def test_trigger_fires_at_schedule_time_in_the_site_zone(tmp_path: Path) -> None:
    config = write_config(tmp_path, zone="Asia/Taipei", time="07:00", smtp_port=25)
    taipei = zoneinfo.ZoneInfo("Asia/Taipei")
    before = dt.datetime(2025, 12, 14, 6, 59, 59, tzinfo=taipei)
    after = dt.datetime(2025, 12, 14, 7, 0, 1, tzinfo=taipei)
    fire = daemon.trigger(config).get_next_fire_time(None, before)
    assert fire == dt.datetime(2025, 12, 14, 7, 0, tzinfo=taipei)
    assert daemon.trigger(config).get_next_fire_time(None, after) == fire + dt.timedelta(days=1)
    # The same instant seen from UTC: the zone is the config's, not the caller's.
    assert daemon.trigger(config).get_next_fire_time(None, before.astimezone(dt.UTC)) == fire


def test_trigger_keeps_local_time_across_a_dst_change(tmp_path: Path) -> None:
    config = write_config(tmp_path, zone="Europe/Berlin", time="07:00", smtp_port=25)
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    saturday = dt.datetime(2026, 3, 28, 8, 0, tzinfo=berlin)  # clocks go forward on Sunday
    fire = daemon.trigger(config).get_next_fire_time(None, saturday)
    assert fire is not None
    assert (fire.hour, fire.utcoffset()) == (7, dt.timedelta(hours=2))


def test_at_overrides_the_time_to_the_second(tmp_path: Path) -> None:
    config = write_config(tmp_path, zone="UTC", time="07:00", smtp_port=25)
    now = dt.datetime(2025, 12, 14, 9, 0, tzinfo=dt.UTC)
    fire = daemon.trigger(config, dt.time(9, 0, 3)).get_next_fire_time(None, now)
    assert fire == dt.datetime(2025, 12, 14, 9, 0, 3, tzinfo=dt.UTC)


def test_run_and_serve_have_help() -> None:
    commands = next(
        action for action in parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    assert helps["run"] and helps["serve"]
    for name in ("run", "serve"):
        assert all(action.help for action in commands.choices[name]._actions), name


# -- a real daemon --------------------------------------------------------------------------


def quiet_zone() -> str:
    """A zone where it is not near midnight now, so 'today' cannot change under a test."""
    for name in ("UTC", "Asia/Taipei", "America/New_York"):
        if 1 <= dt.datetime.now(zoneinfo.ZoneInfo(name)).hour <= 22:
            return name
    raise AssertionError("unreachable: the zones are five hours or more apart")


def write_config(
    root: Path, *, zone: str, time: str, smtp_port: int, smtp_extra: str = ""
) -> Config:
    path = root / "config.toml"
    path.write_text(
        f"""
[site]
base_url = "https://news.example.org/"
timezone = "{zone}"
[delivery]
backend = "smtp"
[delivery.smtp]
host = "127.0.0.1"
port = {smtp_port}
timeout = 10
{smtp_extra}
[schedule]
time = "{time}"
log_file = "logs/publisher.log"
""",
        encoding="utf-8",
    )
    return config_module.load(path)


def prepare(root: Path, batch: Path, smtp_port: int, readers: int, time: str = "00:00") -> Config:
    """A site with today's batch waiting in the inbox and `readers` active subscribers."""
    config = write_config(root, zone=quiet_zone(), time=time, smtp_port=smtp_port)
    inbox = config.path(config.schedule.inbox_dir)
    inbox.mkdir()
    (inbox / "news.txt").write_bytes(batch.read_bytes())
    now = dt.datetime.now(config.site.zone)
    with Store(config.storage) as store:
        for number in range(readers):
            script = Script.HANT if number % 2 else Script.HANS
            subscribers.add(store, f"reader{number}@example.org", script, now)
    return config


class Publisher:
    """`python -m publisher --config … ARGS` with its log in a file we can poll."""

    def __init__(self, config: Config, *args: str, name: str = "run") -> None:
        self.log = config.root / f"{name}.stderr"
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "publisher",
                    "--config",
                    str(config.root / "config.toml"),
                    *args,
                ],
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    @property
    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, needle: str) -> None:
        until(lambda: needle in self.text, f"{needle!r} in the log:\n{self.text}")

    def stop(self, timeout: float = 10) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def finish(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def until(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(Handler()) as server:
        yield server


@pytest.fixture
def started() -> Iterator[list[Publisher]]:
    """Every process a test starts is ended, whatever the test's outcome."""
    processes: list[Publisher] = []
    yield processes
    for process in processes:
        process.finish()


def recipients(server: SmtpServer) -> Counter[str]:
    return Counter(address for item in server.handler.received for address in item.rcpt_tos)


def assert_each_once(server: SmtpServer, readers: int) -> None:
    counts = recipients(server)
    assert sorted(counts) == sorted(f"reader{n}@example.org" for n in range(readers))
    assert set(counts.values()) == {1}, f"duplicates: {counts.most_common(3)}"


def day_finished(config: Config) -> bool:
    with Store(config.storage) as store:
        row = store.db.execute("SELECT finished FROM runs").fetchone()
    return row is not None and row[0] is not None


def test_catch_up_at_start_sends_once_and_a_restart_sends_nothing(
    tmp_path: Path, news_path: Path, smtp: SmtpServer, started: list[Publisher]
) -> None:
    config = prepare(tmp_path, news_path, smtp.port, readers=4)
    first = Publisher(config, "run", name="first")
    started.append(first)
    first.wait_for_log("running it now")
    until(lambda: day_finished(config), "the day to be recorded as complete")
    first.wait_for_log("mails sent 4, failed 0, uncertain 0")
    assert first.stop() == 0
    assert_each_once(smtp, 4)
    assert (config.path("inbox") / "done" / "news.txt").is_file()
    assert "mails sent 4" in config.path("logs/publisher.log").read_text(encoding="utf-8")

    second = Publisher(config, "run", name="second")
    started.append(second)
    second.wait_for_log("nothing due at start-up; next run at")
    assert second.stop() == 0
    assert_each_once(smtp, 4)


def test_the_cron_trigger_fires_a_few_seconds_ahead(
    tmp_path: Path, news_path: Path, smtp: SmtpServer, started: list[Publisher]
) -> None:
    config = prepare(tmp_path, news_path, smtp.port, readers=2, time="23:59")
    soon = (dt.datetime.now(config.site.zone) + dt.timedelta(seconds=5)).time()
    at = soon.replace(microsecond=0).isoformat()
    publisher = Publisher(config, "run", "--at", at)
    started.append(publisher)
    publisher.wait_for_log("nothing due at start-up; next run at")
    assert f"T{at}" in publisher.text
    assert smtp.handler.count() == 0
    until(lambda: smtp.handler.count() == 2, "both mails, after the trigger fired")
    publisher.wait_for_log("mails sent 2")
    assert publisher.stop() == 0
    assert_each_once(smtp, 2)


def test_sigterm_mid_send_stops_cleanly_and_a_restart_sends_the_rest_once(
    tmp_path: Path, news_path: Path, started: list[Publisher]
) -> None:
    readers = 24
    with SmtpServer(Handler(delay=0.15)) as smtp:  # about 4 s of sending in all
        config = prepare(tmp_path, news_path, smtp.port, readers=readers)
        first = Publisher(config, "run", name="first")
        started.append(first)
        until(lambda: smtp.handler.count() >= 3, "the first mails")
        stopped_at = time.monotonic()
        assert first.stop() == 0
        assert time.monotonic() - stopped_at < 5, "a stop takes a few seconds at most"
        assert "stopping after the message in flight" in first.text
        assert 3 <= smtp.handler.count() < readers
        assert not day_finished(config)

        second = Publisher(config, "run", "--once", name="second")
        started.append(second)
        assert second.process.wait(timeout=DEADLINE) == 0, second.text
        assert day_finished(config)
        assert_each_once(smtp, readers)


def test_run_once_exits_1_while_the_day_has_uncertain_mail(
    tmp_path: Path, news_path: Path, smtp: SmtpServer, started: list[Publisher]
) -> None:
    config = prepare(tmp_path, news_path, smtp.port, readers=3)
    smtp.handler.plan("reader1@example.org", DROP_AFTER_DATA)
    for name in ("first", "again"):  # the second run sends nothing: the day is what counts
        once = Publisher(config, "run", "--once", name=name)
        started.append(once)
        assert once.process.wait(timeout=DEADLINE) == 1, once.text
    assert_each_once(smtp, 3)


def test_two_runs_at_once_only_one_works(
    tmp_path: Path, news_path: Path, started: list[Publisher]
) -> None:
    readers = 12
    with SmtpServer(Handler()) as smtp:
        # The relay holds the first run's first mail until both other processes have met
        # the lock, however slowly they start.
        smtp.handler.hold()
        config = prepare(tmp_path, news_path, smtp.port, readers=readers)
        working = Publisher(config, "run", "--once", name="working")
        started.append(working)
        until(lambda: len(smtp.handler.attempts) >= 1, "the first run to be sending")

        refused = Publisher(config, "run", "--once", "--no-wait", name="refused")
        started.append(refused)
        assert refused.process.wait(timeout=DEADLINE) == exits.BUSY  # not a mail failure
        assert f"pid {working.process.pid}" in refused.text
        assert "the store is busy" in refused.text

        waiting = Publisher(config, "run", "--once", "--wait", name="waiting")
        started.append(waiting)
        waiting.wait_for_log(f"held by pid {working.process.pid}")
        smtp.handler.release()
        assert working.process.wait(timeout=DEADLINE) == 0, working.text
        assert waiting.process.wait(timeout=DEADLINE) == 0, waiting.text
        assert "already complete, nothing to do" in waiting.text
        assert_each_once(smtp, readers)


# -- retry after an incomplete run (in-process) ---------------------------------------------


@pytest.fixture
def scheduled(tmp_path: Path) -> Iterator[daemon.Daemon]:
    """A started scheduler whose daily run is about a day away, and its Daemon."""
    # One attempt, one failure and the run gives up: no back-off to wait through.
    config = write_config(
        tmp_path,
        zone="UTC",
        time="07:00",
        smtp_port=free_port(),
        smtp_extra="max_attempts = 1\nmax_consecutive_failures = 1",
    )
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).time().replace(microsecond=0)
    scheduler = daemon.new_scheduler(config)
    runner = daemon.Daemon(config, scheduler, threading.Event(), wait=False)
    scheduler.add_job(daemon.scheduled_run, daemon.trigger(config, at), args=[runner], id="daily")
    scheduler.start(paused=True)
    try:
        yield runner
    finally:
        scheduler.shutdown(wait=False)


def retry_in(runner: daemon.Daemon) -> dt.timedelta | None:
    job = runner.scheduler.get_job(daemon.RETRY_ID)
    if job is None:
        return None
    left: dt.timedelta = job.next_run_time - dt.datetime.now(dt.UTC)
    return left


def test_a_run_that_raises_is_logged_and_tried_again_later(
    scheduled: daemon.Daemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(daily, "run_day", broken)
    daemon.scheduled_run(scheduled)
    assert "disk on fire" in caplog.text
    wait = retry_in(scheduled)
    assert wait is not None and dt.timedelta(minutes=14) < wait <= daemon.RETRY_AFTER


def test_no_retry_when_stopping_or_when_the_next_run_comes_first(
    scheduled: daemon.Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("again")

    monkeypatch.setattr(daily, "run_day", broken)
    scheduled.stop.set()
    daemon.scheduled_run(scheduled)
    assert retry_in(scheduled) is None
    scheduled.stop.clear()
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).time()
    scheduled.scheduler.reschedule_job("daily", trigger=daemon.trigger(scheduled.config, soon))
    daemon.scheduled_run(scheduled)
    assert retry_in(scheduled) is None, "the daily run in 5 minutes comes before a retry"


def test_a_relay_that_is_down_leaves_the_day_incomplete_and_due_again(
    scheduled: daemon.Daemon, news_path: Path
) -> None:
    config = scheduled.config
    inbox = config.path(config.schedule.inbox_dir)
    inbox.mkdir()
    (inbox / "news.txt").write_bytes(news_path.read_bytes())
    with Store(config.storage) as store:
        subscribers.add(store, "reader@example.org", Script.HANT, dt.datetime.now(dt.UTC))
    daemon.scheduled_run(scheduled)  # nothing listens on the SMTP port
    assert retry_in(scheduled) is not None
    assert not day_finished(config)


def test_a_relay_that_does_not_speak_the_tls_setting_is_attention_not_a_retry(
    scheduled: daemon.Daemon,
    smtp: SmtpServer,
    news_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """TLS against a plaintext relay: no retry mends it (issue 26.9). `run --once` says 1,
    not 75, and the daemon does not try again within the day; the day stays unfinished,
    for the run after the setting is fixed."""
    config = write_config(
        scheduled.config.root,
        zone="UTC",
        time="07:00",
        smtp_port=smtp.port,
        smtp_extra='security = "tls"',
    )
    scheduled.config = config
    inbox = config.path(config.schedule.inbox_dir)
    inbox.mkdir()
    (inbox / "news.txt").write_bytes(news_path.read_bytes())
    with Store(config.storage) as store:
        subscribers.add(store, "reader@example.org", Script.HANT, dt.datetime.now(dt.UTC))
    assert exits.of_day(daemon.run_once(config)) == exits.ATTENTION
    daemon.scheduled_run(scheduled)
    assert retry_in(scheduled) is None
    assert "delivery.smtp.security" in caplog.text
    assert not day_finished(config)
    assert smtp.handler.count() == 0


def test_the_log_file_is_made_readable_by_its_owner_only_and_again_after_rotation(
    tmp_path: Path,
) -> None:
    """Issue 26.11: its warnings are about subscribers; it was created 0644."""
    config = write_config(tmp_path, zone="UTC", time="07:00", smtp_port=free_port())
    handler = logs.add_log_file(config)
    assert handler is not None
    path = config.path(config.schedule.log_file)
    try:
        logging.getLogger("publisher").warning("first")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        path.rename(path.with_name("publisher.log.1"))  # as logrotate does
        logging.getLogger("publisher").warning("second")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "second" in path.read_text(encoding="utf-8")
