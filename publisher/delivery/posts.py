"""Posting a day's articles to a Telegram channel per edition, each exactly once.

A row per (article, chat) in `posts` moves as a mail's delivery row does
(publisher.delivery.engine), every step committed before the next begins:

    queued ──claim──▶ sending ──hand over──▶ sending, handed_over ──ok──▶ sent
      ▲                                             ├── 4xx ──▶ failed
      └──── 429 (after retry_after), 5xx, refused ──┤
                                                    └── no answer, or killed ──▶ uncertain

The hand-over is committed before the request leaves. A run killed before it left a row
in `sending` that nothing can have posted: the next run queues it again. A run killed
after it (or a connection lost after the request went out) may have posted the message:
Telegram gives no way to ask, and a bot cannot read its channel's history, so the row
becomes `uncertain` and is never posted again on its own. An operator looks at the
channel and settles it (`publisher posts settle --sent KEY` or `--resend KEY`), as with
uncertain mail. A kill leaves at most one uncertain row: one request is out at a time.

Articles are posted in batch order, each article to its editions' channels in turn, at
the pace Telegram allows (publisher.delivery.telegram.RateLimit); a 429's retry_after is
waited out. A run that has waited `max_wait` seconds in all, or met a Bot API that keeps
failing, stops and leaves the rest queued for the next run.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from publisher.articles.conversion import Scripts
from publisher.articles.renditions import StoredConversions, renditions
from publisher.delivery.telegram import BotApi, PostFailure, RateLimit
from publisher.mail.view import human_date, one_line
from publisher.records import Article, Edition, Post, PostStatus, Rendition
from publisher.site.paths import Site
from publisher.words import WORDS

log = logging.getLogger(__name__)

FAILURES_IN_A_ROW = 5  # Bot API failures (no answer, 5xx) before a run gives up for now
BACKOFF = 2.0  # seconds before a chat is tried again after such a failure; doubles


@dataclass(frozen=True)
class Channel:
    edition: Edition
    chat: str


@dataclass(frozen=True)
class PostReport:
    day: dt.date
    sent: int = 0
    failed: int = 0
    uncertain: int = 0  # found or made uncertain in this run
    queued: int = 0  # left for the next run
    empty: bool = False  # no articles that day
    stopped: str = ""  # why the run stopped early

    @property
    def unfinished(self) -> bool:
        return bool(self.queued)

    def summary(self) -> str:
        if self.empty:
            return f"posts {self.day}: no articles"
        text = (
            f"posts {self.day}: {self.sent} sent, {self.failed} failed, "
            f"{self.uncertain} uncertain, {self.queued} queued"
        )
        return text + (f" (stopped: {self.stopped})" if self.stopped else "")


def message(site: Site, rendition: Rendition) -> str:
    """The post: title, source and date, and a link to the article's page in the edition,
    in Telegram's HTML subset (text escaped; only <b> and <a> used)."""
    article, edition = rendition.article, rendition.edition
    words = WORDS[edition.script]
    url = site.url(site.article_path(edition, article))
    title = html.escape(one_line(rendition.text.title), quote=False)
    source = html.escape(one_line(rendition.text.source), quote=False)
    date = html.escape(human_date(edition.script, article.batch_date), quote=False)
    link = f'<a href="{html.escape(url, quote=True)}">{html.escape(words["read_more"])}</a>'
    return f"<b>{title}</b>\n{source} · {date}\n{link}"


class PostRows(StoredConversions, Protocol):
    """What posting asks of the store (publisher.store.posts): the day's articles in each
    edition's text, and the rows of its posts, each change its own transaction."""

    def articles(self, *, day: dt.date | None = ..., limit: int | None = ...) -> list[Article]: ...

    def queue_posts(
        self, day: dt.date, rows: Iterable[tuple[int, str, str, str]], now: dt.datetime
    ) -> None: ...

    def recover_posts(self, day: dt.date, now: dt.datetime) -> int: ...

    def queued_posts(self, day: dt.date) -> list[Post]: ...

    def claim_post(self, post_id: int, now: dt.datetime) -> bool: ...

    def hand_over_post(self, post_id: int, now: dt.datetime) -> None: ...

    def settle_post(
        self,
        post_id: int,
        status: PostStatus,
        now: dt.datetime,
        *,
        message_id: str = ...,
        error: str = ...,
    ) -> None: ...


