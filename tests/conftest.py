"""Fixtures shared by the whole suite: the seed batch, a site config in a temp folder, a store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher import config as config_module
from publisher.config import Config
from publisher.store import Store

REPO = Path(__file__).resolve().parents[1]
SEED_DIR = REPO.parent / "shared" / "seeds"
EXAMPLES = REPO / "examples"
TAIPEI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 12, 14, 9, 30, tzinfo=TAIPEI)


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


def with_feeds(config: Config, **changes: object) -> Config:
    return dataclasses.replace(config, feeds=dataclasses.replace(config.feeds, **changes))
