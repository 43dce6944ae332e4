"""Atom feeds and their RSS 2.0 twins, written with feedgen. Pure: records in, bytes out,
but for `atom_kept`, which reads the entries a build wrote before.

Two layers. The neutral one (`Link`, `FeedEntry`, `FeedMeta`, `atom_feed`, `rss_feed`) knows
nothing about articles, so per-source feeds and the digest feed use it as they are. The article
layer (`article_entry`, `edition_feed_meta`) maps an `Rendition` and the `Site` onto it.

Work-arounds for feedgen 1.0.0 (see DESIGN.md, "Known traps"):
- it drops rel, type, hreflang and title from *entry* links (upstream issue 135), so the Atom
  entries are written by `_AtomEntries`, a feed extension, as feedgen's would be but with
  their links and xml:lang (and without feedgen's per-entry objects: an archive document
  holds thousands of entries);
- `add_entry()` prepends by default, so RSS items are added with order="append";
- feed `updated` (and RSS lastBuildDate) default to *now*, so they are always set from the data:
  the newest entry's `updated`, or `FeedMeta.updated_if_empty` for a feed without entries.
  The same input therefore always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from publisher.errors import PublisherError
from publisher.records import Article, Edition, Rendition
from publisher.site.outputs import not_as_written, written_before
from publisher.site.paths import Site
from publisher.site.templating import environment
from publisher.text import excerpt

ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
HTML_TYPE = "text/html"


# What an empty feed reports as its `updated`: a fixed instant, never the clock, so a feed
# that stays empty also stays byte-identical.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ENTRIES_EXTENSION = "publisher_entries"  # the attribute name feedgen gives the extension
FH_NAMESPACE = "http://purl.org/syndication/history/1.0"  # RFC 5005
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str = HTML_TYPE
    hreflang: str = ""
    title: str = ""

    def attributes(self) -> dict[str, str]:
        """The non-empty attributes, href last, in a fixed order (stable bytes)."""
        pairs = [
            ("rel", self.rel),
            ("type", self.type),
            ("hreflang", self.hreflang),
            ("title", self.title),
            ("href", self.href),
        ]
        return {name: value for name, value in pairs if value}


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a tag: URI that never changes
    title: str
    published: dt.datetime  # tz-aware; written with its own UTC offset
    updated: dt.datetime
    author: str
    categories: tuple[str, ...]
    summary: str  # plain text
    content_html: str  # HTML, already escaped where it holds text
    links: tuple[Link, ...]
    lang: str  # xml:lang of the entry; "" leaves it to the feed's

    def rss_link(self) -> str:
        """RSS has room for one URL: the first alternate."""
        return next((link.href for link in self.links if link.rel == "alternate"), "")


@dataclass(frozen=True)
class FeedMeta:
    id: str
    title: str
    subtitle: str
    lang: str
    self_url: str  # the Atom feed's own URL
    links: tuple[Link, ...]  # alternates: the HTML page, the twin feed (with hreflang)
    author: str
    generator: str = "publisher"
    updated_if_empty: dt.datetime = EPOCH
    archive: bool = False  # an RFC 5005 archive document: marked with <fh:archive/>
    # WebSub hubs (rel="hub"), which readers subscribe at to be told of a change at once.
    hubs: tuple[str, ...] = ()

    def page_url(self) -> str:
        """The HTML page the feed stands for (RSS channel <link>); the feed itself if none."""
        pages = (link.href for link in self.links if link.rel == "alternate" and _is_html(link))
        return next(pages, self.self_url)


def _is_html(link: Link) -> bool:
    return link.type == HTML_TYPE


def feed_updated(meta: FeedMeta, entries: Sequence[FeedEntry]) -> dt.datetime:
    """The newest entry's `updated`, never the clock, so unchanged input gives unchanged bytes."""
    return max((entry.updated for entry in entries), default=meta.updated_if_empty)


class _AtomEntries(BaseExtension):  # type: ignore[misc]
    """Appends a feed's Atom entries, element for element as feedgen 1.0.0 writes those it
    is given (after the feed's other extensions, before its own entries, of which it then
    has none), but with the entry links' rel, type, hreflang and title and the entry's
    xml:lang, which feedgen drops (issue 135)."""

    def __init__(self) -> None:
        self.entries: Sequence[FeedEntry] = ()

    def extend_atom(self, feed: Any) -> Any:
        for entry in self.entries:
            feed.append(_atom_entry(entry))
        return feed


