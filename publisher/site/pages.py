"""Static pages: per script an index, a page per day and a page per article. Pure: renditions
(and, for a page that adds entries, the page before) in, HTML bytes out, through autoescaped
Jinja2 templates."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import jinja2

from publisher.records import Article, Edition, Rendition, Script
from publisher.site.discovery import og_locales
from publisher.site.outputs import Added, Render, Slices, not_as_written
from publisher.site.paths import Site
from publisher.site.reader_words import READER_WORDS
from publisher.words import WORDS

STYLESHEET = "style.css"  # one for every page, so browsers and CDNs cache it once
# The site's icon, in both scripts' colours: every page links it, browsers ask for it.
FAVICON = "favicon.svg"


@dataclass(frozen=True)
class Other:
    """The same page in another edition: the switcher's link and the canonical alternate."""

    edition: Edition
    url: str  # relative to the page
    canonical_url: str


@dataclass(frozen=True)
class Day:
    day: dt.date
    renditions: tuple[Rendition, ...]


class OnePass:
    """Renditions that arrive a slice at a time: the first can be read, then all of them once.
    A source's page lists every article of the source (some 14,000 at 100,000 articles),
    and held whole their texts were the largest part of a first build's memory."""

    def __init__(self, slices: Slices) -> None:
        self._rest = iter(slices)
        self._first = list(next(self._rest, []))

    def __bool__(self) -> bool:
        return bool(self._first)

    def __getitem__(self, at: int) -> Rendition:
        if at != 0:
            raise IndexError("only the first rendition can be read before the others")
        return self._first[0]

    def __iter__(self) -> Iterator[Rendition]:
        yield from self._first
        for chosen in self._rest:
            yield from chosen


# A listing page's entries (source.html): one line each, between these. Titles are
# escaped, so the tags are found only as tags.
_ENTRIES = b'<ol class="entries">\n'
_ENTRIES_END = b"</ol>"
# An entry's article, by the name of its page (`Site.article_path_of`).
_LINKED = re.compile(rb'<li><a href="[^"]*/([0-9a-f]+)\.html"')


def kept_entries(
    made: bytes, before: bytes, shown: Sequence[str], added: Added, previous: Path
) -> bytes:
    """The listing page of the articles `shown`, from `made` (the page rendered with the
    renditions of the added ones alone) and `before`, the page the last build wrote at
    `previous` under the same settings and conversions: the added ones' entries made anew,
    the others' as it holds them. The heading names the source as the first article's
    rendition writes it, so it is `made`'s when that article is new."""
    head, new, tail = _entries(made, previous)
    old_head, old, _ = _entries(before, previous)
    made_anew = iter(line for _, line in new)
    kept = dict(old)
    try:
        lines = [next(made_anew) if key in added.keys else kept[key[:16].encode()] for key in shown]
    except (KeyError, StopIteration):
        raise not_as_written(previous) from None
    return b"".join([head if shown[0] in added.keys else old_head, *lines, tail])


def _entries(page: bytes, previous: Path) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """A listing page's head (to its list's start), its entry lines by the name of their
    article's page, and the rest."""
    head, start, rest = page.partition(_ENTRIES)
    lines, end, tail = rest.partition(_ENTRIES_END)
    found = [(_LINKED.match(line), line) for line in lines.splitlines(keepends=True)]
    named = [(match.group(1), line) for match, line in found if match]
    if not (start and end) or len(named) < len(found):
        raise not_as_written(previous)
    return head + start, named, end + tail


def group_by_day(renditions: Sequence[Rendition]) -> list[Day]:
    """Renditions arrive newest date first; keep that and the batch order inside a day."""
    return [
        Day(day, tuple(items))
        for day, items in groupby(renditions, key=lambda rendition: rendition.article.batch_date)
    ]


