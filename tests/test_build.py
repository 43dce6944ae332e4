"""Build from a real store to real files: feeds read back with feedparser, pages parsed."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import stat
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import opencc
import pytest

from conftest import NOW, store_day, with_feeds
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import ingest_file
from publisher.articles.punctuation import full_width
from publisher.articles.renditions import renditions
from publisher.config import Config
from publisher.editions import HANS, HANT, PAIR
from publisher.records import Edition
from publisher.site.build import build
from publisher.site.paths import Site
from publisher.store import Store
from publisher.text import excerpt

pytestmark = pytest.mark.engines

DAY = dt.date(2025, 12, 14)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def built(config: Config, store: Store, news_path: Path) -> Config:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    build(config, store, NOW)
    return config


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.mark.parametrize("edition", PAIR.all)
def test_feed_reads_back_field_for_field(built: Config, store: Store, edition: Edition) -> None:
    site = Site.from_config(built)
    raw = (built.output_dir / site.atom_path(edition)).read_text(encoding="utf-8")
    feed = feedparser.parse(raw)
    assert feed.bozo == 0
    assert feed.feed.language == edition.tag
    expected = renditions(store, Scripts.from_config(built), store.articles(), edition)
    assert len(feed.entries) == len(expected) == 8
    for entry, rendition in zip(feed.entries, expected, strict=True):
        article, text = rendition.article, rendition.text
        assert entry.id == site.entry_id(edition, article)
        assert entry.id.startswith("tag:news.example.org,2025-12-14:")
        assert entry.title == text.title
        assert entry.author == text.source
        assert [tag.term for tag in entry.tags] == [text.source]
        assert entry.summary == excerpt(text.body, built.feeds.summary_chars)
        assert entry.content[0].type == "text/html"
        # A converted text ends with the note that links to the original (and says so in a
        # rel="via" link with the original's language).
        note = site.converted_note(edition.script) if rendition.converted else ""
        assert visible_text(entry.content[0].value).replace("\n", "") == text.body + note
        via = [link for link in entry.links if link.rel == "via"]
        original = site.url(site.article_path(site.editions.default(article.script), article))
        assert [(v.href, v.hreflang) for v in via] == ([(original, article.script)] if note else [])
        assert entry.link == site.url(site.article_path(edition, article))
        assert entry.published_parsed[:4] == (2025, 12, 14, 1)  # feedparser gives UTC
    # The raw strings keep the site's offset (RFC 3339): the ingest's moment for the first
    # article, a second less for each after it; the feed's <updated> is the newest.
    seconds = ["09:30:00", *(f"09:29:5{n}" for n in range(9, 2, -1))]
    times = [f"2025-12-14T{each}+08:00" for each in seconds]
    assert re.findall(r"<published>([^<]+)</published>", raw) == times
    assert re.findall(r"<updated>([^<]+)</updated>", raw) == [times[0], *times]


def test_ids_differ_between_scripts_and_survive_a_rebuild(built: Config, store: Store) -> None:
    def ids(edition: Edition) -> list[str]:
        raw = (built.output_dir / str(edition) / "atom.xml").read_bytes()
        return [e.id for e in feedparser.parse(raw).entries]

    hant, hans = ids(HANT), ids(HANS)
    assert not set(hant) & set(hans)
    for path in built.output_dir.rglob("*.xml"):
        path.unlink()
    assert build(built, store, NOW).written > 0  # the deleted files are made again
    assert (ids(HANT), ids(HANS)) == (hant, hans)


def test_feed_links_self_and_twin(built: Config) -> None:
    root = ElementTree.parse(built.output_dir / "zh-Hans" / "atom.xml").getroot()
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hans"
    links = {
        (link.get("rel"), link.get("type"), link.get("hreflang")): link.get("href")
        for link in root.findall(f"{ATOM}link")
    }
    assert str(links[("self", "application/atom+xml", None)]).endswith("/zh-Hans/atom.xml")
    assert links[("alternate", "application/atom+xml", "zh-Hant")] == (
        "https://news.example.org/zh-Hant/atom.xml"
    )
    for entry in root.findall(f"{ATOM}entry"):
        entry_links = [
            (link.get("rel"), link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
        ]
        alternates = [
            ("alternate", "text/html", "zh-Hans"),
            ("alternate", "text/html", "zh-Hant"),
            ("alternate", "text/html", None),
        ]
        # Entries converted from Traditional also point, rel="via", at the original.
        assert entry_links in (alternates, [*alternates, ("via", "text/html", "zh-Hant")])
        hrefs = [link.get("href", "") for link in entry.findall(f"{ATOM}link")]
        assert hrefs[0] == hrefs[2] != hrefs[1] and "/zh-Hans/" in hrefs[0]


def test_simplified_feed_is_simplified(built: Config) -> None:
    raw = (built.output_dir / "zh-Hans" / "atom.xml").read_text(encoding="utf-8")
    titles = [e.title + e.summary for e in feedparser.parse(raw).entries]
    t2s = opencc.OpenCC("t2s")
    assert all(t2s.convert(text) == text for text in titles)
    assert "英伟达" in raw and "輝達" not in raw


def test_rss_twin_has_the_same_entries(built: Config) -> None:
    for edition in PAIR.all:
        atom = feedparser.parse((built.output_dir / str(edition) / "atom.xml").read_bytes())
        rss_raw = (built.output_dir / edition / "rss.xml").read_text(encoding="utf-8")
        rss = feedparser.parse(rss_raw)
        assert rss.version == "rss20"
        assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
        assert rss_raw.count('<guid isPermaLink="false">tag:') == 8
        assert [e.published_parsed for e in rss.entries] == [
            e.published_parsed for e in atom.entries
        ]
        assert "<pubDate>Sun, 14 Dec 2025 09:30:00 +0800</pubDate>" in rss_raw


def test_unchanged_store_rebuilds_to_identical_untouched_files(built: Config, store: Store) -> None:
    before = snapshot(built.output_dir)
    report = build(built, store, NOW + dt.timedelta(days=3))
    assert report.written == 0
    assert snapshot(built.output_dir) == before
    # Even with the fingerprints forgotten, equal bytes are not rewritten.
    store.db.execute("DELETE FROM outputs")
    assert build(built, store, NOW).written == 0
    assert snapshot(built.output_dir) == before
    assert not [p for p in built.output_dir.rglob("*.tmp")]


def test_a_new_day_rewrites_only_what_shows_it(built: Config, store: Store) -> None:
    before = snapshot(built.output_dir)
    path = built.root / "2025-12-15.txt"
    path.write_text("新的一天\n新的內文。 (新來源)\n", encoding="utf-8")
    ingest_file(built, store, path, now=NOW)
    build(built, store, NOW)
    after = snapshot(built.output_dir)
    changed = {name for name in before if after[name] != before[name]}
    per_script = {"atom.xml", "rss.xml", "feed.json", "index.html", "archive/2025-12.xml"}
    per_script |= {"digests/index.html"}
    # A new source: the edition's feed lists name it, the sitemap's pages part lists its page.
    per_script |= {"feeds.opml", "feeds-json.opml"}
    # The search index: its size, the one chunk of documents, and the parts with new terms.
    search = {"search/meta.json", "search/zh-Hant/docs/0.json", "search/zh-Hans/docs/0.json"}
    assert changed - {name for name in changed if name.startswith("search/terms/")} == {
        *(f"{edition}/{name}" for edition in PAIR.all for name in per_script),
        *search,
        "sitemaps/2025-12.xml",
        "sitemaps/pages.xml",
        "sitemap.xml",  # the <lastmod> of its parts
    }
    added = set(after) - set(before)
    # Per script: the day, the article, and the source's page, feeds and feed archive.
    assert "zh-Hant/days/2025-12-15.html" in added and len(added) == 2 * 6
    feed = feedparser.parse((built.output_dir / "zh-Hant" / "atom.xml").read_bytes())
    assert feed.entries[0].title == "新的一天"  # newest first
    assert feed.feed.updated.startswith("2025-12-15T09:30:00+08:00")  # its ingest


def test_feed_window_is_the_newest_entries(config: Config, store: Store, news_path: Path) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    later = config.root / "2025-12-16.txt"
    later.write_text("甲\n甲文。 (A)\n乙\n乙文。 (B)\n", encoding="utf-8")
    ingest_file(config, store, later, now=NOW)
    small = with_feeds(config, max_entries=3)
    build(small, store, NOW)
    feed = feedparser.parse((small.output_dir / "zh-Hant" / "atom.xml").read_bytes())
    titles = [e.title for e in feed.entries]
    assert titles[:2] == ["甲", "乙"] and len(titles) == 3
    assert titles[2] == full_width(store.articles(day=DAY)[0].original.title)


def test_pages_for_each_script(built: Config, store: Store) -> None:
    site = Site.from_config(built)
    for edition in PAIR.all:
        index = (built.output_dir / site.index_path(edition)).read_text(encoding="utf-8")
        assert f'<html lang="{edition}">' in index
        assert 'type="application/atom+xml"' in index
        assert site.url(site.index_path(PAIR.others(edition)[0])) in index
        assert "2025-12-14" in index
        for rendition in renditions(store, Scripts.from_config(built), store.articles(), edition):
            path = site.article_path(edition, rendition.article)
            page = (built.output_dir / path).read_text(encoding="utf-8")
            assert f'<html lang="{edition}">' in page
            assert site.url(site.article_path(PAIR.others(edition)[0], rendition.article)) in page
            assert f'href="{site.relative(site.atom_path(edition), path)}"' in page
            source_feed = site.source_feed_path(edition, rendition.article.original.source)
            assert page.count(f'href="{site.relative(source_feed, path)}"') == 1  # discovery
            assert (built.output_dir / source_feed).is_file()
            # The source's name leads to its page, which lists the article.
            source_page = site.source_page_path(edition, rendition.article.original.source)
            link = (
                f'<a href="{site.relative(source_page, path)}">{html.escape(rendition.text.source)}'
            )
            assert link in page
            listing = (built.output_dir / source_page).read_text(encoding="utf-8")
            assert site.relative(path, source_page) in listing
            paragraphs = re.findall(r"<p>(.*?)</p>", page, flags=re.S)
            assert len(paragraphs) > 1 or len(rendition.text.body) < 300
            assert "".join(html.unescape(p) for p in paragraphs) == rendition.text.body
    root = (built.output_dir / "index.html").read_text(encoding="utf-8")
    assert site.url(site.index_path(HANS)) in root


def test_markup_in_articles_is_shown_as_text(config: Config, store: Store) -> None:
    path = config.root / "2025-12-14.txt"
    path.write_text(
        '<script>alert("標題")</script>\n內文 <img src=x onerror=alert(1)> 結束。 (來源&amp;)\n',
        encoding="utf-8",
    )
    ingest_file(config, store, path, now=NOW)
    build(config, store, NOW)
    for page in config.output_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text
    [article_page] = (config.output_dir / "zh-Hant" / "articles").rglob("*.html")
    assert "&lt;script&gt;alert(&#34;標題&#34;)&lt;/script&gt;" in article_page.read_text(
        encoding="utf-8"
    )
    feed = feedparser.parse((config.output_dir / "zh-Hant" / "atom.xml").read_bytes())
    assert feed.entries[0].title == '<script>alert("標題")</script>'
    assert feed.entries[0].author == "來源&amp;"


def test_simplified_batch_gives_traditional_hant_and_verbatim_hans(
    config: Config, store: Store
) -> None:
    path = Path(__file__).resolve().parents[1] / "examples" / "2025-12-15-simplified.txt"
    ingest_file(config, store, path, now=NOW)
    build(config, store, NOW)
    [article] = store.articles()
    hans = feedparser.parse((config.output_dir / "zh-Hans" / "atom.xml").read_bytes()).entries[0]
    hant = feedparser.parse((config.output_dir / "zh-Hant" / "atom.xml").read_bytes()).entries[0]
    # Verbatim, but for full-width sentence punctuation (scripts.punctuation).
    assert hans.title == full_width(article.original.title)
    assert visible_text(hans.content[0].value).replace("\n", "") == full_width(
        article.original.body
    )
    assert hant.title == full_width(opencc.OpenCC("s2twp").convert(article.original.title))
    assert "筆記型電腦" in hant.content[0].value  # Taiwan phrasing of 笔记本电脑


# Our own text, dense in the words Taiwan and mainland usage write at different lengths
# (記憶體/内存, 程式碼/代码, 使用者/用户, 網際網路/互联网): the Simplified text is 13% shorter.
MEMORY = "".join(
    [
        "據網際網路使用者回報，新的記憶體控制器讓使用者透過網際網路傳送程式碼時，記憶體延遲降低了三成。",
        "他們也把程式碼公開，讓其他使用者在自己的記憶體模組上透過網際網路重現結果。",
        "據網際網路使用者回報，不少使用者認為記憶體漲價之後，程式碼最佳化比換硬體更划算，網際網路業者也同意。",
        "團隊說下一步要讓程式碼支援更多記憶體，並為使用者在網際網路上提供線上說明。",
        "分析師指出記憶體與程式碼的配合，是網際網路服務能否照顧更多使用者的關鍵。",
        "他們預計明年推出第二版程式碼，使用者在網際網路上就能直接更新記憶體設定。",
    ]
)


def test_an_article_has_the_same_paragraphs_in_every_edition(config: Config, store: Store) -> None:
    """A reader who switches editions finds each paragraph where it was: the converted text
    is cut after the same sentences as the original, though its sentences are shorter."""
    store_day(config, store, [("記憶體控制器更新", MEMORY, "範例科技報")])
    build(config, store, NOW)
    site = Site.from_config(config)
    (article,) = store.articles()
    cut: dict[Edition, list[str]] = {}
    for edition in PAIR.all:
        page = (config.output_dir / site.article_path(edition, article)).read_text("utf-8")
        body = page.split("<article>")[1]
        cut[edition] = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", body, re.S)]
    hant, hans = cut[HANT], cut[HANS]
    assert len(hant) == len(hans) == 2
    assert sum(map(len, hans)) < sum(map(len, hant))
    to_hans = Scripts.from_config(config).converter_for(HANS)
    assert [to_hans.convert(each) for each in hant] == hans
    feed = feedparser.parse((config.output_dir / site.atom_path(HANS)).read_bytes())
    assert feed.entries[0].content[0].value.count("<p>") == 2, "the feed's copy too"


def test_every_file_of_a_build_can_be_read_by_the_web_server(
    config: Config, store: Store, news_path: Path
) -> None:
    """The site is public: whatever the operator's umask, each file the build writes is
    readable by all and writable by its owner only (0644), so a web server running as
    another user can serve it."""
    ingest_file(config, store, news_path, now=NOW)
    mask = os.umask(0o077)
    try:
        build(config, store, NOW)
    finally:
        os.umask(mask)
    files = [path for path in config.output_dir.rglob("*") if path.is_file()]
    assert files
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o644}
