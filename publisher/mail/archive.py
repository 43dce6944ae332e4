"""The digest's web archive, planned into the site's build: a page per day and edition and
each edition's digest feed, and beside them the weekly digest's: a page per complete week
(…/digests/weekly/2026-W48.html) and its feed (…/digests/weekly/atom.xml).

The build writes them with the rest of the output folder, for every day the digest index
lists and every week that has ended, so a mailed digest never links a page that is not
there. Pages and feeds depend on the stored articles only; the clock decides only which
weeks have ended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import chain, groupby
from pathlib import Path
from typing import Protocol

from publisher.mail import weekly
from publisher.mail.sources import DigestSources, SourceSettings
from publisher.mail.view import DigestView, digest_page_path, render_archive
from publisher.records import Edition, Rendition
from publisher.site import build
from publisher.site.discovery import og_locales
from publisher.site.feeds import FeedEntry, FeedMeta, atom_feed, edition_feed_meta, page_links
from publisher.site.grouping import Groups
from publisher.site.jsonfeed import json_feed, twins
from publisher.site.outputs import Extra, Output, Scope, Slices
from publisher.site.workers import BuildSettings
from publisher.store import Store
from publisher.words import WORDS

# The templates the digest's outputs are rendered with (a build re-renders an output when
# one it uses changes): its pages, and its feeds' entries.
PAGE_TEMPLATES = ("digest_archive.html",)
FEED_TEMPLATES = ("digest_entry.html",)


class ArchiveSettings(BuildSettings, SourceSettings, Protocol):
    """What the build with the digest's archive reads of the configuration (a Config is
    one): the build's part and the digest's ingredients."""


def build_site(
    config: ArchiveSettings,
    store: Store,
    now: dt.datetime,
    progress: Callable[[list[Output]], Iterable[Output]] = iter,
    *,
    full: bool = False,
    looking: Callable[[list[Output]], Iterable[Output]] = iter,
) -> build.BuildReport:
    """The site's build with the digest's web archive in its plan: what `publisher build`,
    `send` and the daily run write."""
    extra = digest_outputs(config, now)
    return build.build(config, store, now, progress, full=full, extra=extra, looking=looking)


def digest_outputs(config: ArchiveSettings, now: dt.datetime) -> Extra:
    """The digest archive's outputs for the build's plan, with the weeks ended by `now`."""
    sources = DigestSources.of(config)
    last_week = weekly.last_complete_week(now.astimezone(sources.site.zone).date())
    plan = _Plan(sources, og_locales(config.scripts.hant_variant, sources.site.editions))
    planned = partial(plan.outputs, config.feeds.max_entries, last_week)
    # The digest settings shape every page; the fingerprints hold them through `_Plan.mark`.
    again = partial(digest_outputs, config, now)
    return Extra(f"digests until {last_week} {plan.mark}", planned, again, plan.day)


def day_pages(config: ArchiveSettings, day: dt.date) -> list[Path]:
    """The day's digest page in each edition, where the build writes it."""
    site = DigestSources.of(config).site
    return [config.output_dir / site.digest_path(edition, day) for edition in site.editions]


