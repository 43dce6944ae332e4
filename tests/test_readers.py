"""Every feed the site writes, as two real feed readers show it: feedparser, and `reader`
(lemon24/reader, built on feedparser). Clicking an entry must open the page in the feed's own
script: a zh-Hant reader who lands on the zh-Hans page has followed the wrong link."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
import reader

from conftest import EXAMPLES, NOW, make_config, reading
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.mail.archive import build_site
from publisher.records import SCRIPTS
from publisher.store import Store

BASE = "https://news.example.org/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("readers"))
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build_site(config, store, NOW)
    return config


def feeds(config: Config) -> list[str]:
    """Every feed file of the output folder, relative to it (the sitemaps are XML too)."""
    return sorted(
        path.relative_to(config.output_dir).as_posix()
        for path in config.output_dir.rglob("*.xml")
        if not path.name.startswith("sitemap") and path.parent.name != "sitemaps"
    )


def test_the_site_has_both_feeds_of_every_kind(site: Config) -> None:
    kinds = {name.replace("zh-Hant/", "*/").replace("zh-Hans/", "*/") for name in feeds(site)}
    assert {"*/atom.xml", "*/rss.xml", "*/digests/atom.xml"} <= kinds
    assert any(kind.startswith("*/sources/") for kind in kinds)
    for kind in kinds:
        for script in SCRIPTS:
            assert kind.replace("*", script, 1) in feeds(site)


def own_page(script: str, link: str) -> bool:
    return link.startswith(f"{BASE}{script}/") and link.endswith(".html")


def test_feedparser_links_each_entry_to_its_own_script(site: Config) -> None:
    for name in feeds(site):
        script = name.split("/")[0]
        parsed = feedparser.parse(site.output_dir / name)
        assert not parsed.bozo, name
        assert parsed.entries, name
        for entry in parsed.entries:
            assert own_page(script, entry.link), f"{name}: {entry.link}"


@pytest.fixture
def feed_reader(site: Config) -> Iterator[reader.Reader]:
    with reading(site.output_dir) as opened:
        yield opened


def test_reader_links_each_entry_to_its_own_script(
    site: Config, feed_reader: reader.Reader
) -> None:
    for name in feeds(site):
        feed_reader.add_feed(f"file:{name}")
    feed_reader.update_feeds()
    entries = list(feed_reader.get_entries())
    assert {entry.feed_url for entry in entries} == {f"file:{name}" for name in feeds(site)}
    for entry in entries:
        script = entry.feed_url.removeprefix("file:").split("/")[0]
        assert own_page(script, entry.link or ""), f"{entry.feed_url}: {entry.link}"
