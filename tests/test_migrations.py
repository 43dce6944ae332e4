"""Schema migrations: a store written by the first release (0.1.0) opens in this one with
every row kept, and the schema's version is checked, never assumed.

tests/data/store-0.1.0.sql is the `.dump` of a store that release made from examples/: the
articles ingested, the site built, four subscribers added, a digest sent, one of them
unsubscribed, a pending sign-up, and deliveries and runs in each state. It is frozen: never
regenerate it with a newer publisher.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest

from conftest import make_config
from publisher.articles.ingest import ingest_file
from publisher.cli import main
from publisher.config import Config
from publisher.editions import Editions
from publisher.errors import StorageError
from publisher.records import DeliveryStatus, DigestKind, Frequency, Settlement, SubscriberStatus
from publisher.site.build import build
from publisher.store import Store, migrations

NOW = dt.datetime(2025, 12, 15, 9, 0, tzinfo=dt.UTC)
DUMP = Path(__file__).parent / "data" / "store-0.1.0.sql"
# Every table of the first release with its columns then: what an upgrade must keep. Two
# change on purpose, and tests/test_entry_times.py keeps them: an article's `published`
# (each its own time, in its day's order) and the outputs' fingerprints, forgotten so that
# the next build writes those times.
FIRST_RELEASE = {
    "articles": "key, batch_date, position, script, title, body, source, source_file, ingested",
    "conversions": "key, signature, title, body, source",
    "builds": "id, finished, written, unchanged, seconds",
    "subscribers": "id, email, email_key, script, status, name, created, confirmed, unsubscribed",
    "deliveries": "id, digest_date, script, subscriber_id, status, attempts, last_error,"
    " message_id, updated",
    "runs": "day, started, finished, summary",
}


def first_release_store(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Write the frozen 0.1.0 store at `path`; returns its rows, table by table."""
    with sqlite3.connect(path) as db:
        db.executescript(DUMP.read_text(encoding="utf-8"))
    return rows_of(path)


