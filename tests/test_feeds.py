"""The feed writer: real feedgen output read back with feedparser and lxml.

The W3C feed validator is not on PyPI and cannot be fetched offline, so validity is checked
structurally here (RFC 4287 / RSS 2.0 points the validator would flag) plus feedparser's bozo bit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import hashlib
import html
import re
import zoneinfo
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest

from publisher.editions import HANS, HANT
from publisher.records import Article, Edition, Rendition, Script, Text
from publisher.site.feeds import (
    EPOCH,
    FeedEntry,
    FeedMeta,
    Link,
    article_entry,
    atom_feed,
    edition_feed_meta,
    rss_feed,
)
from publisher.site.paths import Site

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
ZONE = zoneinfo.ZoneInfo("Asia/Taipei")
SUMMARY_CHARS = 30

# Our own sentences: markup-like text, entities, both quote kinds, and full-width punctuation.
HANT_TEXTS = [
    Text(
        "晶片廠宣布擴產 <b>三奈米</b> & 更多",
        "這家公司今天表示，新廠將在明年投產。執行長說：「我們會準時交貨」，"
        "並強調 <script>alert('x')</script> 只是測試字串！"
        '分析師認為 A&B 兩條產線的良率 "仍待觀察"；市場反應平淡。',
        "科技日報",
    ),
    Text(
        "雲端服務再降價",
        "多家業者同步調整方案。中小企業可望受惠，每月帳單最多減少三成？&amp; 這串字要原樣保留。",
        "數位週刊",
    ),
    Text("新款手機開賣", "排隊人潮從清晨就出現在門市外。", "科技日報"),
]
HANS_TEXTS = [
    Text(
        "芯片厂宣布扩产 <b>三纳米</b> & 更多",
        "这家公司今天表示，新厂将在明年投产。执行长说：「我们会准时交货」，"
        "并强调 <script>alert('x')</script> 只是测试字符串！"
        '分析师认为 A&B 两条产线的良率 "仍待观察"；市场反应平淡。',
        "科技日报",
    ),
    Text(
        "云服务再降价",
        "多家业者同步调整方案。中小企业可望受惠，每月账单最多减少三成？&amp; 这串字要原样保留。",
        "数字周刊",
    ),
    Text("新款手机开卖", "排队人潮从清晨就出现在门市外。", "科技日报"),
]


@pytest.fixture
def site() -> Site:
    titles = {HANT: "科技新聞", HANS: "科技新闻"}
    return Site(titles, base_url="https://news.example.org/", zone=ZONE, domain="news.example.org")


def make_article(position: int, text: Text, published: dt.datetime) -> Article:
    key = hashlib.sha256((text.title + text.body).encode()).hexdigest()
    return Article(key, published.date(), position, published, Script.HANT, text)


def articles() -> list[Article]:
    """Newest first, as the feed builder hands them over."""
    times = [
        dt.datetime(2025, 12, 14, 9, 30, tzinfo=ZONE),
        dt.datetime(2025, 12, 13, 8, 0, tzinfo=ZONE),
    ]
    times.append(times[1] - dt.timedelta(minutes=1))
    return [make_article(i, text, times[i]) for i, text in enumerate(HANT_TEXTS)]


def renditions(edition: Edition) -> list[Rendition]:
    texts = HANT_TEXTS if edition is HANT else HANS_TEXTS
    return [Rendition(a, edition, t) for a, t in zip(articles(), texts, strict=True)]


def entries(site: Site, edition: Edition) -> list[FeedEntry]:
    return [article_entry(site, rendition, SUMMARY_CHARS) for rendition in renditions(edition)]


def meta(site: Site, edition: Edition) -> FeedMeta:
    return edition_feed_meta(
        site,
        edition,
        path=site.atom_path(edition),
        path_in=site.atom_path,
        page_path=site.index_path(edition),
        title=site.titles[edition],
        subtitle="每日科技新聞",
    )


def build_atom(site: Site, edition: Edition = HANT) -> bytes:
    return atom_feed(meta(site, edition), entries(site, edition))


def build_rss(site: Site, edition: Edition = HANT) -> bytes:
    return rss_feed(
        meta(site, edition), entries(site, edition), self_url=site.url(site.rss_path(edition))
    )


def parse(data: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def paragraph_text(content_html: str) -> str:
    """The text of <p> paragraphs, entities resolved: what a reader shows."""
    root = ElementTree.fromstring(f"<div>{content_html}</div>")
    assert {child.tag for child in root} <= {"p"}
    return "".join(p.text or "" for p in root)


# Atom: links.


def test_entry_links_keep_rel_type_hreflang_and_title(site: Site) -> None:
    # Fails without the entry extension: feedgen 1.0.0 writes entry links bare (issue 135).
    root = ElementTree.fromstring(build_atom(site))
    for element, entry in zip(root.iter(f"{ATOM}entry"), entries(site, HANT), strict=True):
        written = [dict(link.attrib) for link in element.findall(f"{ATOM}link")]
        assert written == [{k: v for k, v in vars(link).items() if v} for link in entry.links], (
            "entry links lost attributes"
        )
        own, twin, permalink = written
        assert (own["rel"], own["type"], own["hreflang"]) == ("alternate", "text/html", "zh-Hant")
        assert (twin["hreflang"], twin["title"]) == ("zh-Hans", "简体中文")
        assert permalink == {"rel": "alternate", "type": "text/html", "href": own["href"]}


def test_entry_links_read_back_with_feedparser(site: Site) -> None:
    for read, entry in zip(parse(build_atom(site)).entries, entries(site, HANT), strict=True):
        got = [
            (x["rel"], x["type"], x.get("hreflang", ""), x.get("title", ""), x["href"])
            for x in read.links
        ]
        assert got == [(x.rel, x.type, x.hreflang, x.title, x.href) for x in entry.links]
        # Readers taking the first alternate and feedparser (the last) agree on the own page.
        assert read.link == entry.links[0].href


def test_no_duplicate_alternates(site: Site) -> None:
    # RFC 4287 4.1.1: at most one alternate per (type, hreflang); a bare twin breaks that.
    root = ElementTree.fromstring(build_atom(site))
    for parent in [root, *root.iter(f"{ATOM}entry")]:
        links = parent.findall(f"{ATOM}link")
        assert all("rel" in link.attrib for link in links)
        keys = Counter(
            (link.get("type"), link.get("hreflang"))
            for link in links
            if link.get("rel") == "alternate"
        )
        assert keys and max(keys.values()) == 1


def test_article_links_point_at_both_pages(site: Site) -> None:
    article = articles()[0]
    own, twin, permalink, via = entries(site, HANS)[0].links
    assert (via.rel, via.href, via.hreflang) == ("via", twin.href, "zh-Hant")
    assert permalink.href == own.href
    assert own.href == site.url(site.article_path(HANS, article))
    assert twin.href == site.url(site.article_path(HANT, article))
    assert (own.hreflang, twin.hreflang, twin.title) == ("zh-Hans", "zh-Hant", "繁體中文")


# Atom: feed level.


def test_feed_has_lang_self_and_twin_alternate(site: Site) -> None:
    root = ElementTree.fromstring(build_atom(site, HANS))
    assert root.get(XML_LANG) == "zh-Hans"
    links = [dict(link.attrib) for link in root.findall(f"{ATOM}link")]
    assert {
        "href": site.url("zh-Hans/atom.xml"),
        "rel": "self",
        "type": "application/atom+xml",
    } in links
    assert {
        "href": site.url("zh-Hant/atom.xml"),
        "rel": "alternate",
        "type": "application/atom+xml",
        "hreflang": "zh-Hant",
        "title": "繁體中文",
    } in links
    assert {
        "href": site.url("zh-Hans/index.html"),
        "rel": "alternate",
        "type": "text/html",
        "hreflang": "zh-Hans",
    } in links
    feed = parse(build_atom(site, HANS)).feed
    assert feed.language == "zh-Hans"
    assert (feed.title, feed.subtitle, feed.author) == ("科技新闻", "每日科技新聞", "科技新闻")
    assert feed.id == site.feed_id("zh-Hans/atom.xml")


def test_entries_carry_their_own_xml_lang(site: Site) -> None:
    root = ElementTree.fromstring(build_atom(site, HANS))
    assert [e.get(XML_LANG) for e in root.iter(f"{ATOM}entry")] == ["zh-Hans"] * 3


def test_feed_updated_is_the_newest_entry_not_now(site: Site) -> None:
    parsed = parse(build_atom(site))
    assert parsed.feed.updated == "2025-12-14T09:30:00+08:00"
    older_first = list(reversed(entries(site, HANT)))
    root = ElementTree.fromstring(atom_feed(meta(site, HANT), older_first))
    assert root.findtext(f"{ATOM}updated") == "2025-12-14T09:30:00+08:00"


# Atom: entries.


def test_entry_order_is_kept(site: Site) -> None:
    expected = [entry.id for entry in entries(site, HANT)]
    assert [entry.id for entry in parse(build_atom(site)).entries] == expected
    reverse = list(reversed(entries(site, HANT)))
    ids = [e.id for e in parse(atom_feed(meta(site, HANT), reverse)).entries]
    assert ids == expected[::-1]


def test_ids_are_tag_uris_stable_and_distinct_per_script(site: Site) -> None:
    hant = [entry.id for entry in entries(site, HANT)]
    hans = [entry.id for entry in entries(site, HANS)]
    assert all(re.fullmatch(r"tag:news\.example\.org,\d{4}-\d\d-\d\d:\S+", i) for i in hant + hans)
    assert hant == [entry.id for entry in entries(site, HANT)]
    assert len(set(hant)) == 3 and not set(hant) & set(hans)
    assert [e.id for e in parse(build_atom(site, HANS)).entries] == hans


def test_dates_keep_the_site_offset(site: Site) -> None:
    raw = build_atom(site).decode()
    assert "<published>2025-12-14T09:30:00+08:00</published>" in raw
    assert "<updated>2025-12-13T08:00:00+08:00</updated>" in raw
    for read, article in zip(parse(raw.encode()).entries, articles(), strict=True):
        assert read.published == read.updated == article.published.isoformat()
        # feedparser's *_parsed is UTC: compare instants, not wall-clock fields.
        utc = dt.datetime.fromtimestamp(calendar.timegm(read.published_parsed), dt.UTC)
        assert utc == article.published


def test_fields_read_back_equal(site: Site) -> None:
    for read, entry, text in zip(
        parse(build_atom(site)).entries, entries(site, HANT), HANT_TEXTS, strict=True
    ):
        assert read.title == text.title
        assert read.title_detail.type == "text/plain"
        assert read.author == text.source
        assert [tag.term for tag in read.tags] == [text.source]
        assert read.summary_detail.type == "text/plain"
        assert read.summary == entry.summary
        assert text.body.startswith(entry.summary) and len(entry.summary) <= SUMMARY_CHARS
        assert read.content[0].type == "text/html"
        assert html.unescape(re.sub(r"</?p>|\n", "", read.content[0].value)) == text.body


def test_content_is_escaped_paragraphs_keeping_every_character(site: Site) -> None:
    root = ElementTree.fromstring(build_atom(site))
    for element, text in zip(root.iter(f"{ATOM}entry"), HANT_TEXTS, strict=True):
        content = element.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        assert "<script>" not in (content.text or "")  # shown as text, never run
        assert paragraph_text(content.text or "") == text.body


def test_long_body_is_split_into_paragraphs(site: Site) -> None:
    body = "今天的天氣很好，大家都出門散步。" * 40
    article = make_article(0, Text("長文", body, "測試社"), dt.datetime(2025, 1, 2, tzinfo=ZONE))
    entry = article_entry(site, Rendition(article, HANT, article.original), SUMMARY_CHARS)
    assert entry.content_html.count("<p>") > 1
    assert paragraph_text(entry.content_html) == body


def test_seed_articles_keep_every_character(site: Site, seed_path: Path) -> None:
    from publisher.articles.batch import parse as parse_batch

    published = dt.datetime(2025, 12, 14, 8, 0, tzinfo=ZONE)
    parsed = parse_batch(seed_path.read_bytes(), seed_path)
    feed_entries = []
    for position, item in enumerate(parsed):
        text = Text(item.title, item.body, item.source)
        rendition = Rendition(make_article(position, text, published), HANT, text)
        feed_entries.append(article_entry(site, rendition, 120))
    read = parse(atom_feed(meta(site, HANT), feed_entries)).entries
    assert len(read) == len(parsed) == 8
    for entry, item in zip(read, parsed, strict=True):
        assert (entry.title, entry.author) == (item.title, item.source)
        assert html.unescape(re.sub(r"</?p>|\n", "", entry.content[0].value)) == item.body


# RSS.


def rss_items(data: bytes) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(data).iter("item"))


def test_rss_has_same_entries_in_same_order(site: Site) -> None:
    atom_ids = [entry.id for entry in parse(build_atom(site)).entries]
    items = rss_items(build_rss(site))
    assert [item.findtext("guid") for item in items] == atom_ids
    assert all(item.find("guid").get("isPermaLink") == "false" for item in items)  # type: ignore[union-attr]
    assert [entry.id for entry in parse(build_rss(site)).entries] == atom_ids


def test_rss_pub_date_is_rfc_822_with_offset(site: Site) -> None:
    day, month = (
        "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
        "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
    )
    rfc822 = rf"{day}, \d\d {month} \d{{4}} \d\d:\d\d:\d\d \+0800"
    for item, article in zip(rss_items(build_rss(site)), articles(), strict=True):
        date = item.findtext("pubDate") or ""
        assert re.fullmatch(rfc822, date)
        assert email.utils.parsedate_to_datetime(date) == article.published
    channel = ElementTree.fromstring(build_rss(site)).find("channel")
    assert channel is not None
    assert channel.findtext("lastBuildDate") == "Sun, 14 Dec 2025 09:30:00 +0800"


def test_rss_fields_read_back(site: Site) -> None:
    items = rss_items(build_rss(site))
    read = parse(build_rss(site)).entries
    for item, entry, got, text in zip(items, entries(site, HANT), read, HANT_TEXTS, strict=True):
        assert item.findtext("link") == entry.links[0].href == got.link
        assert item.find("author") is None  # RSS <author> must be an e-mail; a source is not
        assert item.findtext(DC_CREATOR) == text.source == got.author
        assert [c.text for c in item.findall("category")] == [text.source]
        assert html.unescape(item.findtext("description") or "") == entry.summary
        assert got.title == text.title
        content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
        assert paragraph_text(content) == text.body


def test_rss_channel(site: Site) -> None:
    channel = ElementTree.fromstring(build_rss(site, HANS)).find("channel")
    assert channel is not None
    self_link = channel.find(ATOM_LINK)
    assert self_link is not None and self_link.attrib == {
        "href": site.url("zh-Hans/rss.xml"),
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.findtext("link") == site.url("zh-Hans/index.html")
    assert channel.findtext("language") == "zh-Hans"
    assert channel.findtext("description") == "每日科技新聞"


# Determinism.


def test_same_input_gives_the_same_bytes(site: Site) -> None:
    assert build_atom(site) == build_atom(site)
    assert build_rss(site) == build_rss(site)


def test_empty_feed_is_deterministic(site: Site) -> None:
    empty_meta = meta(site, HANT)
    atom = atom_feed(empty_meta, [])
    rss = rss_feed(empty_meta, [], self_url=site.url(site.rss_path(HANT)))
    assert atom == atom_feed(empty_meta, [])
    assert rss == rss_feed(empty_meta, [], self_url=site.url(site.rss_path(HANT)))
    assert parse(atom).feed.updated == EPOCH.isoformat() == "1970-01-01T00:00:00+00:00"
    assert parse(rss).entries == [] and b"<item>" not in rss and b"<entry" not in atom


def test_naive_datetimes_are_refused(site: Site) -> None:
    entry = entries(site, HANT)[0]
    naive = FeedEntry(**{**vars(entry), "published": dt.datetime(2025, 1, 1)})
    with pytest.raises(ValueError):
        atom_feed(meta(site, HANT), [naive])


def test_neutral_layer_without_articles() -> None:
    # Per-source and digest feeds use the neutral layer directly.
    when = dt.datetime(2025, 6, 1, 7, 0, tzinfo=ZONE)
    entry = FeedEntry(
        id="tag:example.org,2025-06-01:digest",
        title="今日摘要",
        published=when,
        updated=when,
        author="",
        categories=(),
        summary="",
        content_html="<p>內容</p>",
        links=(Link("https://example.org/d.html"),),
        lang="",
    )
    feed_meta = FeedMeta(
        id="tag:example.org,2025:d",
        title="摘要",
        subtitle="",
        lang="zh-Hant",
        self_url="https://example.org/d.xml",
        links=(),
        author="編輯部",
    )
    read = parse(atom_feed(feed_meta, [entry]))
    assert read.entries[0].links[0]["href"] == "https://example.org/d.html"
    assert read.feed.updated == "2025-06-01T07:00:00+08:00"
    channel = ElementTree.fromstring(
        rss_feed(feed_meta, [entry], self_url="https://example.org/d.rss")
    )
    assert channel.findtext("channel/link") == "https://example.org/d.xml"