def _atom_entry(entry: FeedEntry) -> Any:
    if not (entry.id and entry.title):
        raise ValueError("Required fields not set")  # what feedgen says, for the same fault
    element = etree.Element("entry", {_XML_LANG: entry.lang} if entry.lang else {})
    add = etree.SubElement
    add(element, "id").text = entry.id
    add(element, "title").text = entry.title
    add(element, "updated").text = _aware(entry.updated).isoformat()
    if entry.author:
        add(add(element, "author"), "name").text = entry.author
    content = add(element, "content")
    if entry.content_html:
        content.text = entry.content_html
    content.set("type", "html")
    if entry.summary:
        add(element, "summary", type="text").text = entry.summary
    for category in entry.categories:
        add(element, "category", term=category)
    add(element, "published").text = _aware(entry.published).isoformat()
    for link in entry.links:
        add(element, "link", link.attributes())
    return element


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("Datetime object has no timezone info")  # as feedgen says
    return moment


class _HubLinks(BaseExtension):  # type: ignore[misc]
    """An RSS channel's <atom:link rel="hub">: feedgen writes only rel="self" there."""

    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        link = f"{{{ATOM_NAMESPACE}}}link"
        # Beside rel="self", not after the items.
        at = next(n for n, child in enumerate(channel) if child.tag == link) + 1
        for hub in reversed(self.hubs):
            hub_link = etree.Element(link, {"rel": "hub", "href": hub})
            hub_link.tail = channel[at - 1].tail
            channel.insert(at, hub_link)
        return feed


class _ArchiveMarker(BaseExtension):  # type: ignore[misc]
    """Marks an archive document (RFC 5005, 4): its entries are not expected to change."""

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NAMESPACE}

    def extend_atom(self, feed: Any) -> Any:
        etree.SubElement(feed, f"{{{FH_NAMESPACE}}}archive")
        return feed


def _base_generator(meta: FeedMeta, updated: dt.datetime) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(meta.id)
    fg.title(meta.title)
    fg.language(meta.lang)  # xml:lang on the Atom feed, <language> in RSS
    fg.author(name=meta.author)
    fg.generator(meta.generator)  # no version: an upgrade alone must not change the bytes
    fg.updated(updated)
    return fg


# Entries feedgen turns into one tree at a time. A month's archive document of a busy site
# holds thousands (3,000 entries: 75 MB of tree for 13 MB of XML), so a longer feed is made
# of documents of this many, their entries spliced into one.
ENTRIES_AT_ONCE = 250


