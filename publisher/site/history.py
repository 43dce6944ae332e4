"""Complete feed history (RFC 5005, section 4, "archived feeds"), one document per month.

The subscription feeds keep only the newest `feeds.max_entries` entries; each links
`prev-archive` to the archive document of its newest month, which links to the month before
that has entries, and so on back to the first. Only a month with entries gets a document (a
year's gap adds no empty ones to walk through), at the path of its month: a past month's
document changes when a later month with entries appears and its `next-archive` with it,
and after that only if one of its own entries changes. Per edition and, when
`feeds.per_source` is on, per source.

Each article sits in exactly one month's document; the newest month's entries are also in
the subscription feed, and a client keeps one copy by atom:id (RFC 5005, 4.2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2

from publisher.records import Edition, Rendition
from publisher.site import feeds
from publisher.site.feeds import ATOM_TYPE, Link
from publisher.site.grouping import Groups, Month, by_month, month_label
from publisher.site.outputs import Added, Output, Render, Scope
from publisher.site.paths import Site


def archive_path(edition: Edition, month: Month, source: str | None = None) -> str:
    name = f"{month_label(month)}.xml"
    if source is None:
        return f"{edition}/archive/{name}"
    return f"{edition}/archive/sources/{Site.source_slug(source)}/{name}"


def prev_archive_link(site: Site, path: str) -> Link:
    return Link(site.url(path), rel="prev-archive", type=ATOM_TYPE)


@dataclasses.dataclass(frozen=True)
class _Series:
    """The archive documents of one logical feed: the edition's, or one source's."""

    edition: Edition
    title: str
    subscription: str  # the subscription feed's path
    page: str  # the HTML page the feed stands for
    source: str | None
    months: list[Month]

    def path(self, month: Month, edition: Edition | None = None) -> str:
        return archive_path(edition or self.edition, month, self.source)

    def _label(self, at: int) -> str:
        """The month at `at` as YYYY-MM, or "" where there is none."""
        return month_label(self.months[at]) if 0 <= at < len(self.months) else ""

    def links(self, site: Site, at: int) -> tuple[Link, ...]:
        month = self.months[at]
        links = [
            Link(site.url(self.page), hreflang=self.edition.tag),
            *(
                Link(site.url(self.path(month, other)), type=ATOM_TYPE, hreflang=other.tag)
                for other in site.others(self.edition)
            ),
            Link(site.url(self.subscription), rel="current", type=ATOM_TYPE),
        ]
        if at > 0:
            links.append(prev_archive_link(site, self.path(self.months[at - 1])))
        if at + 1 < len(self.months):
            following = site.url(self.path(self.months[at + 1]))
            links.append(Link(following, rel="next-archive", type=ATOM_TYPE))
        return tuple(links)

    def meta(self, site: Site, at: int, name: str) -> feeds.FeedMeta:
        path, month = self.path(self.months[at]), self.months[at]
        return feeds.FeedMeta(
            id=site.feed_id(path),
            title=f"{name} · {month_label(month)}",
            subtitle="",
            lang=self.edition.tag,
            self_url=site.url(path),
            links=self.links(site, at),
            author=self.title,
            archive=True,
            updated_if_empty=dt.datetime(*month, 1, tzinfo=site.zone),
        )

    def named(self, chosen: Sequence[Rendition]) -> tuple[str, Sequence[Rendition]]:
        """The feed's name and its entries' renditions: a source's document gets the source's
        oldest rendition first, for its name, so that every month names it alike."""
        if self.source is None:
            return self.title, chosen
        return f"{self.title} · {chosen[0].text.source}", chosen[1:]

    def document(self, site: Site, env: jinja2.Environment, summary_chars: int, at: int) -> Render:
        """The month's document."""

        def render(chosen: Sequence[Rendition]) -> bytes:
            name, shown = self.named(chosen)
            made = [
                feeds.article_entry(site, rendition, summary_chars, env=env) for rendition in shown
            ]
            return feeds.atom_feed(self.meta(site, at, name), made)

        return render

    def appended(
        self,
        site: Site,
        env: jinja2.Environment,
        summary_chars: int,
        at: int,
        keys: Sequence[str],
        previous: Path,
    ) -> Render:
        """The month's document of `keys` when the renditions it gets are only those of the
        keys added since the last build: the other entries are taken from the document that
        build wrote (`previous`), under these same settings and conversions."""

        def render(chosen: Sequence[Rendition]) -> bytes:
            name, shown = self.named(chosen)
            made = {
                rendition.article.key: feeds.article_entry(site, rendition, summary_chars, env=env)
                for rendition in shown
            }
            return feeds.atom_kept(self.meta(site, at, name), keys, made, previous)

        return render

    def output(
        self,
        site: Site,
        env: jinja2.Environment,
        summary_chars: int,
        at: int,
        keys: Sequence[str],
        name_keys: tuple[str, ...] = (),
        added: Added | None = None,
    ) -> Output:
        """The document of the month at `at`, of `keys`. Given what was `added` since the
        last build, a month that had entries before gets only the new ones' renditions
        (`appended`)."""
        month = self.months[at]
        # The months its prev/next links name are part of what the document shows.
        shows = (*name_keys, *keys, f"links:{self._label(at - 1)}:{self._label(at + 1)}")
        new = added.among(keys) if added else None
        if added and new:
            previous = added.root / self.path(month)
            render = self.appended(site, env, summary_chars, at, keys, previous)
            made = (*name_keys, *new)
            return Output(
                self.path(month), made, self.edition, render, made_of=shows, templates=_ENTRY
            )
        render = self.document(site, env, summary_chars, at)
        return Output(self.path(month), shows, self.edition, render, templates=_ENTRY)


