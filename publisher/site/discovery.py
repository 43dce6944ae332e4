"""Discovery: the sitemap (one part per month, with each page's twin in the other script),
robots.txt pointing to it, the OPML list of an edition's feeds, and the Open Graph locales.
Pure: planned outputs in, outputs out."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import jinja2

from publisher.editions import Editions
from publisher.records import Edition, Rendition, Script
from publisher.site.outputs import Output
from publisher.site.paths import Site
from publisher.site.reader_words import READER_WORDS
from publisher.words import WORDS

# Open Graph names a locale, not a script: the Traditional edition's region follows the
# configured variant ("generic" Traditional is read mostly in Taiwan).
_HANT_LOCALES = {"tw": "zh_TW", "hk": "zh_HK", "generic": "zh_TW"}
_DATED = re.compile(r"/((\d{4}-\d{2})-\d{2})[./]")
SITEMAP_INDEX = "sitemap.xml"


def og_locales(hant_variant: str, editions: Editions) -> dict[Edition, str]:
    """Each edition's Open Graph locale: its region's, else its script's usual one."""
    usual = {Script.HANT: _HANT_LOCALES[hant_variant], Script.HANS: "zh_CN"}
    found = {}
    for edition in editions:
        region = edition.tag.split("-")[2:]
        found[edition] = f"zh_{region[0]}" if region else usual[edition.script]
    return found


def sitemap_part_path(part: str) -> str:
    return f"sitemaps/{part}.xml"


def _part_of(path: str) -> str:
    """Dated pages (articles, days) go in their month's part, the rest in "pages"."""
    found = _DATED.search(path)
    return found.group(2) if found else "pages"


def _lastmod(path: str, newest: str) -> str:
    """When a page last changed, as a sitemap's <lastmod> gives it (W3C date): a dated
    page (an article, a day) its day, any other the newest day of the archive, whose
    articles it lists."""
    found = _DATED.search(path)
    return found.group(1) if found else newest


def outputs(
    site: Site,
    env: jinja2.Environment,
    default: Edition,
    paths: Iterable[str],
    days: Sequence[str],
) -> list[Output]:
    """The sitemap's parts and index, and robots.txt, for the HTML pages among the output
    `paths` (the plan's, in its order). The index names a part for each month of `days`
    (YYYY-MM-DD) too: a plan that leaves out the months a build cannot change (`Scope`)
    leaves out their parts, not their names."""
    prefix = f"{default}/"
    parts: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        if path.startswith(prefix) and path.endswith(".html"):
            parts[_part_of(path)].append(path.removeprefix(prefix))
    names = sorted({*parts, *(day[:7] for day in days)})
    newest = days[0] if days else ""
    plan = [
        _sitemap_part(site, env, default, name, tuple(parts[name]), newest)
        for name in sorted(parts)
    ]
    index = env.get_template("sitemap_index.xml")
    # A part changed last on the newest day among its pages (`days` is newest first).
    changed = {day[:7]: day for day in reversed(days)} | {"pages": newest}
    urls = [(site.url(sitemap_part_path(name)), changed.get(name, "")) for name in names]
    shown = (*names, *(day for _, day in urls))
    plan.append(
        Output(
            SITEMAP_INDEX,
            shown,
            default,
            lambda _: index.render(urls=urls).encode(),
            templates=("sitemap_index.xml",),
        )
    )
    robots = env.get_template("robots.txt").render(sitemap=site.url(SITEMAP_INDEX)).encode()
    plan.append(Output("robots.txt", (), default, lambda _: robots, templates=("robots.txt",)))
    return plan


def _sitemap_part(
    site: Site,
    env: jinja2.Environment,
    default: Edition,
    name: str,
    paths: tuple[str, ...],
    newest: str,
) -> Output:
    """One part: a <url> per page in each edition, each naming all and an x-default, with
    its <lastmod> (`_lastmod`, given the archive's `newest` day)."""
    editions = tuple(site.editions)

    def render(_: Sequence[Rendition]) -> bytes:
        pages = [
            (
                {edition: site.url(f"{edition}/{path}") for edition in editions},
                _lastmod(path, newest),
            )
            for path in paths
        ]
        template = env.get_template("sitemap.xml")
        return template.render(pages=pages, editions=editions, default=default).encode()

    # The undated pages change with the newest day, so their part's fingerprint holds it.
    shown = (*paths, newest) if name == "pages" else paths
    return Output(sitemap_part_path(name), shown, default, render, templates=("sitemap.xml",))


def opml(
    site: Site,
    env: jinja2.Environment,
    edition: Edition,
    by_source: dict[str, list[str]],
    per_source: bool,
    *,
    json: bool = False,
) -> Output:
    """The edition's feeds as OPML 2.0: the main feed, the daily and weekly digest feeds
    and, when they exist, one per source named as this script writes the source (from its
    oldest article). With `json`, the same feeds in JSON Feed, in a list of their own: a
    reader who imports both lists would follow every feed twice."""
    oldest = tuple(keys[-1] for keys in by_source.values()) if per_source else ()
    words = WORDS[edition.script] | READER_WORDS[edition.script]
    title = site.titles[edition]
    main, digests, weekly = (
        (site.json_feed_path, site.digest_json_path, site.weekly_digest_json_path)
        if json
        else (site.atom_path, site.digest_feed_path, site.weekly_digest_feed_path)
    )
    source_feed = site.source_json_path if json else site.source_feed_path

    def render(chosen: Sequence[Rendition]) -> bytes:
        feeds = [
            (f"{title} · {words['main_feed']}", main(edition), site.index_path(edition)),
            (words["feed_title"].format(site=title), digests(edition), ""),
            (words["weekly_feed_title"].format(site=title), weekly(edition), ""),
        ]
        feeds += [
            (
                f"{title} · {rendition.text.source}",
                source_feed(edition, rendition.article.original.source),
                site.source_page_path(edition, rendition.article.original.source),
            )
            for rendition in chosen
        ]
        return (
            env.get_template("feeds.opml")
            .render(
                title=words["json_feed_list" if json else "feed_list"].format(site=title),
                edition=edition,
                version="" if json else "ATOM",
                feeds=[
                    (name, site.url(feed), page and site.url(page)) for name, feed, page in feeds
                ],
            )
            .encode()
        )

    path = site.json_opml_path(edition) if json else site.opml_path(edition)
    return Output(path, oldest, edition, render, templates=("feeds.opml",))