def atom_feed(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """An Atom 1.0 document, entries in the given order (newest first)."""
    return atom_document(meta, feed_updated(meta, entries), atom_entries(meta, entries))


def atom_entries(meta: FeedMeta, entries: Sequence[FeedEntry]) -> list[bytes]:
    """Each entry's element as the feed of `meta` writes it (with the line end after it),
    for `atom_document`: an entry serializes the same in any document of that feed."""
    found: list[bytes] = []
    for start in range(0, len(entries), ENTRIES_AT_ONCE):
        shown = entries[start : start + ENTRIES_AT_ONCE]
        found += split_entries(_atom_document(meta, meta.updated_if_empty, shown))
    return found


def split_entries(document: bytes) -> list[bytes]:
    """The entry elements of a document `atom_document` wrote, in order. Only tags are
    written unescaped, so "  <entry" and "</feed>" are found only as tags."""
    start = document.find(_ENTRY)
    if start < 0:
        return []
    pieces = document[start : document.rindex(_END)].split(_ENTRY)
    return [_ENTRY + piece for piece in pieces[1:]]


def atom_document(meta: FeedMeta, updated: dt.datetime, entries: Sequence[bytes]) -> bytes:
    """The feed of `meta`, its `updated` given, holding the entry elements `entries`
    (from `atom_entries`, or from a document written before)."""
    empty = _atom_document(meta, updated, ())
    end = empty.rindex(_END)
    return b"".join([empty[:end], *entries, empty[end:]])


_ENTRY = b"  <entry"
_END = b"</feed>"
_ID = re.compile(rb"<id>[^<]*/([0-9a-f]+)</id>")
_UPDATED = re.compile(rb"<updated>([^<]+)</updated>")


def atom_kept(
    meta: FeedMeta, keys: Sequence[str], made: Mapping[str, FeedEntry], previous: Path
) -> bytes:
    """The feed of `meta` with an entry per article key of `keys`, in that order: those
    `made` anew, the others as the document at `previous` holds them (the last build's,
    under the same settings and conversions). Its `updated` is the newest of them all."""
    new = dict(zip(made, atom_entries(meta, list(made.values())), strict=True))
    old = {_key_of(entry): entry for entry in split_entries(written_before(previous))}
    if not set(keys) <= new.keys() | old.keys():
        raise not_as_written(previous)
    times = [entry.updated for entry in made.values()]
    times += [_updated_of(old[key], previous) for key in keys if key not in new]
    pieces = [new[key] if key in new else old[key] for key in keys]
    return atom_document(meta, max(times, default=meta.updated_if_empty), pieces)


def _key_of(entry: bytes) -> str:
    """The article key an entry's id ends with (`Site.entry_id`)."""
    found = _ID.search(entry)
    return found.group(1).decode() if found else ""


def _updated_of(entry: bytes, previous: Path) -> dt.datetime:
    found = _UPDATED.search(entry)
    if found is None:
        raise PublisherError(f"{previous}: an entry has no <updated>; run `publisher build --full`")
    return dt.datetime.fromisoformat(found.group(1).decode())


def _atom_document(meta: FeedMeta, updated: dt.datetime, shown: Sequence[FeedEntry]) -> bytes:
    fg = _base_generator(meta, updated)
    if meta.subtitle:
        fg.subtitle(meta.subtitle)
    fg.link(href=meta.self_url, rel="self", type=ATOM_TYPE)
    for hub in meta.hubs:
        fg.link(href=hub, rel="hub")
    for link in meta.links:
        fg.link(**link.attributes())  # feed-level links keep their attributes in feedgen
    if meta.archive:
        fg.register_extension("fh", _ArchiveMarker, None, atom=True, rss=False)
    if shown:
        fg.register_extension(_ENTRIES_EXTENSION, _AtomEntries, None, atom=True, rss=False)
        getattr(fg, _ENTRIES_EXTENSION).entries = shown
    result: bytes = fg.atom_str(pretty=True)
    return result


def rss_feed(meta: FeedMeta, entries: Sequence[FeedEntry], *, self_url: str) -> bytes:
    """The RSS 2.0 twin of `atom_feed(meta, entries)`; `self_url` is the RSS file's own URL."""
    fg = _base_generator(meta, feed_updated(meta, entries))
    fg.description(meta.subtitle or meta.title)  # required in RSS
    # RSS <author> must be an e-mail address; a source is a name, so it goes in dc:creator.
    fg.load_extension("dc", atom=False, rss=True)
    fg.link(href=self_url, rel="self", type=RSS_TYPE)  # written as atom:link rel="self"
    if meta.hubs:
        fg.register_extension("publisher_hubs", _HubLinks, None, atom=False, rss=True)
        fg.publisher_hubs.hubs = meta.hubs
    fg.link(href=meta.page_url(), rel="alternate")  # feedgen's channel <link> is the last link
    for entry in entries:
        _add_rss_item(fg, entry)
    result: bytes = fg.rss_str(pretty=True)
    return result


def _add_rss_item(fg: FeedGenerator, entry: FeedEntry) -> None:
    # order="append": entries arrive newest first and must stay that way.
    fe = fg.add_entry(order="append")
    fe.id(entry.id)  # the RSS guid, with isPermaLink="false"
    fe.title(entry.title)
    fe.published(entry.published)
    fe.updated(entry.updated)
    for category in entry.categories:
        fe.category(term=category)
    fe.content(entry.content_html, type="html")
    if entry.summary:
        # Readers take an RSS description as HTML: escaped, the text shows as written.
        fe.description(html.escape(entry.summary, quote=False), isSummary=True)
    if entry.author:
        fe.dc.dc_creator(entry.author)
    if entry.rss_link():
        fe.link(href=entry.rss_link(), rel="alternate")


# The article layer.


# The templates an entry is made with (`article_entry`): an output of entries names them.
ENTRY_TEMPLATES = ("_paragraphs.html", "_converted.html")


def paragraphs_html(body: str, original: str, env: jinja2.Environment | None = None) -> str:
    """The body as escaped <p> paragraphs, cut where its `original` is, rendered by the same
    template the pages use."""
    template = (env or environment()).get_template("_paragraphs.html")
    return template.render(body=body, cut_like=original)


def page_links(
    edition: Edition, own_url: str, others: Sequence[tuple[Edition, str]]
) -> tuple[Link, ...]:
    """An entry's own page, its page in each other edition, and the own page once more.

    Readers disagree on which rel=alternate is "the" link: most (gofeed, Miniflux, rss-parser)
    take the first, feedparser and the readers built on it take the last. Naming the own page
    first and last, once with hreflang and once without, gives both the right page and stays
    valid Atom: no two alternates share the same type and hreflang (RFC 4287, 4.1.1).
    """
    return (
        Link(own_url, hreflang=edition.tag),
        *(Link(url, hreflang=other.tag, title=other.name) for other, url in others),
        Link(own_url),
    )


def article_links(site: Site, edition: Edition, article: Article) -> tuple[Link, ...]:
    """The article's page in `edition` and in the other editions, as `page_links` orders
    them; for a converted text, also rel="via" to the original's page with its hreflang: the
    machine-readable sign that this text was converted, and from what."""
    others = [
        (other, site.url(site.article_path(other, article))) for other in site.others(edition)
    ]
    links = page_links(edition, site.url(site.article_path(edition, article)), others)
    if article.script is edition.script:
        return links
    original = site.original(article)
    via = Link(
        site.url(site.article_path(original, article)),
        rel="via",
        hreflang=original.tag,
        title=site.converted_note(edition.script),
    )
    return (*links, via)


def converted_note_html(
    site: Site, rendition: Rendition, env: jinja2.Environment | None = None
) -> str:
    """The note under a converted text that links to the original; "" for an original."""
    if not rendition.converted or not site.converted_note(rendition.script):
        return ""
    original = site.original(rendition.article)
    return (
        (env or environment())
        .get_template("_converted.html")
        .render(
            note=site.converted_note(rendition.script),
            original=original.tag,
            original_url=site.url(site.article_path(original, rendition.article)),
        )
    )


def article_entry(
    site: Site, rendition: Rendition, summary_chars: int, *, env: jinja2.Environment | None = None
) -> FeedEntry:
    """One rendition as a feed entry. `env`: the site's template environment (default: built-in)."""
    article, edition, text = rendition.article, rendition.edition, rendition.text
    return FeedEntry(
        id=site.entry_id(edition, article),
        title=text.title,
        # Articles are never edited after ingest; a shown text is, when its conversion or the
        # punctuation is corrected, and a newer `updated` tells feed readers to show it.
        published=article.published,
        updated=rendition.updated,
        author=text.source,
        categories=(text.source,),
        summary=excerpt(text.body, summary_chars),
        content_html=paragraphs_html(text.body, article.original.body, env)
        + converted_note_html(site, rendition, env),
        links=article_links(site, edition, article),
        lang=edition.tag,
    )


def edition_feed_meta(
    site: Site,
    edition: Edition,
    *,
    path: str,
    path_in: Callable[[Edition], str],
    page_path: str,
    title: str,
    subtitle: str = "",
) -> FeedMeta:
    """Meta for an Atom feed at `path`, its HTML page and the same feed in each other
    edition (at `path_in(edition)`); its author is the site, named in the feed's edition."""
    twins = (
        Link(site.url(path_in(other)), type=ATOM_TYPE, hreflang=other.tag, title=other.name)
        for other in site.others(edition)
    )
    return FeedMeta(
        id=site.feed_id(path),
        title=title,
        subtitle=subtitle,
        lang=edition.tag,
        self_url=site.url(path),
        links=(Link(site.url(page_path), hreflang=edition.tag), *twins),
        author=site.titles[edition],
        hubs=site.hubs,
    )