_ENTRY = feeds.ENTRY_TEMPLATES


class _Month:
    """A month's document of an edition and its sources' documents of that month, made
    together: they share one list of keys (the edition's, then each source's naming key), so
    the build reads the month's renditions once and gives the documents to one process, and
    each entry is made once, by the edition's document, which the sources' documents then
    hold as it wrote it (an entry serializes alike in every archive document of an edition).
    Only the last month's entries are kept, each until its source's document takes it."""

    def __init__(self, site: Site, env: jinja2.Environment, summary_chars: int) -> None:
        self.site, self.env, self.summary_chars = site, env, summary_chars
        self._entries: dict[str, bytes] = {}

    def outputs(
        self,
        whole: Output,
        series: _Series,
        at: int,
        sources: list[tuple[_Series, int, Output]],
        pages: list[Output],
    ) -> list[Output]:
        """`whole` (the edition's document of the month at `at` of `series`), the
        `sources`' documents of it (each with the month's place among its own) and the
        sources' `pages` of the month, planned on their own, as outputs made together."""
        count = len(whole.keys) - 1  # its keys, then its links
        shared = (*whole.keys, *(output.keys[0] for _, _, output in sources))
        render = self._whole(series, at, count, keep=bool(sources))
        plan = [dataclasses.replace(whole, keys=shared, made_of=whole.keys, render=render)]
        for naming, (source, month_at, output) in enumerate(sources, start=count):
            mine = frozenset(output.keys[1:-1])
            render = self._source(source, month_at, mine, count, naming)
            plan.append(
                dataclasses.replace(output, keys=shared, made_of=output.keys, render=render)
            )
        for page in pages:
            render = _among(page.render, frozenset(page.keys), count)
            plan.append(
                dataclasses.replace(
                    page, keys=shared, made_of=page.keys, render=render, streamed=None
                )
            )
        return plan

    def _whole(self, series: _Series, at: int, count: int, *, keep: bool) -> Render:
        def render(chosen: Sequence[Rendition]) -> bytes:
            shown = chosen[:count]
            meta = series.meta(self.site, at, series.title)
            made = [self._entry(rendition) for rendition in shown]
            pieces = feeds.atom_entries(meta, made)
            # Each entry is in one source's document, which takes it: once they are all
            # made, nothing of the month is held (a month's entries are some 20 MB).
            self._entries = {}
            if keep:
                self._entries = {
                    rendition.article.key: piece
                    for rendition, piece in zip(shown, pieces, strict=True)
                }
            return feeds.atom_document(meta, feeds.feed_updated(meta, made), pieces)

        return render

    def _source(
        self, series: _Series, at: int, mine: frozenset[str], count: int, naming: int
    ) -> Render:
        def render(chosen: Sequence[Rendition]) -> bytes:
            shown = [rendition for rendition in chosen[:count] if rendition.article.key in mine]
            name, _ = series.named([chosen[naming]])
            meta = series.meta(self.site, at, name)
            pieces = [self._piece(rendition, meta) for rendition in shown]
            updated = max((each.updated for each in shown), default=meta.updated_if_empty)
            return feeds.atom_document(meta, updated, pieces)

        return render

    def _piece(self, rendition: Rendition, meta: feeds.FeedMeta) -> bytes:
        """An entry as the edition's document wrote it, else made now (that document was
        not made in this process: its file was as it should be)."""
        piece = self._entries.pop(rendition.article.key, None)
        if piece is None:
            [piece] = feeds.atom_entries(meta, [self._entry(rendition)])
        return piece

    def _entry(self, rendition: Rendition) -> feeds.FeedEntry:
        return feeds.article_entry(self.site, rendition, self.summary_chars, env=self.env)


