"""Complete feed history (RFC 5005, section 4, "archived feeds"), one document per month.

The subscription feeds keep only the newest `feeds.max_entries` entries; each links
`prev-archive` to the archive document of the site's newest month, which links to the month
before, and so on back to the first. Every calendar month from the first article to the
newest gets a document, empty or not, so a month's `prev-archive` and `next-archive` are
known in advance: a past month's document changes once, when the next month begins and its
`next-archive` appears, and after that only if one of its own entries changes. Per edition
and, when `feeds.per_source` is on, per source (from the source's first month on).

Each article sits in exactly one month's document; the newest month's entries are also in
the subscription feed, and a client keeps one copy by atom:id (RFC 5005, 4.2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import jinja2

from publisher.records import ArticleRef, Edition, Locale
from publisher.site import feeds
from publisher.site.feeds import ATOM_TYPE, Link
from publisher.site.outputs import Output, Render
from publisher.site.paths import Site

Month = tuple[int, int]


def month_of(day: dt.date) -> Month:
    return day.year, day.month


def months_between(first: Month, last: Month) -> list[Month]:
    """Every calendar month from `first` to `last`, both included."""
    count = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    start = first[0] * 12 + first[1] - 1
    return [(year, month + 1) for year, month in (divmod(start + n, 12) for n in range(count))]


def label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def archive_path(script: Locale, month: Month, source: str | None = None) -> str:
    name = f"{label(month)}.xml"
    if source is None:
        return f"{script}/archive/{name}"
    return f"{script}/archive/sources/{Site.source_slug(source)}/{name}"


def prev_archive_link(site: Site, path: str) -> Link:
    return Link(site.url(path), rel="prev-archive", type=ATOM_TYPE)


@dataclasses.dataclass(frozen=True)
class _Series:
    """The archive documents of one logical feed: the edition's, or one source's."""

    script: Locale
    title: str
    subscription: str  # the subscription feed's path
    page: str  # the HTML page the feed stands for
    source: str | None
    months: list[Month]

    def path(self, month: Month, script: Locale | None = None) -> str:
        return archive_path(script or self.script, month, self.source)

    def links(self, site: Site, at: int) -> tuple[Link, ...]:
        month = self.months[at]
        links = [
            Link(site.url(self.page), hreflang=self.script.tag),
            *(
                Link(site.url(self.path(month, other)), type=ATOM_TYPE, hreflang=other.tag)
                for other in site.others(self.script)
            ),
            Link(site.url(self.subscription), rel="current", type=ATOM_TYPE),
        ]
        if at > 0:
            links.append(prev_archive_link(site, self.path(self.months[at - 1])))
        if at + 1 < len(self.months):
            following = site.url(self.path(self.months[at + 1]))
            links.append(Link(following, rel="next-archive", type=ATOM_TYPE))
        return tuple(links)

    def document(self, site: Site, env: jinja2.Environment, summary_chars: int, at: int) -> Render:
        """The month's document; a source's gets the source's oldest edition first, for its
        name, so that an empty month is named too."""

        def render(chosen: Sequence[Edition]) -> bytes:
            entries = chosen[1:] if self.source is not None else chosen
            name = (
                f"{self.title} · {chosen[0].text.source}" if self.source is not None else self.title
            )
            path, month = self.path(self.months[at]), self.months[at]
            meta = feeds.FeedMeta(
                id=site.feed_id(path),
                title=f"{name} · {label(month)}",
                subtitle="",
                lang=self.script.tag,
                self_url=site.url(path),
                links=self.links(site, at),
                author=self.title,
                archive=True,
                updated_if_empty=dt.datetime(*month, 1, tzinfo=site.zone),
            )
            made = [
                feeds.article_entry(site, edition, summary_chars, env=env) for edition in entries
            ]
            return feeds.atom_feed(meta, made)

        return render

    def outputs(
        self,
        site: Site,
        env: jinja2.Environment,
        summary_chars: int,
        by_month: dict[Month, list[str]],
        name_keys: tuple[str, ...] = (),
    ) -> list[Output]:
        last = len(self.months) - 1
        return [
            Output(
                self.path(month),
                # Whether prev/next links exist is part of what the document shows.
                (*name_keys, *by_month.get(month, ()), f"links:{at > 0}:{at < last}"),
                self.script,
                self.document(site, env, summary_chars, at),
            )
            for at, month in enumerate(self.months)
        ]


def outputs(
    site: Site,
    env: jinja2.Environment,
    summary_chars: int,
    index: Sequence[ArticleRef],
    per_source: bool,
) -> list[Output]:
    """Every archive document, from the store's article index, newest first."""
    if not index:
        return []
    newest = month_of(index[0].day)
    by_month: dict[Month, list[str]] = defaultdict(list)
    by_source: dict[str, dict[Month, list[str]]] = defaultdict(lambda: defaultdict(list))
    oldest: dict[str, tuple[str, Month]] = {}
    for ref in index:
        by_month[month_of(ref.day)].append(ref.key)
        by_source[ref.source][month_of(ref.day)].append(ref.key)
        oldest[ref.source] = (ref.key, month_of(ref.day))  # newest first: the last one stays
    everything = months_between(month_of(index[-1].day), newest)
    plan: list[Output] = []
    for script in site.locales:
        edition = _Series(
            script,
            site.titles[script],
            site.atom_path(script),
            site.index_path(script),
            None,
            everything,
        )
        plan += edition.outputs(site, env, summary_chars, by_month)
        for source, (key, first) in oldest.items() if per_source else ():
            series = _Series(
                script,
                site.titles[script],
                site.source_feed_path(script, source),
                site.source_page_path(script, source),
                source,
                months_between(first, newest),
            )
            plan += series.outputs(site, env, summary_chars, by_source[source], (key,))
    return plan
