"""`publisher db copy`: a SQLite store moved whole into PostgreSQL, counts checked, an
occupied target refused, and the copy goes on working as the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DAY, NOW, fresh_schema, make_config
from publisher.articles.ingest import ingest_file
from publisher.cli import main
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import subscribers
from publisher.records import Script, SubscriberStatus
from publisher.store import Store
from publisher.store.copying import TABLES


@pytest.fixture
def target(postgres_url: str) -> Iterator[str]:
    with fresh_schema(postgres_url) as url:
        yield url


@pytest.fixture
def sqlite_store(tmp_path: Path, news_path: Path) -> Config:
    """A store with a day's articles, a build's memory, two subscribers and their mail."""
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        for address in ("one@example.org", "two@example.org"):
            subscribers.add(store, address, Script.HANS, NOW)
        send_day(config, store, DAY, NOW)
    return config


def copy(config: Config, *urls: str) -> int:
    return main(["--config", str(config.root / "config.toml"), "db", "copy", *urls])


def test_a_sqlite_store_moves_to_postgresql_whole(
    sqlite_store: Config, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert copy(sqlite_store, "sqlite:///publisher.db", target) == 0
    out = capsys.readouterr().out
    assert "the counts match" in out and "subscribers: 2" in out and "deliveries: 2" in out

    moved = dataclasses.replace(
        sqlite_store, storage=dataclasses.replace(sqlite_store.storage, url=target)
    )
    with Store(sqlite_store.storage) as before, Store(moved.storage) as after:
        assert after.articles() == before.articles()
        assert after.subscribers() == before.subscribers()
        assert after.delivery_counts(DAY) == before.delivery_counts(DAY)
        # The copied ids are taken: the next subscriber gets a new one.
        added = subscribers.add(after, "three@example.org", Script.HANT, NOW)
        assert added.id not in {person.id for person in before.subscribers()}
        assert added.status is SubscriberStatus.ACTIVE


def test_a_copy_into_a_store_that_holds_anything_is_refused(
    sqlite_store: Config, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert copy(sqlite_store, "sqlite:///publisher.db", target) == 0
    capsys.readouterr()
    assert copy(sqlite_store, "sqlite:///publisher.db", target) == 1
    error = capsys.readouterr().err
    assert "not empty" in error and "2 subscribers" in error


def test_a_password_in_the_url_is_refused(
    sqlite_store: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert copy(sqlite_store, "sqlite:///publisher.db", "postgresql://news:secret@db/news") == 1
    assert "keep the password out" in capsys.readouterr().err


def test_every_table_of_the_schema_is_copied(tmp_path: Path) -> None:
    """A migration that adds a table must add it to the copy too."""
    with Store(tmp_path / "new.db") as store:
        rows = store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in rows} - {"meta"}
    assert tables == set(TABLES)