def rows_of(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        found = {
            table: db.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2").fetchall()
            for table, columns in FIRST_RELEASE.items()
        }
    db.close()
    return found


def store_before(config: Config, monkeypatch: pytest.MonkeyPatch, summary: str) -> migrations.Step:
    """The frozen first-release store, brought up to the step before the one whose summary
    begins with `summary`; returns that step."""
    step = next(s for s in migrations.STEPS if s.summary.startswith(summary))
    first_release_store(config.storage.path)
    earlier = tuple(s for s in migrations.STEPS if s.version < step.version)
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", earlier)
        patch.setattr(migrations, "LATEST", earlier[-1].version)
        Store(config.storage).close()
    return step


def test_a_first_release_store_upgrades_with_every_row_kept(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    before = first_release_store(config.storage.path)
    assert all(before.values()), "the frozen store has rows in every table"

    with Store(config.storage) as store:
        assert store.schema_version == migrations.LATEST
        assert store.upgraded == list(migrations.STEPS[1:])

        # The records the program reads from it.
        assert len(store.articles()) == 4
        people = {person.email: person.status for person in store.subscribers()}
        assert people == {
            "ann@example.org": SubscriberStatus.ACTIVE,
            "bo@example.org": SubscriberStatus.ACTIVE,
            "cy@example.org": SubscriberStatus.ACTIVE,
            "dee@example.org": SubscriberStatus.UNSUBSCRIBED,
            "eve@example.org": SubscriberStatus.PENDING,
        }
        sent_day, next_day = dt.date(2025, 12, 14), dt.date(2025, 12, 15)
        counts = store.delivery_counts(sent_day)
        assert counts[DeliveryStatus.SENT] == 2
        assert counts[DeliveryStatus.UNCERTAIN] == counts[DeliveryStatus.FAILED] == 1
        assert [row.message_id for row in store.uncertain_deliveries(sent_day)] == ["<x@y>"]
        assert store.unfinished_runs(next_day + dt.timedelta(days=1), sent_day) == [next_day]
    assert rows_of(config.storage.path) == before, "every row of every table is kept as it was"


def test_the_upgrade_keeps_a_private_copy_of_the_old_store(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    before = first_release_store(config.storage.path)
    Store(config.storage).close()
    backup = config.storage.path.with_name("publisher.db.schema-1.bak")
    if migrations.LATEST == 1:
        pytest.skip("no migration after the first release yet")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600, "it holds the subscriber list"
    assert rows_of(backup) == before


def test_an_upgraded_store_builds_and_then_rebuilds_nothing(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first_release_store(config.storage.path)
    with Store(config.storage) as store:
        first = build(config, store, NOW)
        again = build(config, store, NOW)
    assert first.written > 0
    assert again.written == 0


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    Store(config.storage).close()
    with sqlite3.connect(config.storage.path) as db:
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (99,))
    db.close()
    with pytest.raises(StorageError, match="schema version 99, newer than this publisher"):
        Store(config.storage)


def test_a_failing_step_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    before = first_release_store(config.storage.path)
    broken = migrations.Step(
        migrations.LATEST + 1,
        "a step that fails halfway",
        {migrations.ANY: ("CREATE TABLE extra (x INTEGER)", "SELECT * FROM no_such_table")},
    )
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, broken))
    monkeypatch.setattr(migrations, "LATEST", broken.version)
    with pytest.raises(StorageError, match="no_such_table"):
        Store(config.storage)
    with sqlite3.connect(config.storage.path) as db:
        version = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert version == ("1",)
    assert "extra" not in tables
    assert rows_of(config.storage.path) == before


def test_a_step_that_leaves_rows_pointing_at_nothing_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Deferred, the reference is checked only at COMMIT, which would fail without saying
    # which step or table: the check after each step names both.
    config = make_config(tmp_path)
    before = first_release_store(config.storage.path)
    careless = migrations.Step(
        migrations.LATEST + 1,
        "a step that drops subscribers who still have deliveries",
        {migrations.ANY: ("PRAGMA defer_foreign_keys = ON", "DELETE FROM subscribers")},
    )
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, careless))
    monkeypatch.setattr(migrations, "LATEST", careless.version)
    with pytest.raises(StorageError) as refused:
        Store(config.storage)
    assert f"cannot upgrade the schema to version {careless.version}" in str(refused.value)
    assert "point at no row, the first deliveries 1 → subscribers" in str(refused.value)
    assert rows_of(config.storage.path) == before


def test_db_status_and_upgrade_say_where_the_store_stands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    first_release_store(config.storage.path)
    assert main(["--config", str(config.root / "config.toml"), "db", "status"]) == 0
    shown = capsys.readouterr().out
    assert "schema: version 1" in shown
    assert f"knows up to {migrations.LATEST}" in shown
    assert main(["--config", str(config.root / "config.toml"), "db", "upgrade"]) == 0
    main(["--config", str(config.root / "config.toml"), "db", "status"])
    assert f"schema: version {migrations.LATEST}" in capsys.readouterr().out


def test_db_status_without_a_store_says_how_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    assert main(["--config", str(config.root / "config.toml"), "db", "status"]) == 1
    assert "no store here yet" in capsys.readouterr().err
    assert not config.storage.exists()


