"""Fixtures shared by the whole suite: the seed batch, a site config in a temp folder, a store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from publisher import config as config_module
from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.records import Article, Text
from publisher.store import Store

REPO = Path(__file__).resolve().parents[1]
SEED_DIR = REPO.parent / "shared" / "seeds"
EXAMPLES = REPO / "examples"
TAIPEI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 12, 14, 9, 30, tzinfo=TAIPEI)
DAY = NOW.date()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The real day's batch; read at test time, never copied into the repository."""
    paths = sorted(SEED_DIR.glob("*.txt"))
    if not paths:
        pytest.fail(f"the seed batch is missing: expected ../shared/seeds/*.txt at {SEED_DIR}")
    return paths[0]


def make_config(root: Path, text: str = "") -> Config:
    """A config as a user writes it, anchored in `root` (database, output, outbox there)."""
    path = root / "config.toml"
    path.write_text('[site]\nbase_url = "https://news.example.org/"\n' + text, encoding="utf-8")
    return config_module.load(path)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    with Store(config.database) as opened:
        yield opened


def store_day(
    config: Config,
    store: Store,
    items: Sequence[tuple[str, str, str]],
    day: dt.date = DAY,
) -> None:
    """Store (title, body, source) triples as one day's batch, as ingest would, but without
    the batch parser: tests use it for text no batch file could carry (a title with CR/LF).
    The key includes the day, so one article may stand on several days."""
    scripts = Scripts.from_config(config)
    published = dt.datetime.combine(day, dt.time(8), TAIPEI)
    rows = []
    for position, (title, body, source) in enumerate(items, start=store.next_position(day)):
        original = Text(title, body, source)
        script = scripts.detect(title + body)
        key = hashlib.sha256(f"{day}\n{title}\n{body}".encode()).hexdigest()
        article = Article(key, day, position, published, script, original)
        converter = scripts.converter_to(script.twin)
        rows.append((article, converter.signature, converter.convert_text(original)))
    store.add_articles(rows, "test", NOW)


def with_feeds(config: Config, **changes: object) -> Config:
    return dataclasses.replace(config, feeds=dataclasses.replace(config.feeds, **changes))
