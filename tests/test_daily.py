"""The daily run: inbox moves, the catch-up decision, and one whole run against an outbox."""

from __future__ import annotations

import datetime as dt
import mailbox
import os
import threading
from pathlib import Path

import pytest

from conftest import TAIPEI, make_config
from publisher.config import Config
from publisher.mail import subscribers
from publisher.records import Script
from publisher.run import daily
from publisher.store import Store

pytestmark = pytest.mark.engines

DAY = dt.date(2025, 12, 14)
MORNING = dt.datetime(2025, 12, 14, 6, 59, tzinfo=TAIPEI)  # schedule.time is 07:00
LATER = dt.datetime(2025, 12, 14, 9, 30, tzinfo=TAIPEI)


def outbox(config: Config) -> list[bytes]:
    return [message.as_bytes() for message in mailbox.Maildir(config.path("outbox"))]


@pytest.fixture
def inbox(config: Config) -> Path:
    folder = config.path(config.schedule.inbox_dir)
    folder.mkdir()
    return folder


# -- inbox ----------------------------------------------------------------------------------


def test_inbox_files_skips_folders_hidden_and_half_uploaded_files(inbox: Path) -> None:
    for name in ("b.txt", "a.txt", ".hidden.txt", "c.txt.part", "d.tmp", "e.txt~"):
        (inbox / name).write_text("x")
    (inbox / "done").mkdir()
    (inbox / "link.txt").symlink_to(inbox / "a.txt")
    assert [path.name for path in daily.inbox_files(inbox)] == ["a.txt", "b.txt"]


def test_inbox_files_of_a_missing_inbox_is_empty(tmp_path: Path) -> None:
    assert daily.inbox_files(tmp_path / "nowhere") == []


def test_file_away_never_overwrites_an_earlier_file(inbox: Path) -> None:
    done = inbox / "done"
    for body in ("first", "second", "third"):
        (inbox / "2025-12-14.txt").write_text(body)
        daily.file_away(inbox / "2025-12-14.txt", done)
    assert sorted(path.name for path in done.iterdir()) == [
        "2025-12-14.1.txt",
        "2025-12-14.2.txt",
        "2025-12-14.txt",
    ]
    assert (done / "2025-12-14.txt").read_text() == "first"
    assert (done / "2025-12-14.2.txt").read_text() == "third"
    assert not (inbox / "2025-12-14.txt").exists()


def test_file_away_finishes_a_move_cut_short_between_link_and_unlink(inbox: Path) -> None:
    done = inbox / "done"
    done.mkdir()
    (done / "batch.txt").write_text("older batch of the same name")
    (inbox / "batch.txt").write_text("this batch")
    os.link(inbox / "batch.txt", done / "batch.1.txt")  # the crash came after this step
    moved = daily.file_away(inbox / "batch.txt", done)
    assert moved == done / "batch.1.txt"
    assert sorted(path.name for path in done.iterdir()) == ["batch.1.txt", "batch.txt"]
    assert not (inbox / "batch.txt").exists()


def test_rejected_file_gets_its_reason_beside_it(inbox: Path) -> None:
    (inbox / "bad.txt").write_text("only a title")
    moved = daily.file_away(inbox / "bad.txt", inbox / "rejected", "line 1: no body")
    assert moved.read_text() == "only a title"
    assert (inbox / "rejected" / "bad.txt.error.txt").read_text() == "line 1: no body\n"


def test_ingest_inbox_moves_good_files_to_done_and_bad_ones_to_rejected(
    config: Config, store: Store, inbox: Path, news_path: Path
) -> None:
    (inbox / "2025-12-14.txt").write_bytes(news_path.read_bytes())
    (inbox / "broken.txt").write_text("標題一\n沒有來源的內文\n標題二\n", encoding="utf-8")
    outcomes = daily.ingest_inbox(config, store, LATER)
    assert [(o.path.name, o.added, o.error is None) for o in outcomes] == [
        ("2025-12-14.txt", 8, True),
        ("broken.txt", 0, False),
    ]
    assert daily.inbox_files(inbox) == []
    assert (inbox / "done" / "2025-12-14.txt").read_bytes() == news_path.read_bytes()
    reason = (inbox / "rejected" / "broken.txt.error.txt").read_text(encoding="utf-8")
    assert "broken.txt" in reason and "line" in reason and "nothing of it was stored" in reason
    assert len(store.articles(day=DAY)) == 8


# -- when a run is due ----------------------------------------------------------------------


def test_scheduled_at_is_the_configured_time_in_the_site_zone(tmp_path: Path) -> None:
    config = make_config(tmp_path, '[schedule]\ntime = "07:15"\n')
    at = daily.scheduled_at(config, DAY)
    assert at.isoformat() == "2025-12-14T07:15:00+08:00"
    assert daily.scheduled_at(config, DAY, dt.time(7, 0, 5)).second == 5