def test_an_upgraded_store_takes_bounced_subscribers_and_keeps_its_foreign_keys(
    tmp_path: Path,
) -> None:
    """Step 2 rebuilds subscribers and deliveries: ids and references must survive."""
    config = make_config(tmp_path)
    first_release_store(config.storage.path)
    with Store(config.storage) as store:
        ann = next(p for p in store.subscribers() if p.email == "ann@example.org")
        store.set_subscriber_status(ann.id, SubscriberStatus.BOUNCED, NOW)
        assert store.subscriber(ann.id) is not None
        assert store.subscriber(ann.id).status is SubscriberStatus.BOUNCED  # type: ignore[union-attr]
        assert store.deliveries_of(ann.id), "her deliveries still point at her"
    with sqlite3.connect(config.storage.path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()


def test_steps_are_numbered_without_gaps() -> None:
    """A store at version N has had exactly steps 1..N: two branches that number a step
    alike, or skip one, would leave some stores without a step."""
    assert [step.version for step in migrations.STEPS] == list(range(1, migrations.LATEST + 1))


def test_a_store_before_the_preferences_step_upgrades_with_its_rows_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preferences step adds columns and a table: every row reads as before it, daily,
    unpaused and with every source."""
    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "the reader's preferences")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        assert step in store.upgraded
        people = store.subscribers()
        assert {p.email for p in people} >= {"ann@example.org", "dee@example.org"}
        assert {(p.frequency, p.weekday, p.paused_until, p.link_generation) for p in people} == {
            (Frequency.DAILY, None, None, 0)
        }
        ann = next(p for p in people if p.email == "ann@example.org")
        assert store.opted_out_sources(ann.id) == frozenset()
        pause = dt.date(2026, 1, 5)
        store.set_subscriber_preferences(
            ann.id, ann.script, Frequency.WEEKLY, 0, pause, frozenset({"範例日報"})
        )
        assert store.opted_out_sources(ann.id) == {"範例日報"}
        changed = store.subscriber(ann.id)
        assert changed is not None and (changed.frequency, changed.paused_until) == (
            Frequency.WEEKLY,
            pause,
        )
    assert rows_of(config.storage.path) == before


def test_conversions_of_the_first_release_keep_their_text_and_count_as_never_corrected(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    before = first_release_store(config.storage.path)["conversions"]
    with Store(config.storage) as store:
        kept = [
            (each.key, each.signature, each.text.title, each.text.body, each.text.source)
            for row in before
            for each in store.conversions_of(str(row[0]))
        ]
        assert sorted(kept) == sorted(before)
        assert all(
            each.corrected is None for row in before for each in store.conversions_of(str(row[0]))
        )
        # The first build after the upgrade converts under today's settings and, where the
        # text reads the same, notes no correction.
        build(config, store, NOW)
        for row in before:
            newest = store.conversions_of(str(row[0]))[-1]
            assert newest.made == NOW


def test_a_store_at_the_step_before_conversion_times_upgrades_with_its_rows_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "when conversions were")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        later = [s.version for s in migrations.STEPS if s.version >= step.version]
        assert [s.version for s in store.upgraded] == later
    assert rows_of(config.storage.path) == before


def test_a_store_before_the_sign_up_step_upgrades_and_its_pending_sign_up_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 7 (issue 7.14): the pending sign-up of the frozen store starts its time at its
    creation, so its link's week runs from then; everyone else keeps every row."""
    from publisher.mail import subscribers

    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "confirm links per")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        assert step in store.upgraded
        people = store.subscribers()
        (pending,) = [p for p in people if p.status is SubscriberStatus.PENDING]
        assert pending.signed_up == pending.created
        assert {p.signed_up for p in people if p is not pending} == {None}
        assert {p.confirm_mailed for p in people} == {None}
        week = dt.timedelta(days=7)
        stamp = subscribers.sign_up_stamp(pending)
        assert subscribers.stale_link(pending, stamp, pending.created + week, week) is None
        later = pending.created + week + dt.timedelta(seconds=1)
        assert subscribers.stale_link(pending, stamp, later, week) == "the confirm link has expired"
    assert rows_of(config.storage.path) == before


def test_a_store_before_the_editions_step_keeps_its_readers_in_their_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editions step adds a subscriber's edition: every existing reader reads '' and so
    gets the first edition of their script, on today's site and on a regional one."""
    (step,) = [s for s in migrations.STEPS if "edition" in s.summary]
    config = make_config(tmp_path)
    first_release_store(config.storage.path)
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", migrations.STEPS[: step.version - 1])
        patch.setattr(migrations, "LATEST", step.version - 1)
        Store(config.storage).close()
    before = rows_of(config.storage.path)
    regional = make_config(
        tmp_path, '[[editions]]\ntag = "zh-Hant-TW"\n[[editions]]\ntag = "zh-Hans-CN"\n'
    )
    with Store(config.storage) as store:
        assert step in store.upgraded
        people = {p.email: p for p in store.subscribers()}
    assert {p.edition for p in people.values()} == {""}
    for chosen, expected in (
        (config, ("zh-Hant", "zh-Hans")),
        (regional, ("zh-Hant-TW", "zh-Hans-CN")),
    ):
        editions = Editions.from_config(chosen)
        ann, bo = people["ann@example.org"], people["bo@example.org"]
        assert (
            editions.of(ann.script, ann.edition).tag,
            editions.of(bo.script, bo.edition).tag,
        ) == expected
    assert rows_of(config.storage.path) == before


