"""The site as an archive: feed history (RFC 5005) walked with feedparser, the sitemap,
robots.txt, the OPML feed lists, Open Graph tags and the digest list, from a real build of
a store that spans three months."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
from test_build import snapshot

from conftest import NOW, make_config, store_day, with_feeds
from publisher.config import Config
from publisher.mail.archive import build_site
from publisher.records import SCRIPTS, Script
from publisher.site import feeds
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
DAYS = [dt.date(2025, 10, 3), dt.date(2025, 10, 20), dt.date(2025, 11, 11), dt.date(2025, 12, 14)]


def articles_of(day: dt.date) -> list[tuple[str, str, str]]:
    return [
        (
            f"{day}晶片消息{n}",
            f"第{n}則：廠商在{day}說明新的晶片產能計畫。",
            "甲報" if n % 2 else "乙社",
        )
        for n in range(3)
    ]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[Config, Store]]:
    config = with_feeds(make_config(tmp_path), max_entries=4)
    with Store(config.storage) as store:
        for day in DAYS:
            store_day(config, store, articles_of(day), day)
        build(config, store, NOW)
        yield config, store


def local(config: Config, url: str) -> Path:
    return config.output_dir / url.removeprefix("https://news.example.org/")


def walk(config: Config, path: str) -> list[feedparser.FeedParserDict]:
    """What a client does: read the subscription feed, then follow prev-archive to the end."""
    documents, url = [], f"https://news.example.org/{path}"
    while url:
        document = feedparser.parse(local(config, url).read_bytes())
        assert document.bozo == 0, url
        documents.append(document)
        url = next((link.href for link in document.feed.links if link.rel == "prev-archive"), "")
    return documents


@pytest.mark.parametrize("script", SCRIPTS)
def test_walking_prev_archive_collects_every_article_once(
    archive: tuple[Config, Store], script: Script
) -> None:
    config, store = archive
    site = Site.from_config(config)
    edition = site.editions.default(script)
    subscription, *archives = walk(config, site.atom_path(edition))
    assert len(subscription.entries) == 4  # the subscription window stays small
    assert len(archives) == 3  # October, November, December
    in_archives = Counter(entry.id for document in archives for entry in document.entries)
    expected = {site.entry_id(edition, article) for article in store.articles()}
    assert set(in_archives) == expected and set(in_archives.values()) == {1}
    # The window's entries are the newest month's, which the client already holds by id.
    assert {entry.id for entry in subscription.entries} <= set(in_archives)


def test_a_source_has_its_own_history(archive: tuple[Config, Store]) -> None:
    config, store = archive
    site = Site.from_config(config)
    hans = site.editions.default(Script.HANS)
    _, *archives = walk(config, site.source_feed_path(hans, "甲報"))
    ids = [entry.id for document in archives for entry in document.entries]
    expected = [a for a in store.articles() if a.original.source == "甲報"]
    assert sorted(ids) == sorted(site.entry_id(hans, a) for a in expected)
    assert all("甲报" in document.feed.title for document in archives)


def test_archive_documents_carry_the_marker_and_links(archive: tuple[Config, Store]) -> None:
    config, _ = archive
    folder = config.output_dir / "zh-Hant" / "archive"
    names = sorted(path.name for path in folder.glob("*.xml"))
    assert names == ["2025-10.xml", "2025-11.xml", "2025-12.xml"]
    for at, name in enumerate(names):
        root = ElementTree.parse(folder / name).getroot()
        assert root.find(f"{FH}archive") is not None
        links = Counter(
            (link.get("rel"), link.get("type"), link.get("hreflang"))
            for link in root.findall(f"{ATOM}link")
        )
        # What the W3C validator checks of links: no two alternates of one type and language.
        assert max(links.values()) == 1
        rels = {rel for rel, _, _ in links}
        assert {"self", "current", "alternate"} <= rels
        assert ("prev-archive" in rels) == (at > 0)
        assert ("next-archive" in rels) == (at < len(names) - 1)
    subscription = ElementTree.parse(config.output_dir / "zh-Hant" / "atom.xml").getroot()
    assert subscription.find(f"{FH}archive") is None


def test_a_new_day_rewrites_only_the_current_months_archives(
    archive: tuple[Config, Store],
) -> None:
    config, store = archive
    before = snapshot(config.output_dir)
    store_day(config, store, articles_of(dt.date(2025, 12, 15)), dt.date(2025, 12, 15))
    build(config, store, NOW)
    after = snapshot(config.output_dir)
    changed = {name for name in before if after[name] != before[name] and "/archive/" in name}
    assert changed and all(name.endswith("/2025-12.xml") for name in changed)
    sitemaps = {name for name in before if after[name] != before[name] and "sitemap" in name}
    # The month's part, and the <lastmod> of the undated pages and of the two parts.
    assert sitemaps == {"sitemaps/2025-12.xml", "sitemaps/pages.xml", "sitemap.xml"}
    assert build(config, store, NOW).written == 0


def archive_names(config: Config, folder: str) -> list[str]:
    return sorted(path.name for path in (config.output_dir / folder).glob("*.xml"))


def files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*.*")}


def test_a_gap_of_months_writes_no_empty_archive_and_the_chain_skips_it(tmp_path: Path) -> None:
    config = with_feeds(make_config(tmp_path), max_entries=2)
    site = Site.from_config(config)
    with Store(config.storage) as store:
        store_day(config, store, articles_of(dt.date(2025, 1, 10)), dt.date(2025, 1, 10))
        store_day(config, store, articles_of(dt.date(2025, 12, 14)), dt.date(2025, 12, 14))
        # A source with one month of articles, long before the site's newest.
        store_day(
            config, store, [("三月的消息", "只在三月出現的來源。", "丙刊")], dt.date(2025, 3, 2)
        )
        build(config, store, NOW)
        assert archive_names(config, "zh-Hant/archive") == [
            "2025-01.xml",
            "2025-03.xml",
            "2025-12.xml",
        ]
        _, *documents = walk(config, site.atom_path(site.editions.default(Script.HANT)))
        assert [len(document.entries) for document in documents] == [3, 1, 3]
        source = site.source_feed_path(site.editions.default(Script.HANT), "丙刊")
        _, *alone = walk(config, source)
        assert [len(document.entries) for document in alone] == [1], "its one month"
        slug = Site.source_slug("甲報")
        months = archive_names(config, f"zh-Hant/archive/sources/{slug}")
        assert months == ["2025-01.xml", "2025-12.xml"]


def test_an_article_in_a_month_without_any_links_it_into_the_chain(tmp_path: Path) -> None:
    """An article dated into a gap gives its month a document and the months beside it
    their links to it: the build that adds it writes what a whole build does."""
    config = make_config(tmp_path)
    site = Site.from_config(config)
    with Store(config.storage) as store:
        for day in (dt.date(2025, 1, 10), dt.date(2025, 12, 14)):
            store_day(config, store, articles_of(day), day)
        build(config, store, NOW)
        store_day(config, store, articles_of(dt.date(2025, 6, 1)), dt.date(2025, 6, 1))
        build(config, store, NOW)
        _, *documents = walk(
            config, site.source_feed_path(site.editions.default(Script.HANS), "甲報")
        )
        assert len(documents) == 3
        added = files(config.output_dir)
        shutil.rmtree(config.output_dir)
        build(config, store, NOW, full=True)
        assert files(config.output_dir) == added


def test_sitemap_lists_existing_pages_with_their_twins(archive: tuple[Config, Store]) -> None:
    config, _ = archive
    robots = (config.output_dir / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://news.example.org/sitemap.xml" in robots
    index = ElementTree.parse(config.output_dir / "sitemap.xml").getroot()
    parts = [loc.text or "" for loc in index.iter(f"{SITEMAP}loc")]
    assert len(parts) == 4  # three months and the undated pages
    changed = [each.text for each in index.iter(f"{SITEMAP}lastmod")]
    assert changed == ["2025-10-20", "2025-11-11", "2025-12-14", "2025-12-14"]
    urls = 0
    for part in parts:
        for url in ElementTree.parse(local(config, part)).getroot().iter(f"{SITEMAP}url"):
            loc = url.findtext(f"{SITEMAP}loc") or ""
            assert local(config, loc).is_file(), loc
            day = re.search(r"/(\d{4}-\d\d-\d\d)[/.]", loc)
            assert url.findtext(f"{SITEMAP}lastmod") == (day[1] if day else "2025-12-14"), loc
            twins = {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
            assert set(twins) == {"zh-Hant", "zh-Hans", "x-default"} and loc in twins.values()
            assert all(local(config, href or "").is_file() for href in twins.values())
            urls += 1
    assert urls > 2 * 12  # every article page at least, in both scripts


def test_opml_lists_every_feed_of_the_edition(archive: tuple[Config, Store]) -> None:
    config, _ = archive
    opml = ElementTree.parse(config.output_dir / "zh-Hans" / "feeds.opml").getroot()
    outlines = {o.get("title"): o.get("xmlUrl") for o in opml.iter("outline")}
    assert len(outlines) == 5  # main, daily and weekly digest, two sources
    assert outlines["科技新闻 · 全部文章"] == "https://news.example.org/zh-Hans/atom.xml"
    assert "https://news.example.org/zh-Hans/digests/atom.xml" in outlines.values()
    weekly = "https://news.example.org/zh-Hans/digests/weekly/atom.xml"
    assert outlines["科技新闻・每周新闻摘要"] == weekly
    assert "科技新闻 · 甲报" in outlines
    index = (config.output_dir / "zh-Hans" / "index.html").read_text(encoding="utf-8")
    assert '<a href="feeds.opml" type="text/x-opml">' in index


def test_open_graph_names_the_locales(tmp_path: Path) -> None:
    config = make_config(tmp_path, '[scripts]\nhant_variant = "hk"\n')
    with Store(config.storage) as store:
        store_day(config, store, articles_of(dt.date(2025, 12, 14)))
        build(config, store, NOW)
    page = next((config.output_dir / "zh-Hant" / "articles").rglob("*.html"))
    head = page.read_text(encoding="utf-8").split("</head>")[0]
    assert '<meta property="og:locale" content="zh_HK">' in head
    assert '<meta property="og:locale:alternate" content="zh_CN">' in head
    assert '<meta property="og:title" content="2025-12-14晶片消息0">' in head
    assert re.search(r'<meta property="og:url" content="https://news\.example\.org/zh-Hant/', head)
    assert '<link rel="canonical"' in head


def test_a_digest_page_has_open_graph_tags_too(tmp_path: Path) -> None:
    config = make_config(tmp_path, '[scripts]\nhant_variant = "hk"\n')
    day = dt.date(2025, 12, 14)
    with Store(config.storage) as store:
        store_day(config, store, articles_of(day))
        build_site(config, store, NOW)
    page = config.output_dir / "zh-Hans" / "digests" / "2025-12-14.html"
    head = page.read_text(encoding="utf-8").split("</head>")[0]
    assert '<meta property="og:locale" content="zh_CN">' in head
    assert '<meta property="og:locale:alternate" content="zh_HK">' in head
    url = "https://news.example.org/zh-Hans/digests/2025-12-14.html"
    assert f'<meta property="og:url" content="{url}">' in head
    assert f'<link rel="canonical" href="{url}">' in head
    assert re.search(r'<meta property="og:title" content="[^"]*2025年12月14日', head)


def test_the_digest_list_names_every_day(archive: tuple[Config, Store]) -> None:
    config, _ = archive
    page = (config.output_dir / "zh-Hant" / "digests" / "index.html").read_text(encoding="utf-8")
    for day in DAYS:
        assert f'<a href="{day}.html">' in page  # beside the list, in digests/


def test_a_long_document_made_a_few_entries_at_a_time_is_the_same(
    archive: tuple[Config, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy month's document is serialized in pieces and spliced (its tree would be
    thousands of entries); every feed reads and walks as the one made whole."""
    config, store = archive
    made_whole = {path: path.read_bytes() for path in config.output_dir.rglob("*.xml")}
    counts = [len(feedparser.parse(data).entries) for data in made_whole.values()]
    assert max(counts) > 2
    shutil.rmtree(config.output_dir)
    monkeypatch.setattr(feeds, "ENTRIES_AT_ONCE", 2)
    build(config, store, NOW, full=True)
    assert {path: path.read_bytes() for path in config.output_dir.rglob("*.xml")} == made_whole