def _among(render: Render, keys: frozenset[str], count: int) -> Render:
    """`render` of the renditions of `keys`, from a month's: the first `count` it is given."""
    return lambda chosen: render([each for each in chosen[:count] if each.article.key in keys])


def outputs(
    site: Site,
    env: jinja2.Environment,
    summary_chars: int,
    groups: Groups,
    per_source: bool,
    added: Added | None = None,
    scope: Scope | None = None,
    pages: Mapping[str, Output] | None = None,
) -> list[Output]:
    """Every archive document, from the store's article index grouped, a month's document of
    the edition followed by its sources' documents of that month and, of the sources'
    `pages` of a month (by path), those of that month, which show the same articles; `added`
    and `scope` as in `_Series.output`."""
    if not groups.days:
        return []
    by_month_all = by_month(groups.days)
    everything = sorted(by_month_all)
    found = pages or {}
    plan: list[Output] = []
    for edition in site.editions:
        main = _Series(
            edition,
            site.titles[edition],
            site.atom_path(edition),
            site.index_path(edition),
            None,
            everything,
        )
        sources: list[tuple[_Series, dict[Month, list[str]], tuple[str, ...]]] = []
        for source, days in groups.sources.items() if per_source else ():
            if scope and source not in scope.sources:
                continue
            first = next(reversed(days))  # newest first: its oldest day
            months = groups.source_months[source]
            series = _Series(
                edition,
                site.titles[edition],
                site.source_feed_path(edition, source),
                site.source_page_path(edition, source),
                source,
                sorted(months),
            )
            oldest = (days[first][-1],)  # the article that names the source
            sources.append((series, months, oldest))
        together = _Month(site, env, summary_chars)
        for at, month in enumerate(everything):
            if scope and month not in scope.months:
                continue
            whole = main.output(site, env, summary_chars, at, by_month_all[month], added=added)
            docs: list[tuple[_Series, int, Output]] = []
            for its, its_months, naming in sources:
                if month in its_months:
                    place = its.months.index(month)
                    doc = its.output(
                        site, env, summary_chars, place, its_months[month], naming, added
                    )
                    docs.append((its, place, doc))
            label = month_label(month)
            paths = [site.source_month_path(edition, source, label) for source in groups.sources]
            shown = [page for path in paths if (page := found.get(path))]
            # What takes its old entries from its file (`appended`: made_of) is made alone.
            joined = [each for each in docs if each[2].made_of is None]
            if whole.made_of is None and (joined or shown):
                plan += together.outputs(whole, main, at, joined, shown)
                plan += [doc for _, _, doc in docs if doc.made_of is not None]
            else:
                plan += [whole, *(doc for _, _, doc in docs)]
    return plan