def post_day(
    store: PostRows,
    site: Site,
    scripts: Scripts,
    day: dt.date,
    channels: Sequence[Channel],
    api: BotApi,
    limit: RateLimit,
    now: dt.datetime,
    *,
    max_wait: float,
    stop: threading.Event | None = None,
) -> PostReport:
    """Post each of `day`'s articles to its editions' channels, once; resumable."""
    articles = store.articles(day=day)
    if not articles:
        return PostReport(day, empty=True)
    started = limit.clock()
    wall: Callable[[], dt.datetime] = lambda: now + dt.timedelta(seconds=limit.clock() - started)  # noqa: E731
    store.queue_posts(
        day,
        [(a.position, a.key, ch.edition.tag, ch.chat) for a in articles for ch in channels],
        now,
    )
    run = _Run(store, api, limit, wall, max_wait, stop or threading.Event())
    run.uncertain = store.recover_posts(day, now)
    texts = {
        (rendition.article.key, channel.edition.tag): message(site, rendition)
        for channel in channels
        for rendition in renditions(store, scripts, articles, channel.edition)
    }

    def waiting() -> list[Post]:
        # A row of an edition no longer in the config waits for it to come back.
        return [post for post in store.queued_posts(day) if (post.article, post.edition) in texts]

    while not run.stopped and (queue := waiting()):
        for post in queue:
            if not run.post(post, texts[post.article, post.edition]):
                break
    return PostReport(day, run.sent, run.failed, run.uncertain, len(waiting()), stopped=run.stopped)


class _Run:
    def __init__(
        self,
        store: PostRows,
        api: BotApi,
        limit: RateLimit,
        wall: Callable[[], dt.datetime],
        max_wait: float,
        stop: threading.Event,
    ) -> None:
        self.store, self.api, self.limit, self.wall = store, api, limit, wall
        self.max_wait, self.stop_event = max_wait, stop
        self.waited = 0.0
        self.in_a_row = 0
        self.sent = self.failed = self.uncertain = 0
        self.stopped = ""

    def post(self, post: Post, text: str) -> bool:
        """Post one row; False when the run must stop (the row is left as it was)."""
        if self.stop_event.is_set():
            self.stopped = "stop requested"
            return False
        delay = self.limit.due(post.chat) - self.limit.clock()
        if delay > 0 and self.waited + delay > self.max_wait:
            self.stopped = f"waited {self.waited:.0f} s of telegram.max_wait_seconds"
            return False
        self.waited += self.limit.wait(post.chat)
        if not self.store.claim_post(post.id, self.wall()):
            return True  # settled meanwhile (by an operator)
        self.store.hand_over_post(post.id, self.wall())
        try:
            message_id = self.api.send_message(post.chat, text)
        except PostFailure as failure:
            self.limit.sent(post.chat)
            return self._failed(post, failure)
        self.limit.sent(post.chat)
        self.store.settle_post(post.id, PostStatus.SENT, self.wall(), message_id=message_id)
        self.sent += 1
        self.in_a_row = 0
        return True

    def _failed(self, post: Post, failure: PostFailure) -> bool:
        reason = self.api.redact(failure.reason)
        log.warning("telegram %s: %s", post.chat, reason)
        if failure.maybe_posted:
            self.store.settle_post(post.id, PostStatus.UNCERTAIN, self.wall(), error=reason)
            self.uncertain += 1
            return True
        if not failure.temporary:
            self.store.settle_post(post.id, PostStatus.FAILED, self.wall(), error=reason)
            self.failed += 1
            return True
        self.store.settle_post(post.id, PostStatus.QUEUED, self.wall(), error=reason)
        if failure.retry_after:
            self.limit.hold(post.chat, failure.retry_after)  # Telegram's own word: honour it
            return False  # the next pass takes the queue again, in order
        self.in_a_row += 1
        if self.in_a_row >= FAILURES_IN_A_ROW:
            self.stopped = f"the Bot API failed {self.in_a_row} times in a row: {reason}"
            return False
        self.limit.hold(post.chat, BACKOFF * 2 ** (self.in_a_row - 1))
        return False
