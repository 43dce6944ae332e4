"""Static pages: per script an index, a page per day and a page per article. Pure: editions
in, HTML bytes out, through autoescaped Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

import jinja2

from publisher.records import SCRIPTS, Article, Edition, Script
from publisher.site.paths import Site
from publisher.words import WORDS

Render = Callable[[Sequence[Edition]], bytes]


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
    ) -> None:
        self.env = env
        self.site = site
        self.script = script
        self.summary_chars = summary_chars
        self.per_source = per_source  # whether per-source feeds exist to link to

    def _render(self, template: str, path: str, twin_path: str, **values: object) -> bytes:
        site, script = self.site, self.script
        page = self.env.get_template(template).render(
            site=site,
            site_title=site.titles[script],
            script=script,
            twin=script.twin,
            words=WORDS[script],
            url=site.url(path),
            twin_url=site.url(twin_path),
            home_url=site.url(site.index_path(script)),
            atom_url=site.url(site.atom_path(script)),
            rss_url=site.url(site.rss_path(script)),
            article_url=lambda article: site.url(site.article_path(script, article)),
            day_url=lambda day: site.url(site.day_path(script, day)),
            source_feed_url=self._source_feed_url if self.per_source else None,
            summary_chars=self.summary_chars,
            **values,
        )
        return page.encode("utf-8")

    def _source_feed_url(self, article: Article) -> str:
        # Named by the original source, so both scripts' feeds of a source are twins.
        return self.site.url(self.site.source_feed_path(self.script, article.original.source))

    # Renderers for the build: each takes the editions an output shows, newest first.

    def index_renderer(self, days: Sequence[tuple[dt.date, int]]) -> Render:
        return lambda latest: self.index(latest, days)

    def day_renderer(self, day: dt.date) -> Render:
        return lambda editions: self.day(day, editions)

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
    """The site's front door: one link per script, with both feeds for discovery; its own
    title in the site's default script."""
    choices = [
        (
            script,
            WORDS[script],
            site.titles[script],
            site.url(site.index_path(script)),
            site.url(site.atom_path(script)),
        )
        for script in SCRIPTS
    ]
    page = env.get_template("root.html").render(title=site.titles[default], choices=choices)
    return page.encode("utf-8")
