"""JSON Feed 1.1 (jsonfeed.org/version/1.1) beside each Atom feed, from the same records.
Pure: FeedMeta and FeedEntry in, bytes out, but for `json_kept`, which reads the items a
build wrote before.

An item is its Atom entry in JSON: the same id (the tag: URI), link, title, times, author
(the source), tags and `content_html` (the Atom content, the converted note included).
What JSON Feed has no field for goes in the `_publisher` extension object, as the spec
allows custom objects whose names begin with "_": the same item in the other editions and,
for a converted text, the note and the original's page (Atom's rel="via"); at the feed's
level, the same feed in the other editions.

The bytes are stable: keys in a fixed order, UTF-8 as written (not \\u escapes), two-space
indents, a line end at the end. A document read back and written again is the same bytes,
which is what lets a build that adds a day keep the other items from the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from publisher.records import Edition, Rendition
from publisher.site.feeds import (
    ENTRY_TEMPLATES,
    FeedEntry,
    FeedMeta,
    Link,
    article_entry,
    edition_feed_meta,
)
from publisher.site.grouping import Groups
from publisher.site.outputs import Added, Output, Scope, not_as_written, written_before
from publisher.site.paths import Site

JSON_FEED_TYPE = "application/feed+json"
VERSION = "https://jsonfeed.org/version/1.1"
EXTENSION = "_publisher"
WEBSUB = "WebSub"

PathIn = Callable[[Edition], str]


def json_feed(
    meta: FeedMeta, entries: Sequence[FeedEntry], *, feed_url: str, others: Sequence[Link]
) -> bytes:
    """The JSON Feed of `meta`'s feed with `entries` (newest first), found at `feed_url`;
    `others` link the same JSON Feed in the other editions (href, hreflang, title)."""
    return _document(meta, [item(entry) for entry in entries], feed_url, others)


def json_kept(
    meta: FeedMeta,
    keys: Sequence[str],
    made: Mapping[str, FeedEntry],
    previous: Path,
    *,
    feed_url: str,
    others: Sequence[Link],
) -> bytes:
    """The feed of `meta` with an item per article key of `keys`, in that order: those
    `made` anew, the others as the document at `previous` holds them (the last build's,
    under the same settings and conversions)."""
    try:
        old = {_key_of(each["id"]): each for each in json.loads(written_before(previous))["items"]}
    except (ValueError, KeyError, TypeError):
        raise not_as_written(previous) from None
    new = {key: item(entry) for key, entry in made.items()}
    if not set(keys) <= new.keys() | old.keys():
        raise not_as_written(previous)
    items = [new[key] if key in new else old[key] for key in keys]
    return _document(meta, items, feed_url, others)


def item(entry: FeedEntry) -> dict[str, Any]:
    """One entry as a JSON Feed item."""
    found: dict[str, Any] = {
        "id": entry.id,
        "url": entry.rss_link(),
        "title": entry.title,
        "content_html": entry.content_html,
    }
    if entry.summary:
        found["summary"] = entry.summary
    found["date_published"] = entry.published.isoformat()
    found["date_modified"] = entry.updated.isoformat()
    if entry.author:
        found["authors"] = [{"name": entry.author}]
    if entry.categories:
        found["tags"] = list(entry.categories)
    if entry.lang:
        found["language"] = entry.lang
    extension = _item_extension(entry)
    if extension:
        found[EXTENSION] = extension
    return found


def _item_extension(entry: FeedEntry) -> dict[str, Any]:
    """The item in the other editions, and for a converted text its note and original."""
    found: dict[str, Any] = {}
    twins = [
        link
        for link in entry.links
        if link.rel == "alternate" and link.hreflang not in ("", entry.lang)
    ]
    if twins:
        found["editions"] = [_edition(link, "url") for link in twins]
    via = next((link for link in entry.links if link.rel == "via"), None)
    if via is not None:
        found["converted"] = {
            "note": via.title,
            "original_language": via.hreflang,
            "original_url": via.href,
        }
    return found


def _edition(link: Link, key: str) -> dict[str, str]:
    return {"language": link.hreflang, "title": link.title, key: link.href}


def _document(
    meta: FeedMeta, items: list[dict[str, Any]], feed_url: str, others: Sequence[Link]
) -> bytes:
    document: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.page_url(),
        "feed_url": feed_url,
    }
    if meta.subtitle:
        document["description"] = meta.subtitle
    document["language"] = meta.lang
    if meta.author:
        document["authors"] = [{"name": meta.author}]
    if meta.hubs:
        document["hubs"] = [{"type": WEBSUB, "url": hub} for hub in meta.hubs]
    if others:
        document[EXTENSION] = {"editions": [_edition(link, "feed_url") for link in others]}
    document["items"] = items
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def _key_of(item_id: str) -> str:
    """The article key an item's id ends with (`Site.entry_id`)."""
    return item_id.rpartition("/")[2]


