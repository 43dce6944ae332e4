"""Static pages: per script an index, a page per day and a page per article. Pure: editions
in, HTML bytes out, through autoescaped Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

import jinja2

from publisher.records import SCRIPTS, Article, Edition, Script
from publisher.site.discovery import og_locales
from publisher.site.paths import Site
from publisher.site.reader_words import READER_WORDS
from publisher.words import WORDS

Render = Callable[[Sequence[Edition]], bytes]

STYLESHEET = "style.css"  # one for every page, so browsers and CDNs cache it once


@dataclass(frozen=True)
class Day:
    day: dt.date
    editions: tuple[Edition, ...]


def group_by_day(editions: Sequence[Edition]) -> list[Day]:
    """Editions arrive newest date first; keep that and the batch order inside a day."""
    return [
        Day(day, tuple(items))
        for day, items in groupby(editions, key=lambda edition: edition.article.batch_date)
    ]


class Pages:
    """Renders every page of one script."""

    def __init__(
        self,
        env: jinja2.Environment,
        site: Site,
        script: Script,
        summary_chars: int,
        per_source: bool = True,
        locales: dict[Script, str] | None = None,
    ) -> None:
        self.env = env
        self.site = site
        self.script = script
        self.summary_chars = summary_chars
        self.per_source = per_source  # whether per-source feeds exist to link to
        self.locales = locales or og_locales("tw")  # Open Graph's names of the two editions

    def _render(self, template: str, path: str, twin_path: str, **values: object) -> bytes:
        """The page at `path`. Its links are relative to it, except the canonical URLs that
        name it and its twin to search engines (which want them absolute)."""
        site, script = self.site, self.script

        def link(target: str) -> str:
            return site.relative(target, path)

        page = self.env.get_template(template).render(
            site=site,
            site_title=site.titles[script],
            script=script,
            twin=script.twin,
            words=WORDS[script] | READER_WORDS[script],
            url=site.url(path),
            twin_canonical_url=site.url(twin_path),
            twin_url=link(twin_path),
            home_url=link(site.index_path(script)),
            atom_url=link(site.atom_path(script)),
            rss_url=link(site.rss_path(script)),
            style_url=link(STYLESHEET),
            subscribe_url=link(site.subscribe_path(script)),
            article_url=lambda article: link(site.article_path(script, article)),
            day_url=lambda day: link(site.day_path(script, day)),
            source_feed_url=self._source_feed_link(path) if self.per_source else None,
            summary_chars=self.summary_chars,
            search_url=link(site.search_path(script)),
            digests_url=link(site.digest_index_path(script)),
            opml_url=link(site.opml_path(script)),
            source_page_url=lambda article: link(
                site.source_page_path(script, article.original.source)
            ),
            og_locale=self.locales[script],
            og_twin_locale=self.locales[script.twin],
            **values,
        )
        return page.encode("utf-8")

    def _source_feed_link(self, page: str) -> Callable[[Article], str]:
        # Named by the original source, so both scripts' feeds of a source are twins.
        site, script = self.site, self.script
        return lambda article: site.relative(
            site.source_feed_path(script, article.original.source), page
        )

    # Renderers for the build: each takes the editions an output shows, newest first.

    def index_renderer(self, days: Sequence[tuple[dt.date, int]]) -> Render:
        return lambda latest: self.index(latest, days)

    def day_renderer(self, day: dt.date) -> Render:
        return lambda editions: self.day(day, editions)

    def page_renderer(self, template: str, path: str, twin_path: str, **values: object) -> Render:
        """A page at `path` (its twin at `twin_path`) that lists the editions it is given."""
        return lambda editions: self._render(template, path, twin_path, editions=editions, **values)

    def article_renderer(self, editions: Sequence[Edition]) -> bytes:
        return self.article(editions[0])

    def index(self, latest: Sequence[Edition], days: Sequence[tuple[dt.date, int]]) -> bytes:
        path = self.site.index_path(self.script)
        return self._render(
            "index.html",
            path,
            self.site.index_path(self.script.twin),
            groups=group_by_day(latest),
            days=days,
        )

    def day(self, day: dt.date, editions: Sequence[Edition]) -> bytes:
        return self._render(
            "day.html",
            self.site.day_path(self.script, day),
            self.site.day_path(self.script.twin, day),
            day=day,
            editions=editions,
        )

    def article(self, edition: Edition) -> bytes:
        article = edition.article
        return self._render(
            "article.html",
            self.site.article_path(self.script, article),
            self.site.article_path(self.script.twin, article),
            edition=edition,
        )


def root_index(env: jinja2.Environment, site: Site, default: Script) -> bytes:
    """The site's front door (index.html): one line per script with its pages, feed and
    subscribe form; its own title in the site's default script; and a few lines of script
    that lead a returning reader (or a browser that asks) to their edition."""
    choices = [
        (
            script,
            WORDS[script],
            site.titles[script],
            site.index_path(script),  # at the top of the site, a path is its relative URL
            site.atom_path(script),
            site.subscribe_path(script),
        )
        for script in SCRIPTS
    ]
    # Relative to the root page, so the script leads to the edition on any host that serves it.
    pages = {str(script): site.index_path(script) for script in SCRIPTS}
    template = env.get_template("root.html")
    page = template.render(site=site, title=site.titles[default], choices=choices, pages=pages)
    return page.encode("utf-8")
