"""The digest's web archive: a page per day and script and each script's digest feed, and
beside them the weekly digest's: a page per complete week (…/digests/weekly/2026-W48.html)
and its feed (…/digests/weekly/atom.xml)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import jinja2

from publisher.config import Config
from publisher.files import write_if_changed
from publisher.mail import weekly
from publisher.mail.sources import DigestSources
from publisher.mail.view import DigestView, digest_page_path, render_archive
from publisher.records import Edition
from publisher.site.discovery import og_locales
from publisher.site.feeds import FeedEntry, atom_feed, edition_feed_meta, page_links
from publisher.site.jsonfeed import json_feed, twins
from publisher.site.paths import Site
from publisher.store import Store


def _feed_entry(env: jinja2.Environment, site: Site, view: DigestView) -> FeedEntry:
    return FeedEntry(
        id=site.feed_id(digest_page_path(site, view.edition, view.day, view.first_day)),
        title=view.subject,
        published=view.updated,
        updated=view.updated,
        author="",
        categories=(),
        summary=view.heading,
        content_html=env.get_template("digest_entry.html").render(view=view),
        links=page_links(view.edition, view.archive_url, view.others),
        lang=view.edition.tag,
    )


def _digest_feeds(
    sources: DigestSources, edition: Edition, views: Sequence[DigestView]
) -> dict[str, bytes]:
    """The digest feed of one edition, Atom and JSON Feed, by path; `views` newest first."""
    site = sources.site
    newest = views[0]
    weekly = newest.first_day is not None
    feed = site.weekly_digest_feed_path if weekly else site.digest_feed_path
    json_in = site.weekly_digest_json_path if weekly else site.digest_json_path
    meta = edition_feed_meta(
        site,
        edition,
        path=feed(edition),
        path_in=feed,
        page_path=digest_page_path(site, edition, newest.day, newest.first_day),
        title=newest.feed_title,
    )
    entries = [_feed_entry(sources.env, site, view) for view in views]
    others = twins(site, edition, json_in)
    made = json_feed(meta, entries, feed_url=site.url(json_in(edition)), others=others)
    return {feed(edition): atom_feed(meta, entries), json_in(edition): made}


def write_archive(config: Config, store: Store, day: dt.date) -> list[Path]:
    """Write the day's archive page per script and each script's digest feed, which holds
    the newest `feeds.max_entries` days (their pages are written too, so no entry links to
    nothing). The same for the weekly digest: the newest complete weeks (ended by `day`)
    with articles, a page each, and its feed. Atomic; files whose bytes are unchanged are
    left untouched. Returns the day's pages (and the last complete week's) and the feeds;
    [] when the day has no articles. The output depends on the stored
    data only (no clock), so a rerun gives the same bytes."""
    dates = [dt.date.fromisoformat(each.name) for each in store.counts_by_date()]
    if day not in dates:
        return []
    window = dates[: config.feeds.max_entries]
    sources = DigestSources.of(config)
    # The window's days, and the day asked for when it is older; each read once.
    views = {each: sources.views(store, each) for each in dict.fromkeys([*window, day])}
    paths = _write(config, sources, views, window, day)
    mondays = _complete_weeks(dates, day)[: config.feeds.max_entries]
    weeks = {monday: sources.weekly_views(store, monday) for monday in mondays}
    return paths + _write(config, sources, weeks, mondays, weekly.last_complete_week(day))


def _complete_weeks(dates: list[dt.date], day: dt.date) -> list[dt.date]:
    """The Mondays of the weeks, newest first, that have articles and have ended by `day`."""
    last = weekly.last_complete_week(day)
    mondays = {each - dt.timedelta(days=each.weekday()) for each in dates}
    return sorted((monday for monday in mondays if monday <= last), reverse=True)


def _write(
    config: Config,
    sources: DigestSources,
    views: dict[dt.date, dict[Edition, DigestView]],
    window: list[dt.date],
    day: dt.date,
) -> list[Path]:
    """Write the pages of `views` and the feed of `window` (keys of views, newest first);
    returns the paths of `day`'s pages and the feeds."""
    og_names = og_locales(config.scripts.hant_variant, sources.site.editions)
    paths: list[Path] = []
    if not window:
        return paths
    for edition in sources.site.editions:
        for each, by_edition in views.items():
            view = by_edition[edition]
            path = digest_page_path(sources.site, edition, view.day, view.first_day)
            write_if_changed(
                config.output_dir / path,
                render_archive(sources.env, sources.site, view, og_names),
            )
            if each == day:
                paths.append(config.output_dir / path)
        shown = [views[each][edition] for each in window]
        for path, data in _digest_feeds(sources, edition, shown).items():
            write_if_changed(config.output_dir / path, data)
            paths.append(config.output_dir / path)
    return paths
