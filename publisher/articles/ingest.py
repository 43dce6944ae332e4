"""Ingest: batch files → Articles in the store, each with its twin-script text.

A file goes in whole or not at all: it is read as a stream and stored in chunks
(ARTICLES_PER_CHUNK articles) inside one transaction, so memory stays flat however large the
file, and a problem on its last line still leaves the store as it was. Articles already
stored (same normalised title and body) are skipped.

Several files share a transaction, each in its own savepoint (a bad one is undone alone),
and commit together once they hold COMMIT_EVERY articles: a durable commit costs ~20 ms,
as much as converting 50 articles, and a day's batch is often smaller than that. A file's
outcome is given only once its commit is done, so nobody is told of articles a crash could
still take back.

Converting is most of the work, and OpenCC holds the interpreter's lock: for files that
weigh WORKER_BYTES, or past WORKER_AFTER articles, it runs in a worker process, and the
files are read a chunk ahead of the store (`_ahead`), so the next chunk converts there while
this one is stored here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publisher.articles import batch
from publisher.articles.conversion import (
    Scripts,
    convert_all,
    convert_elsewhere,
    start_worker,
)
from publisher.articles.sitephrases import ScriptSettings
from publisher.errors import BatchError, InputError, PublisherError
from publisher.files import open_input
from publisher.records import Article, ParsedArticle, Script, Text
from publisher.settings import IngestConfig, SiteConfig
from publisher.store import Store

log = logging.getLogger(__name__)

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Articles converted and stored at a time: big enough that statements are few, small enough
# that a chunk's texts weigh a few megabytes.
ARTICLES_PER_CHUNK = 1000
# Articles read before the files so far are committed: few commits, and the store's write
# lock is never held for long between them (a subscribe form waits meanwhile).
COMMIT_EVERY = 2000
# Articles an ingest converts itself before it hands conversion to a worker process: a
# day's batch never pays the worker's start (~0.3 s), a big ingest gains a core.
WORKER_AFTER = 500
# Files that weigh this much together (some 300 articles of news) start the worker at their
# first new article: it loads OpenCC while the next are read, instead of after WORKER_AFTER
# articles. Files already stored start none.
WORKER_BYTES = 2 << 20


@dataclass(frozen=True)
class IngestOutcome:
    path: Path
    added: int
    duplicates: int
    error: BatchError | None = None


def article_key(title: str, body: str) -> str:
    """Identity: the same normalised title and body is the same article, whatever its file."""
    text = batch.normalise(title) + "\n" + batch.normalise(body)
    return hashlib.sha256(text.encode()).hexdigest()


def batch_date(path: Path, given: dt.date | None, now: dt.datetime) -> dt.date:
    """--date, else a YYYY-MM-DD in the file name, else today where `now` is (the site zone)."""
    if given is not None:
        return given
    for match in _DATE_IN_NAME.finditer(path.name):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return now.date()


def new_articles(
    keyed: Iterable[tuple[str, ParsedArticle]],
    day: dt.date,
    follows: Place,
    known: set[str],
    scripts: Scripts,
) -> list[Article]:
    """Articles not stored yet, in batch order, placed after `follows` (numbered on from its
    position, timed on from its time), from (article_key, parsed article) pairs. Pure."""
    seen = set(known)
    fresh: list[tuple[str, ParsedArticle]] = []
    for key, item in keyed:
        if key not in seen:
            seen.add(key)
            fresh.append((key, item))
    times = follows.times(len(fresh))
    return [
        Article(
            key=key,
            batch_date=day,
            position=follows.position + n,
            published=times[n],
            script=scripts.detect(f"{item.title}\n{item.body}"),
            original=Text(title=item.title, body=item.body, source=item.source),
        )
        for n, (key, item) in enumerate(fresh)
    ]


@dataclass(frozen=True)
class Place:
    """Where a day's next new article goes: its position, and the time of the article
    before it (None for the day's first).

    Each article of a day has a time of its own, one second before the article before it,
    so that a feed reader that sorts by time (newest first) lists the day in the batch's
    order and no two entries share an <updated> (the W3C validator warns of that). The
    day's first article has the time of its ingest: the ingest's time of day on the batch's
    date (the moment itself for a batch of today; a batch of another day keeps its date).
    It is stored once, so a rebuild writes the same bytes."""

    day: dt.date
    position: int
    before: dt.datetime | None
    ingested: dt.datetime  # the ingest's moment, in the site's zone

    def times(self, count: int) -> list[dt.datetime]:
        """The times of `count` articles placed here, in order: never before the day's
        start (the day's first is moved later if the seconds since midnight are too few)."""
        start = dt.datetime.combine(self.day, dt.time(), tzinfo=self.ingested.tzinfo)
        second = dt.timedelta(seconds=1)
        if self.before is None:
            clock = self.ingested.replace(microsecond=0, tzinfo=None).time()
            at = dt.datetime.combine(self.day, clock, tzinfo=self.ingested.tzinfo)
            top = max(at, start + second * max(count - 1, 0))
        else:
            top = self.before - second
        return [max(top - second * n, start) for n in range(count)]

    def after(self, articles: Sequence[Article]) -> Place:
        """The place after `articles`, placed here."""
        if not articles:
            return self
        last = articles[-1]
        return dataclasses.replace(self, position=last.position + 1, before=last.published)


class IngestSettings(ScriptSettings, Protocol):
    """What ingest reads of the configuration (a Config is one): the conversion's part,
    [ingest]'s limits and the site's zone (a batch's day)."""

    @property
    def ingest(self) -> IngestConfig: ...

    @property
    def site(self) -> SiteConfig: ...


def ingest_file(
    config: IngestSettings,
    store: Store,
    path: Path,
    *,
    day: dt.date | None = None,
    now: dt.datetime,
) -> IngestOutcome:
    """Ingest one file; a bad file comes back with its error and has stored nothing."""
    return next(ingest_files(config, store, [path], day=day, now=now))


def ingest_files(
    config: IngestSettings,
    store: Store,
    paths: Iterable[Path],
    *,
    day: dt.date | None = None,
    now: dt.datetime,
) -> Iterator[IngestOutcome]:
    """Ingest `paths` in turn, giving each file's outcome once it is committed (see the
    module's docstring). A bad file comes back with its error and has stored nothing; a
    failing store stops the whole, the uncommitted files unreported."""
    limits = batch.Limits(config.ingest.max_title_chars, config.ingest.max_body_chars)
    scripts = Scripts.from_config(config)
    zone = config.site.zone
    paths = list(paths)
    dated = ((path, batch_date(path, day, now.astimezone(zone))) for path in paths)
    with _Converter(scripts, _weight(paths)) as converter:
        prepared = _Prepared(store, scripts, converter, limits, now.astimezone(zone))
        steps = _ahead(prepared.steps(dated))
        more = True
        while more:
            done: list[IngestOutcome] = []
            read = 0
            with store.transaction():
                more = False
                for step in steps:
                    if isinstance(step, _Chunk):
                        store.add_articles(step.converted(), source_file=str(step.path), now=now)
                        prepared.stored(step)
                    elif step.outcome is None:
                        store.begin_part()
                    else:
                        (store.undo_part if step.outcome.error else store.keep_part)()
                        done.append(step.outcome)
                        read += step.outcome.added + step.outcome.duplicates
                        if read >= COMMIT_EVERY:
                            more = True
                            break
            yield from done


@dataclass(frozen=True)
class _Chunk:
    """New articles of one file, in store order; their twin texts are made meanwhile."""

    path: Path
    articles: list[Article]
    signatures: list[str]
    twins: Callable[[], list[Text]]  # waits for them if they are not ready
    shown: list[tuple[str, Text]]  # each original as its editions show it, by signature

    def converted(self) -> list[tuple[Article, Sequence[tuple[str, Text]]]]:
        """Each article with its texts to store: its twin's, and its original as shown."""
        twins = zip(self.signatures, self.twins(), strict=True)
        return [
            (article, (twin, shown))
            for article, twin, shown in zip(self.articles, twins, self.shown, strict=True)
        ]


@dataclass(frozen=True)
class _Edge:
    """A file begins (no outcome yet) or ends (its outcome)."""

    path: Path
    outcome: IngestOutcome | None = None


def _weight(paths: list[Path]) -> int:
    """What the files weigh together, as far as stat tells (one that cannot be read is
    reported when it is)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def _ahead(steps: Iterator[_Chunk | _Edge]) -> Iterator[_Chunk | _Edge]:
    """`steps`, read ahead: a chunk is given out once the chunks after it hold
    ARTICLES_PER_CHUNK articles, already on their way to conversion, so that the store never
    waits for a conversion that could have started sooner. A refused file is given out at
    once: its stored chunks must be undone before the store is asked what it holds again."""
    waiting: deque[_Chunk | _Edge] = deque()
    ahead = 0  # articles in the waiting chunks
    for step in steps:
        waiting.append(step)
        if isinstance(step, _Edge) and step.outcome is not None and step.outcome.error:
            # Its chunks still waiting would only be undone: they are dropped.
            yield from (w for w in waiting if isinstance(w, _Edge) or w.path != step.path)
            waiting.clear()
            ahead = 0
        elif isinstance(step, _Chunk):
            ahead += len(step.articles)
            while ahead > ARTICLES_PER_CHUNK:
                first = waiting.popleft()
                if isinstance(first, _Chunk):
                    ahead -= len(first.articles)
                yield first
    yield from waiting


class _Prepared:
    """Reads the files and gives the steps to store them: a file's edges around its
    chunks of new articles. It runs a chunk ahead of the store, so what is on its way
    counts as known (`pending`), and a refused file's places and keys are given back."""

    def __init__(
        self,
        store: Store,
        scripts: Scripts,
        converter: _Converter,
        limits: batch.Limits,
        ingested: dt.datetime,
    ) -> None:
        self.store, self.scripts, self.converter = store, scripts, converter
        self.limits, self.ingested = limits, ingested
        self.pending: dict[str, Path] = {}  # keys read but not yet in the store
        self.places: dict[dt.date, Place] = {}  # where each day's next article goes

    def stored(self, chunk: _Chunk) -> None:
        for article in chunk.articles:
            del self.pending[article.key]

    def steps(self, files: Iterable[tuple[Path, dt.date]]) -> Iterator[_Chunk | _Edge]:
        for path, on in files:
            yield _Edge(path)
            places = dict(self.places)
            try:
                added, read = yield from self._chunks(path, on)
            except (BatchError, InputError) as error:
                self.places = places
                self.pending = {key: p for key, p in self.pending.items() if p != path}
                if isinstance(error, InputError):
                    error = BatchError(path, None, error.problem)
                yield _Edge(path, IngestOutcome(path, 0, 0, error))
            else:
                yield _Edge(path, IngestOutcome(path, added, read - added))

    def _chunks(self, path: Path, on: dt.date) -> Generator[_Chunk, None, tuple[int, int]]:
        added = read = 0
        with open_input(path) as stream:
            parsed = batch.read(stream, path, self.limits)
            while chunk := list(itertools.islice(parsed, ARTICLES_PER_CHUNK)):
                read += len(chunk)
                keys = [article_key(item.title, item.body) for item in chunk]
                known = self.store.known_keys(keys) | self.pending.keys() & set(keys)
                if on not in self.places:
                    position, before = self.store.day_end(on)
                    self.places[on] = Place(on, position, before, self.ingested)
                keyed = zip(keys, chunk, strict=True)
                articles = new_articles(keyed, on, self.places[on], known, self.scripts)
                self.places[on] = self.places[on].after(articles)
                self.pending.update((article.key, path) for article in articles)
                added += len(articles)
                converters = [self.scripts.converter_to(a.script.twin) for a in articles]
                twins = self.converter.submit(articles)
                signatures = [c.signature for c in converters]
                shown = [self._shown(article) for article in articles]
                yield _Chunk(path, articles, signatures, twins, shown)
        return added, read

    def _shown(self, article: Article) -> tuple[str, Text]:
        """The original as its editions show it: stored now, a later change of the
        punctuation setting corrects it (publisher.articles.renditions)."""
        signature = self.scripts.original_signature(article.script)
        return signature, self.scripts.original(article.original, article.script)


class _Converter:
    """Makes each chunk's twin texts: here while an ingest is small, and in a worker
    process once it has converted WORKER_AFTER articles, or from the first when its files
    weigh WORKER_BYTES, so that reading and storing go on meanwhile on another core (OpenCC
    holds the interpreter's lock while it converts). Where no process can be started (no
    /dev/shm, a process limit), everything stays here.

    The worker is a fresh interpreter (spawn: fork is unsafe beside the daemon's threads),
    so a script that ingests through this module needs Python's usual
    `if __name__ == "__main__":` guard; publisher's own commands have it."""

    def __init__(self, scripts: Scripts, weight: int = 0) -> None:
        self.scripts = scripts
        self.converted = 0
        self.after = 0 if weight >= WORKER_BYTES else WORKER_AFTER  # converted here first
        self.pool: ProcessPoolExecutor | None = None
        self.alone = False  # no worker could be started
        self.sent: deque[_Sent] = deque()  # given to the worker, not yet taken back

    def __enter__(self) -> _Converter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, articles: list[Article]) -> Callable[[], list[Text]]:
        texts = [(article.script.twin, article.original) for article in articles]
        self.converted += len(texts)
        if texts and self.converted > self.after:
            future = self._send(texts)
            if future is not None:
                sent = _Sent(future, texts)
                self.sent.append(sent)
                return lambda: self._back(sent)
        twins = convert_all(self.scripts, texts)
        return lambda: twins

    def _send(self, texts: list[tuple[Script, Text]]) -> Future[list[Text]] | None:
        """`texts` on their way to the worker, started if need be; None: convert them here."""
        if self.alone:
            return None
        try:
            if self.pool is None:
                context = multiprocessing.get_context("spawn")
                self.pool = ProcessPoolExecutor(1, context, start_worker, (os.getpid(),))
            return self.pool.submit(convert_elsewhere, self.scripts.recipe(), texts)
        except (OSError, ImportError, NotImplementedError, BrokenProcessPool) as error:
            log.info("converting in this process, no worker could start: %s", error)
            self.alone = True
            return None

    def _back(self, sent: _Sent) -> list[Text]:
        """`sent`'s twins. Rather than wait for the worker, this process converts the last
        chunks sent that the worker has not begun: both cores work to the end."""
        while not sent.future.done():
            waiting = [other for other in self.sent if other.twins is None]
            if not waiting or not waiting[-1].future.cancel():
                break
            waiting[-1].twins = convert_all(self.scripts, waiting[-1].texts)
        self.sent.remove(sent)
        return sent.twins if sent.twins is not None else _result(sent.future)


@dataclass
class _Sent:
    """A chunk's texts given to the worker; `twins` once this process made them instead."""

    future: Future[list[Text]]
    texts: list[tuple[Script, Text]]
    twins: list[Text] | None = None


def _result(future: Future[list[Text]]) -> list[Text]:
    try:
        return future.result()
    except BrokenProcessPool:
        raise PublisherError(
            "the conversion process ended before its work was done (out of memory?); the "
            "files not reported as added were not stored"
        ) from None
