"""The archive's reader-facing outputs, added to the build's plan: the search index and
page, the feed history, a page per source, the digest list, the OPML feed lists, and the
sitemap and robots.txt that describe all of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import jinja2

from publisher.records import ArticleRef, Edition, Rendition, Script
from publisher.settings import FeedsConfig, ScriptsConfig
from publisher.site import discovery, history, search
from publisher.site.discovery import og_locales
from publisher.site.grouping import Groups, month_label
from publisher.site.outputs import Added, Output, Scope, written_before
from publisher.site.pages import Pages, kept_entries
from publisher.site.paths import Site

# Articles a source's page lists before it links a page per month for the rest.
SOURCE_NEWEST = 200


class ReaderSettings(Protocol):
    """What the reader pages read of the configuration (a Config is one): the default
    script, [feeds]' sizes and the output folder (search's parts)."""

    @property
    def scripts(self) -> ScriptsConfig: ...

    @property
    def feeds(self) -> FeedsConfig: ...

    @property
    def output_dir(self) -> Path: ...


def outputs(
    config: ReaderSettings,
    site: Site,
    env: jinja2.Environment,
    index: Sequence[ArticleRef],
    groups: Groups,
    listed: Sequence[str],
    added: Added | None = None,
    scope: Scope | None = None,
) -> list[Output]:
    """What the reader pages add to the rest of the site's plan, whose outputs' paths are
    `listed` (with the pages its scope leaves out); given what was `added` since the last
    build (and the folder it wrote) and the `scope` of it, as `build.plan` has them."""
    script_js = env.loader.get_source(env, "search.js")[0] if env.loader else ""
    default = site.editions.default(Script(config.scripts.default))
    plan = [
        Output("search.js", (), default, lambda _: script_js.encode(), templates=("search.js",))
    ]
    plan += search.outputs(site, index, added.keys if added else None, config.output_dir, scope)
    summary_chars, per_source = config.feeds.summary_chars, config.feeds.per_source
    by_source = {source: groups.keys_of(source) for source in groups.sources}
    months = {
        source: {month_label(month): keys for month, keys in by_source_month.items()}
        for source, by_source_month in groups.source_months.items()
    }
    days = tuple(day.isoformat() for day in groups.days)
    # The paths of every page, planned or left out by the scope, in plan order: the sitemap's.
    paths = [*listed, *(output.path for output in plan)]
    made: list[Output] = []
    # A source's page of a month shows what its archive document of the month does: the
    # feed history plans it beside that (pages made whole: those that keep entries from
    # their file read only the new ones).
    month_pages: dict[str, Output] = {}
    for edition in site.editions:
        og_names = og_locales(config.scripts.hant_variant, site.editions)
        pages = Pages(env, site, edition, summary_chars, per_source, og_names)
        own = _pages(site, pages, edition, days)
        made += own
        paths += [output.path for output in own]
        for source, keys in by_source.items():
            sources = _source_pages(
                site, pages, edition, source, keys, months[source], added, scope
            )
            made += [output for output in sources if isinstance(output, Output)]
            paths += [output if isinstance(output, str) else output.path for output in sources]
            month_pages.update(
                (output.path, output)
                for output in sources[1:]  # after the source's page, its pages per month
                if isinstance(output, Output) and output.made_of is None
            )
        made.append(discovery.opml(site, env, edition, by_source, per_source))
        made.append(discovery.opml(site, env, edition, by_source, per_source, json=True))
        paths += [made[-2].path, made[-1].path]
    archive = history.outputs(
        site, env, summary_chars, groups, per_source, added, scope, month_pages
    )
    beside = {output.path for output in archive} & month_pages.keys()
    plan += archive
    plan += [output for output in made if output.path not in beside]
    return plan + discovery.outputs(site, env, default, paths, days)


def _page(
    pages: Pages,
    edition: Edition,
    path: str,
    path_in: Callable[[Edition], str],
    template: str,
    keys: tuple[str, ...],
    *,
    streamed: bool = False,
    **values: object,
) -> Output:
    render = pages.page_renderer(template, path, path_in, **values)
    if not streamed:
        return Output(path, keys, edition, render, templates=(template,))
    stream = pages.page_streamer(template, path, path_in, **values)
    return Output(path, keys, edition, render, streamed=stream, templates=(template,))


def _pages(site: Site, pages: Pages, edition: Edition, days: tuple[str, ...]) -> list[Output]:
    return [
        _page(pages, edition, site.search_path(edition), site.search_path, "search.html", ()),
        _page(
            pages,
            edition,
            site.digest_index_path(edition),
            site.digest_index_path,
            "digests.html",
            days,
            days=[dt.date.fromisoformat(day) for day in days],
            digest_url=lambda day: site.relative(
                site.digest_path(edition, day), site.digest_index_path(edition)
            ),
        ),
    ]


def _source_pages(
    site: Site,
    pages: Pages,
    edition: Edition,
    source: str,
    keys: list[str],
    months: dict[str, list[str]],
    added: Added | None,
    scope: Scope | None,
) -> list[Output | str]:
    """A source's page: its articles, newest first. Past SOURCE_NEWEST it lists only the
    newest of them and links a page per month, so a day added rewrites the source's page
    and its month's, not a page of every article the source ever had (14,000 at 100,000).
    Given what was `added` since the last build, a page that listed some of its articles
    then gets the new ones' renditions and keeps the other entries from its file. Within a
    `scope`, a page that shows what it showed is left out of the plan: its path is given
    instead, for the sitemap."""
    page = site.source_page_path(edition, source)

    def feed(path: str) -> str:
        return site.relative(site.source_feed_path(edition, source), path)

    def json_feed(path: str) -> str:
        return site.relative(site.source_json_path(edition, source), path)

    def listing(
        path: str,
        path_in: Callable[[Edition], str],
        shown: tuple[str, ...],
        marks: tuple[str, ...] = (),
        *,
        added: Added | None = added,
        **values: object,
    ) -> Output:
        new = added.among(shown) if added else None
        if not (added and new):
            # streamed: the page reads the first edition, then the rest once (OnePass).
            streamed = not marks
            return _page(pages, edition, path, path_in, "source.html", (*shown, *marks),
                         streamed=streamed, source_feed=feed(path),
                         source_json=json_feed(path), **values)  # fmt: skip
        render = pages.page_renderer(
            "source.html", path, path_in, source_feed=feed(path), source_json=json_feed(path),
            **values,
        )  # fmt: skip
        previous = added.root / path

        def kept(chosen: Sequence[Rendition]) -> bytes:
            return kept_entries(render(chosen), written_before(previous), shown, added, previous)

        return Output(
            path, tuple(new), edition, kept, made_of=(*shown, *marks), templates=("source.html",)
        )

    def page_in(other: Edition) -> str:
        return site.source_page_path(other, source)

    if scope and source not in scope.sources:
        if len(keys) <= SOURCE_NEWEST:
            return [page]
        return [page, *(site.source_month_path(edition, source, month) for month in months)]
    if len(keys) <= SOURCE_NEWEST:
        return [listing(page, page_in, tuple(keys), month=None, months=())]
    listed = [
        (
            month,
            len(month_keys),
            site.relative(site.source_month_path(edition, source, month), page),
        )
        for month, month_keys in months.items()
    ]
    marks = tuple(f"{month}:{count}" for month, count, _ in listed)
    plan: list[Output | str] = [
        listing(page, page_in, tuple(keys[:SOURCE_NEWEST]), marks, month=None, months=listed)
    ]
    # The pages per month are new when the source has just gone past SOURCE_NEWEST: each
    # is made whole. Else a scope plans its months' pages.
    new_pages = added is not None and _now_past(keys, added)
    touched = scope.labels() if scope and not new_pages else None
    for month, month_keys in months.items():
        path = site.source_month_path(edition, source, month)
        if touched is not None and month not in touched:
            plan.append(path)
            continue

        def month_in(other: Edition, month: str = month) -> str:
            return site.source_month_path(other, source, month)

        plan.append(
            listing(path, month_in, tuple(month_keys), month=month, months=(),
                    source_page=site.relative(page, path), added=None if new_pages else added)
        )  # fmt: skip
    return plan


def _now_past(keys: list[str], added: Added) -> bool:
    """Whether the source's articles went past SOURCE_NEWEST with those `added`: its pages
    per month are all new."""
    return len(keys) - len(added.keys.intersection(keys)) <= SOURCE_NEWEST