def test_a_store_before_article_generations_upgrades_and_its_next_day_builds_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, news_path: Path
) -> None:
    config = make_config(tmp_path)
    first_release_store(config.storage.path)
    step = next(s for s in migrations.STEPS if s.summary.startswith("articles remember"))
    earlier = tuple(s for s in migrations.STEPS if s.version < step.version)
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", earlier)
        patch.setattr(migrations, "LATEST", earlier[-1].version)
        Store(config.storage).close()
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        later = [s.version for s in migrations.STEPS if s.version >= step.version]
        assert [s.version for s in store.upgraded] == later
        assert rows_of(config.storage.path) == before
        assert store.added_since(0) == {}  # stored before the step: older than any build
        ingest_file(config, store, news_path, day=NOW.date(), now=NOW)
        assert len(store.added_since(store.generation() - 1)) == 8
        written = build(config, store, NOW).written
    assert written > 0


def test_a_store_before_weekly_deliveries_upgrades_with_its_rows_kept_as_daily(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weekly step rebuilds `deliveries` on SQLite: every row stays, reads as a daily
    delivery, and the same reader and date can now have a weekly row and a skipped one."""
    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "weekly deliveries")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        later = [each.version for each in migrations.STEPS if each.version >= step.version]
        assert [each.version for each in store.upgraded] == later, "from step 9"
        days = store.delivery_days(10)
        total = sum(sum(store.delivery_counts(each).values()) for each in days)
        assert total == len(before["deliveries"])
        day = days[0]
        counts = store.delivery_counts(day)
        person = next(p for p in store.subscribers() if p.email == "ann@example.org")
        assert {row.kind for row in store.deliveries_of(person.id)} == {DigestKind.DAILY}
        store.enqueue(day, [person], NOW, kind=DigestKind.WEEKLY)
        (claimed,) = store.claim_deliveries(day, "test", 5, 0.0, NOW, kind=DigestKind.WEEKLY)
        store.settle_deliveries([Settlement(claimed.delivery_id, DeliveryStatus.SKIPPED)], NOW)
        assert store.delivery_counts(day, kind=DigestKind.WEEKLY)[DeliveryStatus.SKIPPED] == 1
        assert store.delivery_counts(day) == counts, "the daily rows are untouched"
    after = rows_of(config.storage.path)
    assert after["deliveries"][: len(before["deliveries"])] == before["deliveries"]
    assert {k: v for k, v in after.items() if k != "deliveries"} == {
        k: v for k, v in before.items() if k != "deliveries"
    }


def test_a_store_before_the_index_step_upgrades_and_the_builds_reads_use_indexes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, news_path: Path
) -> None:
    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "the build's reads answered by indexes")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        assert store.upgraded[0].version == step.version
        ingest_file(config, store, news_path, day=NOW.date(), now=NOW)
        index = store.article_index()
    assert set(before["articles"]) <= set(rows_of(config.storage.path)["articles"])
    assert [ref.day for ref in index] == sorted((ref.day for ref in index), reverse=True)
    assert len(index) == len(before["articles"]) + 8
    with sqlite3.connect(config.storage.path) as db:
        plans = [
            str(db.execute(f"EXPLAIN QUERY PLAN {query}", values).fetchall())
            for query, values in (
                (
                    "SELECT key, batch_date, source, generation FROM articles"
                    " ORDER BY batch_date DESC, position",
                    (),
                ),
                (
                    "SELECT key, corrected FROM conversions"
                    " WHERE signature = ? AND corrected IS NOT NULL",
                    ("s2twp:x",),
                ),
            )
        ]
    db.close()
    assert "COVERING INDEX articles_in_order" in plans[0]
    assert "COVERING INDEX conversions_corrected" in plans[1]


def test_a_store_before_the_rowid_step_keeps_every_conversion_and_its_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, news_path: Path
) -> None:
    """Step 12 moves the conversions into a rowid table (a WITHOUT ROWID table of 4 kB
    rows made storing them twice as slow): every row, its made and corrected times and
    the index of corrections stay, and the store ingests and builds on."""
    config = make_config(tmp_path)
    step = next(s for s in migrations.STEPS if s.summary.startswith("conversions stored in"))
    earlier = tuple(s for s in migrations.STEPS if s.version < step.version)
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", earlier)
        patch.setattr(migrations, "LATEST", earlier[-1].version)
        with Store(config.storage) as store:
            ingest_file(config, store, news_path, day=NOW.date(), now=NOW)
    with sqlite3.connect(config.storage.path) as db:
        db.execute("UPDATE conversions SET corrected = made WHERE key < '8'")
        before = db.execute("SELECT * FROM conversions ORDER BY key, signature").fetchall()
        ddl = db.execute("SELECT sql FROM sqlite_master WHERE name = 'conversions'").fetchone()
    db.close()
    more = tmp_path / "more.txt"
    more.write_text("新廠開始量產\n記憶體價格連續上漲。 (甲報)\n", encoding="utf-8")
    with Store(config.storage) as store:
        assert store.upgraded[0].version == step.version
        ingest_file(config, store, more, day=NOW.date(), now=NOW)
        assert build(config, store, NOW).written > 0
        assert build(config, store, NOW).written == 0
    with sqlite3.connect(config.storage.path) as db:
        after = db.execute("SELECT * FROM conversions ORDER BY key, signature").fetchall()
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'conversions'").fetchone()
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT key, corrected FROM conversions"
            " WHERE signature = ? AND corrected IS NOT NULL",
            ("s2twp:x",),
        ).fetchall()
    db.close()
    assert "WITHOUT ROWID" in ddl[0] and "WITHOUT ROWID" not in sql[0]
    assert set(before) < set(after) and any(row[-1] for row in before)
    assert "COVERING INDEX conversions_corrected" in str(plan)


def test_a_store_before_the_confirmation_queue_upgrades_and_its_pending_sign_up_is_mailed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 16 adds the queue of confirmation mails: every row stays, and the frozen
    store's pending sign-up (eve) can be queued a mail and have it sent once."""
    from publisher.delivery import confirmations

    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "confirmation mails queued")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        assert store.upgraded[0] == step and step.version == 16
        eve = next(p for p in store.subscribers() if p.email == "eve@example.org")
        asked = confirmations.queue(store, eve, NOW, dt.timedelta(hours=1), 10)
        assert asked.asked is confirmations.Asked.QUEUED
        assert confirmations.send_due(config, store).sent == 1
        assert confirmations.send_due(config, store).sent == 0
    assert rows_of(config.storage.path) == before
    outbox = config.path(config.delivery.outbox_dir) / "new"
    assert [path.read_text().count("To: eve@example.org") for path in outbox.iterdir()] == [1]


def test_a_store_before_the_reports_step_upgrades_with_its_rows_kept_and_takes_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 17 adds readers' reports of a wrong conversion: every row stays, the store
    starts with none, and the first report gets number 1 and goes with its article."""
    config = make_config(tmp_path)
    step = store_before(config, monkeypatch, "readers' reports")
    before = rows_of(config.storage.path)
    with Store(config.storage) as store:
        assert store.upgraded[-1] == step and step.version == 17
        assert store.open_reports() == []
        key = store.articles()[0].key
        made = store.add_report(key, "zh-Hans", "内存", "", NOW, 5, dt.timedelta(days=1))
        assert made == 1 and [r.phrase for r in store.open_reports()] == ["内存"]
    assert rows_of(config.storage.path) == before