class _Plan:
    def __init__(self, sources: DigestSources, og_names: dict[Edition, str]) -> None:
        self.sources = sources
        self.site = sources.site
        self.og_names = og_names
        # Among every output's keys: a change of these settings renders every page again.
        self.mark = f"digest:{sources.excerpt_chars}:{sources.weekly_per_day}"

    def outputs(
        self, max_entries: int, last_week: dt.date, groups: Groups, scope: Scope | None
    ) -> list[Output]:
        """Every ended week's page with articles, and the feeds of the newest
        `max_entries` days and weeks, in every edition; within a `scope`, the weeks of its
        months (the feeds always). A day's page is planned beside the day's (`day`)."""
        days = groups.days
        # A week shows the first weekly_per_day stories of each day (`weekly.pick`), which
        # the index's order gives: its page and feed entry read those, not the week's all.
        per_day = self.sources.weekly_per_day
        weeks: dict[dt.date, list[str]] = {}
        for day, keys in days.items():  # newest day first, so newest week first
            monday = day - dt.timedelta(days=day.weekday())
            if monday <= last_week:
                weeks.setdefault(monday, [])
                weeks[monday][:0] = keys[:per_day]  # the days in calendar order
        shown_weeks = [
            monday
            for monday in weeks
            if scope is None or any(scope.has_month(day) for day in weekly.days_of(monday))
        ]
        window = list(days)[:max_entries]
        week_window = list(weeks)[:max_entries]
        planned: list[Output] = []
        for edition in self.site.editions:
            planned += [self._page(edition, m, m, weeks[m]) for m in shown_weeks]
            planned += self._feeds(edition, [days[day] for day in window], weekly=False)
            planned += self._feeds(edition, [weeks[m] for m in week_window], weekly=True)
        return planned

    def day(self, edition: Edition, day: dt.date, keys: Sequence[str]) -> list[Output]:
        """The day's page, which shows the day's articles (`keys`)."""
        return [self._page(edition, day, None, keys)]

    def _page(
        self, edition: Edition, day: dt.date, monday: dt.date | None, keys: Sequence[str]
    ) -> Output:
        path = digest_page_path(self.site, edition, day, monday)

        def render(chosen: Sequence[Rendition]) -> bytes:
            view = self._view(edition, list(chosen), monday)
            return render_archive(self.sources.env, self.site, view, self.og_names)

        return Output(path, (*keys, self.mark), edition, render, templates=PAGE_TEMPLATES)

    def _view(
        self, edition: Edition, chosen: list[Rendition], monday: dt.date | None
    ) -> DigestView:
        day = weekly.days_of(monday)[-1] if monday else chosen[0].article.batch_date
        return self.sources.view(edition, day, chosen, monday)

    def _feeds(self, edition: Edition, shown: list[list[str]], *, weekly: bool) -> list[Output]:
        """The digest feed of `shown` (each a day's or a week's keys, newest first), Atom
        and JSON Feed; without entries until there is a day (a week that has ended), so
        that the feed lists (OPML) never name a feed that is not there."""
        site = self.site
        feed = site.weekly_digest_feed_path if weekly else site.digest_feed_path
        json_in = site.weekly_digest_json_path if weekly else site.digest_json_path
        keys = (*chain.from_iterable(shown), self.mark)
        # The Atom and the JSON Feed file are made from the same entries, in a row: the one
        # made first leaves them to the other, whose articles are then not read again.
        made: list[tuple[FeedMeta, list[FeedEntry]]] = []

        def parts(slices: Slices) -> tuple[FeedMeta, list[FeedEntry]]:
            if not made:
                made.append(parts_of(slices))
            return made[0]

        def parts_of(slices: Slices) -> tuple[FeedMeta, list[FeedEntry]]:
            # A day's or a week's renditions at a time, as the build loads them: the weekly
            # feed shows 50 weeks, at 100 articles a day some 35,000 articles.
            entries: list[FeedEntry] = []
            newest: DigestView | None = None
            for each in _split(chain.from_iterable(slices), weekly):
                view = self._view(edition, each, _monday(each[0]) if weekly else None)
                newest = newest or view
                entries.append(self._entry(view))
            page = (
                digest_page_path(site, edition, newest.day, newest.first_day)
                if newest
                else site.digest_index_path(edition)
            )
            title = WORDS[edition.script]["weekly_feed_title" if weekly else "feed_title"]
            meta = edition_feed_meta(
                site,
                edition,
                path=feed(edition),
                path_in=feed,
                page_path=page,
                title=title.format(site=site.titles[edition]),
            )
            return meta, entries

        def atom(slices: Slices) -> bytes:
            return atom_feed(*parts(slices))

        def json(slices: Slices) -> bytes:
            meta, entries = parts(slices)
            others = twins(site, edition, json_in)
            return json_feed(meta, entries, feed_url=site.url(json_in(edition)), others=others)

        return [
            Output(
                path,
                keys,
                edition,
                partial(_at_once, make),
                streamed=make,
                templates=FEED_TEMPLATES,
            )
            for path, make in ((feed(edition), atom), (json_in(edition), json))
        ]

    def _entry(self, view: DigestView) -> FeedEntry:
        page = digest_page_path(self.site, view.edition, view.day, view.first_day)
        return FeedEntry(
            id=self.site.feed_id(page),
            title=view.subject,
            published=view.updated,
            updated=view.updated,
            author="",
            categories=(),
            summary=view.heading,
            content_html=self.sources.env.get_template("digest_entry.html").render(view=view),
            links=page_links(view.edition, view.archive_url, view.others),
            lang=view.edition.tag,
        )


def _at_once(made: Callable[[Slices], bytes], chosen: Sequence[Rendition]) -> bytes:
    """A streamed output made from its renditions in one slice."""
    return made([chosen])


def _monday(rendition: Rendition) -> dt.date:
    day = rendition.article.batch_date
    return day - dt.timedelta(days=day.weekday())


def _split(chosen: Iterable[Rendition], weekly: bool) -> Iterator[list[Rendition]]:
    """A feed's renditions (its days' or weeks' in order) cut into its days or weeks."""
    cut: Callable[[Rendition], dt.date] = (
        _monday if weekly else (lambda rendition: rendition.article.batch_date)
    )
    for _, same in groupby(chosen, cut):
        yield list(same)
