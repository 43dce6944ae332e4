"""WebSub (W3C Recommendation, 2018): tell the hubs of `feeds.websub_hubs` which feeds
changed, so that readers subscribed there get new articles within seconds instead of at
their next poll.

After a build or a daily run, each subscription feed in the output folder (the editions',
the sources', the digests', in every format) is hashed and compared with the hash the
store kept from the last look; a feed whose bytes moved gets a ping to each hub, stored
in the same transaction as its new hash. Then every waiting ping is sent, one POST per hub
and feed (`hub.mode=publish`, `hub.url=FEED`), and a 2xx answer removes it. A hub that does
not answer is tried again with back-off a few times, within a time limit, and then left:
its pings wait in the store for the next build or run, and the build itself never fails
for it (a warning says so). A hub that refuses a feed (a 4xx other than 408 or 429) will
refuse it again: the ping is dropped with a warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publisher.records import Edition, Tally
from publisher.site.paths import Site

log = logging.getLogger(__name__)

ATTEMPTS = 3  # per ping and run
BACKOFF = 0.5  # seconds before the second attempt; doubles after each
TIME_LIMIT = 30.0  # seconds one run spends on the hubs in all
TIMEOUT = 10.0  # seconds per request

Post = Callable[[str, str, float], int]  # (hub, feed URL, timeout) → HTTP status


@dataclass(frozen=True)
class PingReport:
    changed: int = 0  # feeds found changed in this look
    sent: int = 0  # pings a hub acknowledged
    waiting: int = 0  # pings left for the next run
    dropped: int = 0  # pings a hub refused for good

    def summary(self) -> str:
        text = f"WebSub: {self.changed} feeds changed, {self.sent} pings acknowledged"
        return text + (f", {self.waiting} waiting for the next run" if self.waiting else "")


def post(hub: str, topic: str, timeout: float) -> int:
    """POST a publish ping; the status of the answer (a 4xx or 5xx too)."""
    body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
    request = urllib.request.Request(
        hub,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "publisher"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def feed_paths(site: Site, sources: Iterable[str]) -> Iterator[str]:
    """Every subscription feed's path (archive documents are history, not subscribed)."""
    names = list(sources)
    for edition in site.editions:
        yield from _edition_feeds(site, edition)
        for source in names:
            yield site.source_feed_path(edition, source)
            yield site.source_json_path(edition, source)


def _edition_feeds(site: Site, edition: Edition) -> Iterator[str]:
    yield site.atom_path(edition)
    yield site.rss_path(edition)
    yield site.json_feed_path(edition)
    yield site.digest_feed_path(edition)
    yield site.digest_json_path(edition)
    yield site.weekly_digest_feed_path(edition)
    yield site.weekly_digest_json_path(edition)


class FeedStates(Protocol):
    """What the pings ask of the store (publisher.store.pings): each feed's hash at the
    last look, the pings waiting and their outcomes, and the sources (whose feeds to look
    at)."""

    def feed_digests(self) -> dict[str, str]: ...

    def counts_by_source(self) -> list[Tally]: ...

    def note_changed_feeds(
        self, changed: Mapping[str, str], hubs: Iterable[str], now: dt.datetime
    ) -> None: ...

    def waiting_pings(self) -> list[tuple[str, str]]: ...

    def ping_done(self, hub: str, topic: str) -> None: ...

    def ping_failed(self, hub: str, topic: str, error: str) -> None: ...


def changed_feeds(store: FeedStates, site: Site, root: Path) -> dict[str, str]:
    """Feed URL → hash of its bytes, for the feeds in `root` whose bytes differ from the
    last look (every feed, the first time)."""
    known = store.feed_digests()
    sources = [tally.name for tally in store.counts_by_source()]
    found = {}
    for path in feed_paths(site, sources):
        try:
            digest = hashlib.sha256((root / path).read_bytes()).hexdigest()
        except FileNotFoundError:
            continue
        url = site.url(path)
        if known.get(url) != digest:
            found[url] = digest
    return found


def notify(
    store: FeedStates,
    site: Site,
    root: Path,
    now: dt.datetime,
    *,
    send: Post = post,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
) -> PingReport:
    """Note the feeds under `root` that changed since the last look and tell each hub
    (`site.hubs`) of them, with the pings earlier runs left; see the module's docstring."""
    if not site.hubs:
        return PingReport()
    changed = changed_feeds(store, site, root)
    if changed:
        store.note_changed_feeds(changed, site.hubs, now)
    deadline = clock() + TIME_LIMIT
    sent = dropped = 0
    given_up: set[str] = set()  # hubs that did not answer in this run
    for hub, topic in store.waiting_pings():
        if clock() >= deadline:
            log.warning("WebSub: out of time; the pings left wait for the next run")
            break
        if hub in given_up or hub not in site.hubs:
            continue
        outcome = _ping(hub, topic, send, clock, sleep, deadline)
        if outcome == "sent":
            store.ping_done(hub, topic)
            sent += 1
        elif outcome == "refused":
            store.ping_done(hub, topic)
            dropped += 1
        else:
            store.ping_failed(hub, topic, outcome)
            log.warning("WebSub hub %s: %s; its pings wait for the next run", hub, outcome)
            given_up.add(hub)
    waiting = sum(hub in site.hubs for hub, _ in store.waiting_pings())
    return PingReport(len(changed), sent, waiting, dropped)


def _ping(
    hub: str,
    topic: str,
    send: Post,
    clock: Callable[[], float],
    sleep: Callable[[float], object],
    deadline: float,
) -> str:
    """ "sent", "refused", or why the hub could not be reached."""
    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            delay = BACKOFF * 2 ** (attempt - 1)
            if clock() + delay > deadline:
                break
            sleep(delay)
        try:
            status = send(hub, topic, max(min(TIMEOUT, deadline - clock()), 0.1))
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            problem = f"not reachable ({getattr(reason, 'strerror', None) or reason})"
            continue
        if 200 <= status < 300:
            return "sent"
        if 400 <= status < 500 and status not in (408, 429):
            log.warning("WebSub hub %s refused %s (HTTP %d); not sent again", hub, topic, status)
            return "refused"
        problem = f"answered HTTP {status}"
    return problem or "no time left"
