"""The archive's reader-facing outputs, added to the build's plan: the search index and
page, the feed history, a page per source, the digest list, the OPML feed lists, and the
sitemap and robots.txt that describe all of it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence

import jinja2

from publisher.config import Config
from publisher.records import ArticleRef, Locale, Script
from publisher.site import discovery, history, search
from publisher.site.discovery import og_locales
from publisher.site.outputs import Output
from publisher.site.pages import Pages
from publisher.site.paths import Site


def outputs(
    config: Config,
    site: Site,
    env: jinja2.Environment,
    index: Sequence[ArticleRef],
    planned: Sequence[Output],
    added: frozenset[str] | None = None,
) -> list[Output]:
    """What the reader pages add to `planned` (the rest of the site's plan); `added` as in
    `build.plan`."""
    script_js = env.loader.get_source(env, "search.js")[0] if env.loader else ""
    default = site.locales.default(Script(config.scripts.default))
    plan = [Output("search.js", (), default, lambda _: script_js.encode())]
    plan += search.outputs(site, index, added, config.output_dir)
    summary_chars, per_source = config.feeds.summary_chars, config.feeds.per_source
    plan += history.outputs(site, env, summary_chars, index, per_source)
    by_source: dict[str, list[str]] = defaultdict(list)
    for ref in index:
        by_source[ref.source].append(ref.key)
    days = tuple(dict.fromkeys(ref.day.isoformat() for ref in index))
    for script in site.locales:
        locales = og_locales(config.scripts.hant_variant, site.locales)
        pages = Pages(env, site, script, summary_chars, per_source, locales)
        plan += _pages(site, pages, script, by_source, days)
        plan.append(discovery.opml(site, env, script, by_source, per_source))
    every = [*planned, *plan]
    return plan + discovery.outputs(site, env, default, every)


def _pages(
    site: Site, pages: Pages, script: Locale, by_source: dict[str, list[str]], days: tuple[str, ...]
) -> list[Output]:
    def page(
        path: str,
        path_in: Callable[[Locale], str],
        template: str,
        keys: tuple[str, ...],
        *,
        streamed: bool = False,
        **values: object,
    ) -> Output:
        render = pages.page_renderer(template, path, path_in, **values)
        if not streamed:
            return Output(path, keys, script, render)
        stream = pages.page_streamer(template, path, path_in, **values)
        return Output(path, keys, script, render, streamed=stream)

    plan = [
        page(site.search_path(script), site.search_path, "search.html", ()),
        page(
            site.digest_index_path(script),
            site.digest_index_path,
            "digests.html",
            days,
            days=[dt.date.fromisoformat(day) for day in days],
            digest_url=lambda day: site.relative(
                site.digest_path(script, day), site.digest_index_path(script)
            ),
        ),
    ]
    plan += [
        page(
            site.source_page_path(script, source),
            lambda other, source=source: site.source_page_path(other, source),  # type: ignore[misc]
            "source.html",
            tuple(keys),
            streamed=True,  # it lists every article of the source (see pages.OnePass)
            source_feed=site.relative(
                site.source_feed_path(script, source), site.source_page_path(script, source)
            ),
        )
        for source, keys in by_source.items()
    ]
    return plan
