"""A store of today's schema (version 15) upgrades with every row kept, on each engine.

tests/data/store-schema-15.{sqlite,postgresql}.sql are frozen stores at version 15 with rows
in every table: the SQLite one as the sqlite3 shell dumped it, the PostgreSQL one the same
rows moved by `publisher db copy` and dumped beside its schema. A later step must carry
them over: whatever a step adds, every row and column of version 15 reads as it did. Never
regenerate them with a newer publisher; a future release freezes a store of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import feedparser
import pytest

from conftest import NOW
from publisher.articles.conversion import Scripts
from publisher.cli import main
from publisher.config import Config
from publisher.mail import subscribers
from publisher.records import Script
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store, migrations

pytestmark = pytest.mark.engines

DATA = Path(__file__).parent / "data"
VERSION = 15
Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def load_frozen(config: Config, engine: str) -> None:
    text = (DATA / f"store-schema-{VERSION}.{engine}.sql").read_text(encoding="utf-8")
    if engine == "sqlite":
        db = sqlite3.connect(config.storage.path)
        try:
            db.executescript(text)
        finally:
            db.close()
        return
    import psycopg

    with psycopg.connect(config.storage.url, autocommit=True) as server:
        server.execute(text)  # no parameters: the statements go as one script


def read_rows(config: Config, engine: str, columns: dict[str, list[str]] | None = None) -> Rows:
    """Every table's rows in a fixed order, with the columns named in `columns` (default:
    all that the table has)."""
    if engine == "sqlite":
        db: Any = sqlite3.connect(config.storage.path)
        tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        columns_sql = "SELECT name FROM pragma_table_info(?) ORDER BY cid"
    else:
        import psycopg

        db = psycopg.connect(config.storage.url)
        tables_sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        columns_sql = (
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position"
        )
    try:
        found: Rows = {}
        for (table,) in db.execute(tables_sql).fetchall():
            if columns is not None and table not in columns:
                continue
            names = (
                columns[table]
                if columns is not None
                else [row[0] for row in db.execute(columns_sql, (table,)).fetchall()]
            )
            listed = ", ".join(names)
            rows = db.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}").fetchall()
            found[table] = (names, [tuple(row) for row in rows])
        return found
    finally:
        db.close()


def test_a_store_of_version_15_upgrades_with_every_row_kept(config: Config, engine: str) -> None:
    load_frozen(config, engine)
    before = read_rows(config, engine)
    assert all(rows for _, rows in before.values()), "the frozen store has rows in every table"
    assert ("schema_version", str(VERSION)) in before["meta"][1]

    with Store(config.storage) as store:
        assert store.schema_version == migrations.LATEST
        # A new row takes an id of its own past the frozen ones (PostgreSQL's sequences).
        added = subscribers.add(store, "new.reader@example.org", Script.HANS, NOW)
        assert added.id > max(row[0] for row in before["subscribers"][1])

    after = read_rows(config, engine, {table: names for table, (names, _) in before.items()})
    for table, (names, rows) in before.items():
        kept = after[table][1]
        if table == "meta":  # the version moves on; the rest stays
            rows = [row for row in rows if row[0] != "schema_version"]
            kept = [row for row in kept if row[0] != "schema_version"]
        if table == "subscribers":
            kept = [row for row in kept if row[names.index("email")] != "new.reader@example.org"]
        assert kept == rows, f"{table}: rows changed in the upgrade"


def test_a_store_of_version_15_reads_as_it_did(
    config: Config, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load_frozen(config, engine)
    assert main(["--config", str(config.root / "config.toml"), "status"]) == 0
    shown = capsys.readouterr().out
    assert "articles: 12 on 3 dates" in shown
    assert (
        "subscribers: 1 active zh-Hans, 1 active zh-Hant, 1 bounced zh-Hant, 1 pending zh-Hans"
        in shown
    )
    assert "  2025-12-14  3 sent" in shown


def add_article_as_written_before(config: Config, engine: str, title: str, body: str) -> None:
    """An article stored by the release of the frozen store, in its schema, before upgrading."""
    row = (
        hashlib.sha256(f"2025-12-16\n{title}\n{body}".encode()).hexdigest(),
        "2025-12-16",
        99,
        "2025-12-16T02:50:00+08:00",
        Script.HANT.value,
        title,
        body,
        "範例地方報",
        "/tmp/freeze/inbox/2025-12-16.txt",
        "2026-12-08T02:59:48+08:00",
        3,
    )
    columns = "key, batch_date, position, published, script, title, body, source, source_file"
    sql = f"INSERT INTO articles ({columns}, ingested, generation) VALUES ({{}})"
    if engine == "sqlite":
        with sqlite3.connect(config.storage.path) as db:
            db.execute(sql.format(", ".join("?" * len(row))), row)
        return
    import psycopg

    with psycopg.connect(config.storage.url, autocommit=True) as server:
        server.execute(sql.format(", ".join(["%s"] * len(row))), row)


def test_an_upgraded_store_re_issues_the_originals_the_punctuation_setting_changes(
    config: Config, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The release before showed its originals as written; `scripts.punctuation` (default
    full-width) shows a half-width comma between CJK letters full-width, which readers get
    as a correction, listed by `conversions diff` first. An original it leaves alone keeps
    its date."""
    load_frozen(config, engine)
    add_article_as_written_before(config, engine, "社區公園整修完成", "整修後的公園今天重新開放。")
    path = str(config.root / "config.toml")
    assert main(["--config", path, "conversions", "diff"]) == 0
    listed = capsys.readouterr().out
    scripts, site = Scripts.from_config(config), Site.from_config(config)
    with Store(config.storage) as store:
        articles = store.articles()
        changed = [a for a in articles if scripts.original(a.original, a.script) != a.original]
        assert len(changed) == len(articles) - 1  # every frozen one has a half-width comma
        for article in changed:
            title = scripts.original(article.original, article.script).title
            assert f"{article.batch_date} {article.script} {title} (corrected " in listed
        assert "社區公園整修完成" not in listed

        later = NOW + dt.timedelta(days=400)
        build(config, store, later)
        times: dict[str, str] = {}
        for script in Script:
            edition = site.editions.default(script)
            raw = (config.output_dir / site.atom_path(edition)).read_bytes()
            entries = feedparser.parse(raw).entries
            times |= {entry.id: entry.updated for entry in entries}
        for article in articles:
            shown = times[site.entry_id(site.editions.default(article.script), article)]
            when = dt.datetime.fromisoformat(shown)
            if article in changed:
                assert later - dt.timedelta(minutes=1) < when <= later
            else:
                assert when == article.published
        before = {p: p.stat().st_mtime_ns for p in config.output_dir.rglob("*") if p.is_file()}
        assert build(config, store, later + dt.timedelta(hours=1)).written == 0
        after = {p: p.stat().st_mtime_ns for p in config.output_dir.rglob("*") if p.is_file()}
        assert after == before
