"""Fixtures shared by the whole suite: our own news batch, a site config in a temp folder, a
store, and the real seed batch for the few tests that are about it.

The seed and OpenCC's test cases live in ../shared, beside the checkout: a fresh clone has
no such folder, so tests that need it skip, with one reason. CI sets
PUBLISHER_REQUIRE_SHARED=1, where a missing ../shared fails instead of skipping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from publisher import config as config_module
from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.records import Article, Text
from publisher.store import Store

# No time limit per example: Hypothesis's deadline is a timed assertion, and an example
# that makes OpenCC (at its first conversion) or runs on a loaded machine takes longer.
settings.register_profile("publisher", deadline=None)
settings.load_profile("publisher")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED_DIR = SHARED / "seeds"
EXAMPLES = REPO / "examples"
# Eight articles of our own in Taiwan-phrased Traditional script, from eight sources.
NEWS = REPO / "tests" / "fixtures" / "news.txt"
TAIPEI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 12, 14, 9, 30, tzinfo=TAIPEI)
DAY = NOW.date()

# Test modules marked `pytestmark = pytest.mark.engines` run once per store engine.
ENGINES = ("sqlite", "postgresql")
# The engine of the test now running, for make_config: None is the default (SQLite).
_storage_url: list[str] = []
_schemas = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    """OpenCC's config files go to a cache folder of this run, not the user's own."""
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="publisher-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ["XDG_CACHE_HOME"], ignore_errors=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("engines"):
        metafunc.parametrize("engine", ENGINES, indirect=True, scope="module")


@dataclasses.dataclass(frozen=True)
class PostgresServer:
    url: str
    cluster: Any = None  # a pgcluster.Cluster this session started, which tests may restart


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the tests: PUBLISHER_TEST_POSTGRES_URL, else a throwaway
    cluster started here. Where neither can be had the PostgreSQL tests skip, unless
    PUBLISHER_TEST_POSTGRES=required (CI), where they fail."""
    url = os.environ.get("PUBLISHER_TEST_POSTGRES_URL", "")
    if url:
        yield PostgresServer(url)
        return
    import pgcluster

    reason = pgcluster.missing()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        reason = reason or "psycopg is not installed: pip install -e '.[test]'"
    if reason:
        if os.environ.get("PUBLISHER_TEST_POSTGRES") == "required":
            pytest.fail(f"PostgreSQL tests required but cannot run: {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    cluster = pgcluster.Cluster()
    try:
        yield PostgresServer(cluster.url, cluster)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url


@pytest.fixture(scope="module", autouse=True)
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store engine of this test. On PostgreSQL the module's own fixtures get a schema
    of their own, and so does each test (`_fresh_schema`)."""
    name: str = getattr(request, "param", "sqlite")
    if name == "sqlite":
        yield name
        return
    with fresh_schema(request.getfixturevalue("postgres_url")):
        yield name


@pytest.fixture(autouse=True)
def _fresh_schema(engine: str, request: pytest.FixtureRequest) -> Iterator[None]:
    if engine == "sqlite":
        yield
        return
    with fresh_schema(request.getfixturevalue("postgres_url")):
        yield


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """An empty schema, dropped afterwards; the URL puts it first on the search_path."""
    import psycopg

    schema = f"test_{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in url else "?"
    schema_url = f"{url}{joiner}options=-csearch_path%3D{schema}"
    _storage_url.append(schema_url)
    try:
        yield schema_url
    finally:
        _storage_url.pop()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def shared_file(pattern: str) -> Path:
    """A file from ../shared; skips the test (fails it under PUBLISHER_REQUIRE_SHARED=1)
    when the folder is not beside the checkout."""
    found = sorted(SHARED.glob(pattern))
    if found:
        return found[0]
    reason = f"../shared is not beside the checkout (no {SHARED / pattern})"
    if os.environ.get("PUBLISHER_REQUIRE_SHARED") == "1":
        pytest.fail(f"{reason}, and PUBLISHER_REQUIRE_SHARED=1 requires it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The real day's batch, for tests about it; read at test time, never copied here."""
    return shared_file("seeds/*.txt")


@pytest.fixture(scope="session")
def news_path() -> Path:
    """A day's batch for tests that need some articles: ours, so a fresh clone has it."""
    return NEWS


@contextmanager
def reading(folder: Path) -> Iterator[Any]:
    """A `reader` (lemon24/reader) that reads the output folder's files as feeds, as it
    would over HTTP (feed_root); its feeds are named by their path in the folder."""
    import reader

    opened = reader.make_reader(":memory:", feed_root=str(folder))
    try:
        yield opened
    finally:
        opened.close()


def make_config(root: Path, text: str = "") -> Config:
    """A config as a user writes it, anchored in `root` (database, output, outbox there)."""
    path = root / "config.toml"
    if _storage_url:
        text += f'\n[storage]\nurl = "{_storage_url[-1]}"\n'
    path.write_text('[site]\nbase_url = "https://news.example.org/"\n' + text, encoding="utf-8")
    return config_module.load(path)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    with Store(config.storage) as opened:
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
        shown = (scripts.original_signature(script), scripts.original(original, script))
        rows.append((article, ((converter.signature, converter.convert_text(original)), shown)))
    store.add_articles(rows, "test", NOW)


def with_feeds(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, feeds=dataclasses.replace(config.feeds, **changes))


def body_of(message: EmailMessage, kind: str = "plain") -> str:
    """The text of a mail's plain (or html) part; a mail without one fails the test."""
    part = message.get_body((kind,))
    assert part is not None, f"the mail has a {kind} part"
    return str(part.get_content())