class Pages:
    """Renders every page of one script."""

    def __init__(
        self,
        env: jinja2.Environment,
        site: Site,
        edition: Edition,
        summary_chars: int,
        per_source: bool = True,
        og_names: dict[Edition, str] | None = None,
    ) -> None:
        self.env = env
        self.site = site
        self.edition = edition
        self.per_source = per_source  # whether per-source feeds exist to link to
        self._others = site.others(edition)
        # Open Graph's names of the editions
        og_names = og_names or og_locales("tw", site.editions)
        # What every page of the edition is given, made once, not once per page.
        self._common: dict[str, object] = {
            "site": site,
            "site_title": site.titles[edition],
            "edition": edition,
            "words": WORDS[edition.script] | READER_WORDS[edition.script],
            "summary_chars": summary_chars,
            "og_locale": og_names[edition],
            "og_twin_locales": [og_names[each] for each in self._others],
        }
        self._in_folders: dict[str, dict[str, object]] = {}

    def _render(
        self, template: str, path: str, path_in: Callable[[Edition], str], **values: object
    ) -> bytes:
        """The page at `path`; `path_in` gives the same page in another edition. Its links
        are relative to it, except the canonical URLs that name it and its twins to search
        engines (which want them absolute)."""
        site = self.site
        others = [
            Other(other, site.relative(path_in(other), path), site.url(path_in(other)))
            for other in self._others
        ]
        given = {**self._in_folder(path), "others": others, "url": site.url(path), **values}
        return self.env.get_template(template).render(given).encode("utf-8")

    def _in_folder(self, path: str) -> dict[str, object]:
        """What every page in the folder of the page at `path` is given: the edition's
        values, and its links and the functions that make them, relative to the folder (a
        link depends on the page's folder alone). Made once per folder, not once per page."""
        folder = posixpath.dirname(path)
        if folder not in self._in_folders:
            site, edition = self.site, self.edition

            def link(target: str) -> str:
                return site.relative(target, path)

            def source_link(feed_path: Callable[[Edition, str], str]) -> Callable[[Article], str]:
                # Named by the original source, so both scripts' feeds of a source are twins.
                return lambda article: link(feed_path(edition, article.original.source))

            targets = {
                "home_url": site.index_path(edition),
                "atom_url": site.atom_path(edition),
                "rss_url": site.rss_path(edition),
                "json_url": site.json_feed_path(edition),
                "style_url": STYLESHEET,
                "icon_url": FAVICON,
                "subscribe_url": site.subscribe_path(edition),
                "search_url": site.search_path(edition),
                "digests_url": site.digest_index_path(edition),
                "opml_url": site.opml_path(edition),
                "json_opml_url": site.json_opml_path(edition),
            }
            self._in_folders[folder] = {
                **self._common,
                **{name: link(target) for name, target in targets.items()},
                "article_url": lambda article: link(site.article_path(edition, article)),
                "day_url": lambda day: link(site.day_path(edition, day)),
                "source_feed_url": source_link(site.source_feed_path) if self.per_source else None,
                "source_json_url": source_link(site.source_json_path),
                "source_page_url": lambda article: link(
                    site.source_page_path(edition, article.original.source)
                ),
            }
        return self._in_folders[folder]

    # Renderers for the build: each takes the renditions an output shows, newest first.

    def index_renderer(self, days: Sequence[tuple[dt.date, int]]) -> Render:
        return lambda latest: self.index(latest, days)

    def day_renderer(self, day: dt.date) -> Render:
        return lambda renditions: self.day(day, renditions)

    def page_renderer(
        self, template: str, path: str, path_in: Callable[[Edition], str], **values: object
    ) -> Render:
        """A page at `path` (in another edition at `path_in(edition)`) that lists the
        renditions it is given."""
        return lambda renditions: self._render(
            template, path, path_in, renditions=renditions, **values
        )

    def page_streamer(
        self, template: str, path: str, path_in: Callable[[Edition], str], **values: object
    ) -> Callable[[Slices], bytes]:
        """The same page made from its renditions a slice at a time (Output.streamed), for
        a template that reads the first and then goes through them once."""
        return lambda slices: self._render(
            template, path, path_in, renditions=OnePass(slices), **values
        )

    def article_renderer(self, renditions: Sequence[Rendition]) -> bytes:
        return self.article(renditions[0])

    def index(self, latest: Sequence[Rendition], days: Sequence[tuple[dt.date, int]]) -> bytes:
        path = self.site.index_path(self.edition)
        return self._render(
            "index.html",
            path,
            self.site.index_path,
            groups=group_by_day(latest),
            days=days,
        )

    def day(self, day: dt.date, renditions: Sequence[Rendition]) -> bytes:
        return self._render(
            "day.html",
            self.site.day_path(self.edition, day),
            lambda other: self.site.day_path(other, day),
            day=day,
            renditions=renditions,
        )

    def article(self, rendition: Rendition) -> bytes:
        article, site = rendition.article, self.site
        original = site.original(article)
        path = site.article_path(self.edition, article)
        return self._render(
            "article.html",
            path,
            lambda other: site.article_path(other, article),
            rendition=rendition,
            original=original,
            original_url=site.relative(site.article_path(original, article), path),
            report_url=site.relative(site.report_path(self.edition, article), path),
        )


def root_index(env: jinja2.Environment, site: Site, default: Edition) -> bytes:
    """The site's front door (index.html): one line per script with its pages, feed and
    subscribe form; its own title in the site's default script; and a few lines of script
    that lead a returning reader (or a browser that asks) to their edition."""
    choices = [
        (
            edition,
            WORDS[edition.script],
            site.titles[edition],
            site.index_path(edition),  # at the top of the site, a path is its relative URL
            site.atom_path(edition),
            site.json_feed_path(edition),
            site.subscribe_path(edition),
        )
        for edition in site.editions
    ]
    # Relative to the root page, so the script leads to the edition on any host that serves
    # it. The cookie names an edition's folder; a region subtag (hk in zh-Hant-HK) leads to
    # its edition, a script to its first one.
    pages = {str(each): site.index_path(each) for each in site.editions}
    regions = [
        (each.tag.lower().split("-")[2], each.script.name.lower(), str(each))
        for each in site.editions
        if len(each.tag.split("-")) > 2
    ]
    firsts = {script.name.lower(): str(site.editions.default(script)) for script in Script}
    page = env.get_template("root.html").render(
        site=site,
        default=default,
        title=site.titles[default],
        choices=choices,
        pages=pages,
        regions=regions,
        firsts=firsts,
    )
    return page.encode("utf-8")
