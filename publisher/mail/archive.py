"""The digest's web archive: a page per day and script, and each script's digest feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import jinja2

from publisher.config import Config
from publisher.files import write_if_changed
from publisher.mail.sources import DigestSources
from publisher.mail.view import DigestView, render_archive
from publisher.records import Locale
from publisher.site.discovery import og_locales
from publisher.site.feeds import FeedEntry, atom_feed, page_links, script_feed_meta
from publisher.site.paths import Site
from publisher.store import Store


def _feed_entry(env: jinja2.Environment, site: Site, view: DigestView) -> FeedEntry:
    return FeedEntry(
        id=site.feed_id(site.digest_path(view.script, view.day)),
        title=view.subject,
        published=view.updated,
        updated=view.updated,
        author="",
        categories=(),
        summary=view.heading,
        content_html=env.get_template("digest_entry.html").render(view=view),
        links=page_links(view.script, view.archive_url, view.others),
        lang=view.script.tag,
    )


def _digest_feed(sources: DigestSources, script: Locale, views: Sequence[DigestView]) -> bytes:
    """The digest feed of one edition; `views` newest first."""
    site = sources.site
    meta = script_feed_meta(
        site,
        script,
        path=site.digest_feed_path(script),
        path_in=site.digest_feed_path,
        page_path=site.digest_path(script, views[0].day),
        title=views[0].feed_title,
    )
    return atom_feed(meta, [_feed_entry(sources.env, site, view) for view in views])


def write_archive(config: Config, store: Store, day: dt.date) -> list[Path]:
    """Write the day's archive page per script and each script's digest feed, which holds
    the newest `feeds.max_entries` days (their pages are written too, so no entry links to
    nothing). Atomic; files whose bytes are unchanged are left untouched. Returns the day's
    pages and the feeds; [] when the day has no articles. The output depends on the stored
    data only (no clock), so a rerun gives the same bytes."""
    dates = [dt.date.fromisoformat(each.name) for each in store.counts_by_date()]
    if day not in dates:
        return []
    window = dates[: config.feeds.max_entries]
    sources = DigestSources.of(config)
    locales = og_locales(config.scripts.hant_variant, sources.site.locales)
    # The window's days, and the day asked for when it is older; each read once.
    views = {each: sources.views(store, each) for each in dict.fromkeys([*window, day])}
    paths: list[Path] = []
    for script in sources.site.locales:
        for each, by_script in views.items():
            path = config.output_dir / sources.site.digest_path(script, each)
            page = render_archive(sources.env, sources.site, by_script[script], locales)
            write_if_changed(path, page)
            if each == day:
                paths.append(path)
        feed_path = config.output_dir / sources.site.digest_feed_path(script)
        feed = _digest_feed(sources, script, [views[each][script] for each in window])
        write_if_changed(feed_path, feed)
        paths.append(feed_path)
    return paths