def test_due_only_after_the_time_and_until_the_day_is_complete(
    config: Config, store: Store
) -> None:
    assert not daily.run_due(store, MORNING, config)
    assert daily.run_due(store, LATER, config)
    store.record_run_start(DAY, LATER)
    assert daily.run_due(store, LATER, config), "a run that started but did not finish is due"
    store.record_run_end(DAY, LATER, "done")
    assert not daily.run_due(store, LATER, config)
    assert daily.run_due(store, LATER + dt.timedelta(days=1), config)


def test_due_reads_the_day_in_the_site_zone(config: Config, store: Store) -> None:
    # 23:30 UTC on the 13th is 07:30 on the 14th in Taipei: the 14th's run is due.
    late_utc = dt.datetime(2025, 12, 13, 23, 30, tzinfo=dt.UTC)
    assert daily.today(config, late_utc) == DAY
    assert daily.run_due(store, late_utc, config)


# -- whole runs -----------------------------------------------------------------------------


@pytest.fixture
def readers(store: Store) -> list[str]:
    emails = ["hant@example.org", "hans@example.org"]
    subscribers.add(store, emails[0], Script.HANT, LATER)
    subscribers.add(store, emails[1], Script.HANS, LATER)
    return emails


def test_a_run_ingests_builds_archives_sends_and_records_the_day(
    config: Config, store: Store, inbox: Path, news_path: Path, readers: list[str]
) -> None:
    (inbox / "news.txt").write_bytes(news_path.read_bytes())  # no date: today in Taipei
    report = daily.run_day(config, store, LATER)
    assert report.complete and not report.already_complete
    assert report.send is not None and report.send.sent == 2
    assert report.build is not None and report.build.written > 0
    assert (config.output_dir / f"zh-Hans/digests/{DAY}.html").is_file(), "the web copy"
    assert (inbox / "done" / "news.txt").is_file()
    assert len(outbox(config)) == 2
    summary = report.summary()
    assert "1 files (0 rejected), 8 articles added" in summary
    assert "mails sent 2, failed 0, uncertain 0" in summary
    row = store.db.execute("SELECT * FROM runs WHERE day = ?", (DAY.isoformat(),)).fetchone()
    assert row["finished"] == LATER.isoformat() and row["summary"] == summary
    assert not daily.run_due(store, LATER, config)


def test_a_completed_day_never_runs_twice(
    config: Config, store: Store, inbox: Path, news_path: Path, readers: list[str]
) -> None:
    (inbox / "news.txt").write_bytes(news_path.read_bytes())
    daily.run_day(config, store, LATER)
    (inbox / "late.txt").write_bytes(news_path.read_bytes())
    again = daily.run_day(config, store, LATER + dt.timedelta(hours=1))
    assert again.already_complete and again.complete
    assert len(outbox(config)) == 2
    assert (inbox / "late.txt").exists(), "a skipped run touches nothing, the inbox included"


def test_a_stopped_run_leaves_the_day_due_and_the_next_run_sends_the_rest(
    config: Config, store: Store, inbox: Path, news_path: Path, readers: list[str]
) -> None:
    (inbox / "news.txt").write_bytes(news_path.read_bytes())
    stop = threading.Event()
    stop.set()  # SIGTERM came before the first message
    first = daily.run_day(config, store, LATER, stop=stop)
    assert not first.complete and "not complete" in first.summary()
    assert daily.run_due(store, LATER, config)
    second = daily.run_day(config, store, LATER + dt.timedelta(minutes=5))
    assert second.complete
    assert len(outbox(config)) == 2
    assert not daily.run_due(store, LATER, config)


def test_a_day_left_unfinished_is_finished_by_the_next_days_run(
    config: Config, store: Store, inbox: Path, news_path: Path, readers: list[str]
) -> None:
    (inbox / "news.txt").write_bytes(news_path.read_bytes())
    stop = threading.Event()
    stop.set()  # stopped before the first mail, and not restarted until the next day
    assert not daily.run_day(config, store, LATER, stop=stop).complete
    next_day = LATER + dt.timedelta(days=1)
    report = daily.run_day(config, store, next_day)
    assert report.day == DAY + dt.timedelta(days=1) and report.complete
    assert daily.completed(store, DAY), "the earlier day was finished and recorded"
    # Two readers, one digest each, from the earlier day; the new day has no articles.
    assert len(outbox(config)) == 2
    assert daily.unfinished(store, next_day.date()) == []
    daily.run_day(config, store, next_day + dt.timedelta(hours=1))
    assert len(outbox(config)) == 2


def test_days_older_than_the_resume_window_are_left_to_the_operator(
    config: Config, store: Store, inbox: Path, news_path: Path, readers: list[str]
) -> None:
    (inbox / "news.txt").write_bytes(news_path.read_bytes())
    stop = threading.Event()
    stop.set()
    daily.run_day(config, store, LATER, stop=stop)
    much_later = LATER + dt.timedelta(days=daily.RESUME_DAYS + 1)
    daily.run_day(config, store, much_later)
    assert outbox(config) == [] and not daily.completed(store, DAY)


def test_a_day_without_articles_completes_without_mail(
    config: Config, store: Store, readers: list[str]
) -> None:
    report = daily.run_day(config, store, LATER)
    assert report.complete and report.send is not None and report.send.sent == 0
    assert outbox(config) == []