# The build's outputs: a JSON Feed beside the edition's Atom feed and each source's.


def outputs(
    site: Site,
    env: jinja2.Environment,
    settings: FeedSettings,
    edition: Edition,
    window: Sequence[str],
    groups: Groups,
    scope: Scope | None = None,
    added: Added | None = None,
) -> list[Output]:
    """The edition's JSON Feed of `window` (the newest keys) and, with per-source feeds,
    each source's (those in `scope`); as the Atom feeds beside them, an output that showed
    some of its keys before gets only the new ones' renditions (`json_kept`)."""
    found = [
        _output(site, env, settings, edition, window, site.json_feed_path, site.atom_path,
                added=added)
    ]  # fmt: skip
    if not settings.per_source:
        return found
    for source in groups.sources:
        if scope is not None and source not in scope.sources:
            continue
        keys = groups.keys_of(source)[: settings.max_entries]
        found.append(
            _output(
                site,
                env,
                settings,
                edition,
                keys,
                lambda other, source=source: site.source_json_path(other, source),  # type: ignore[misc]
                lambda other, source=source: site.source_feed_path(other, source),  # type: ignore[misc]
                added=added,
                by_source=True,
            )
        )
    return found


def twins(site: Site, edition: Edition, path_in: PathIn) -> list[Link]:
    """The same JSON Feed in each other edition, at `path_in(other)`."""
    return [
        Link(site.url(path_in(other)), type=JSON_FEED_TYPE, hreflang=other.tag, title=other.name)
        for other in site.others(edition)
    ]


@dataclass(frozen=True)
class FeedSettings:
    """What of `[feeds]` a feed's planner reads."""

    max_entries: int
    summary_chars: int
    per_source: bool


def _output(
    site: Site,
    env: jinja2.Environment,
    settings: FeedSettings,
    edition: Edition,
    keys: Sequence[str],
    path_in: PathIn,
    atom_in: PathIn,
    *,
    added: Added | None,
    by_source: bool = False,
) -> Output:
    path = path_in(edition)
    others = twins(site, edition, path_in)

    def meta_of(chosen: Sequence[Rendition]) -> FeedMeta:
        title = site.titles[edition]
        name = f"{title} · {chosen[0].text.source}" if by_source and chosen else title
        # The page the Atom twin names: the edition's index, a source's feed's too.
        page = site.index_path(edition)
        return edition_feed_meta(
            site, edition, path=atom_in(edition), path_in=atom_in, page_path=page, title=name
        )

    def entry(rendition: Rendition) -> FeedEntry:
        return article_entry(site, rendition, settings.summary_chars, env=env)

    def render(chosen: Sequence[Rendition]) -> bytes:
        made = [entry(rendition) for rendition in chosen]
        return json_feed(meta_of(chosen), made, feed_url=site.url(path), others=others)

    new = added.among(keys) if added else None
    if added and new:
        previous = added.root / path

        def kept(chosen: Sequence[Rendition]) -> bytes:
            made = {rendition.article.key: entry(rendition) for rendition in chosen}
            meta = meta_of(chosen)
            return json_kept(meta, keys, made, previous, feed_url=site.url(path), others=others)

        return Output(
            path, tuple(new), edition, kept, made_of=tuple(keys), templates=ENTRY_TEMPLATES
        )
    return Output(path, tuple(keys), edition, render, templates=ENTRY_TEMPLATES)
