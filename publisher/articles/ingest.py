"""Ingest: batch files → Articles in the store, each with its twin-script text.

A file goes in whole or not at all: it is read as a stream and stored in chunks of CHUNK
articles inside one transaction, so memory stays flat however large the file, and a problem
on its last line still leaves the store as it was. Articles already stored (same normalised
title and body) are skipped.

Several files share a transaction, each in its own savepoint (a bad one is undone alone),
and commit together once they hold COMMIT_EVERY articles: a durable commit costs ~20 ms,
as much as converting 50 articles, and a day's batch is often smaller than that. A file's
outcome is given only once its commit is done, so nobody is told of articles a crash could
still take back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from publisher.articles import batch
from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.errors import BatchError, InputError
from publisher.files import open_input
from publisher.records import Article, ParsedArticle, Text
from publisher.store import Store

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Articles converted and stored at a time: big enough that statements are few, small enough
# that a chunk's texts weigh a few megabytes.
CHUNK = 1000
# Articles read before the files so far are committed: few commits, and the store's write
# lock is never held for long between them (a subscribe form waits meanwhile).
COMMIT_EVERY = 2000


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
    parsed: Iterable[ParsedArticle],
    day: dt.date,
    first_position: int,
    known: set[str],
    scripts: Scripts,
    zone: dt.tzinfo,
) -> list[Article]:
    """Articles not stored yet, in batch order, numbered on from `first_position`. Pure."""
    published = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    seen = set(known)
    result: list[Article] = []
    for item in parsed:
        key = article_key(item.title, item.body)
        if key in seen:
            continue
        seen.add(key)
        original = Text(title=item.title, body=item.body, source=item.source)
        text = f"{item.title}\n{item.body}"
        result.append(
            Article(
                key=key,
                batch_date=day,
                position=first_position + len(result),
                published=published,
                script=scripts.detect(text),
                original=original,
            )
        )
    return result


def ingest_file(
    config: Config, store: Store, path: Path, *, day: dt.date | None = None, now: dt.datetime
) -> IngestOutcome:
    """Ingest one file; a bad file comes back with its error and has stored nothing."""
    return next(ingest_files(config, store, [path], day=day, now=now))


def ingest_files(
    config: Config,
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
    files = iter(paths)
    path = next(files, None)
    while path is not None:
        done: list[IngestOutcome] = []
        read = 0
        with store.transaction():
            while path is not None and read < COMMIT_EVERY:
                on = batch_date(path, day, now.astimezone(config.site.zone))
                done.append(_ingest(store, path, on, limits, scripts, config.site.zone, now))
                read += done[-1].added + done[-1].duplicates
                path = next(files, None)
        yield from done


def _ingest(
    store: Store,
    path: Path,
    on: dt.date,
    limits: batch.Limits,
    scripts: Scripts,
    zone: dt.tzinfo,
    now: dt.datetime,
) -> IngestOutcome:
    try:
        with open_input(path) as stream, store.part():
            parsed = batch.read(stream, path, limits)
            added, read = _store(store, parsed, on, scripts, zone, path, now)
    except BatchError as error:
        return IngestOutcome(path, 0, 0, error)
    except InputError as error:
        return IngestOutcome(path, 0, 0, BatchError(path, None, error.problem))
    return IngestOutcome(path, added, read - added)


def _store(
    store: Store,
    parsed: Iterator[ParsedArticle],
    on: dt.date,
    scripts: Scripts,
    zone: dt.tzinfo,
    path: Path,
    now: dt.datetime,
) -> tuple[int, int]:
    """Convert and store `parsed` chunk by chunk, inside the caller's transaction; (articles
    added, articles read). Each chunk's articles are in the store when the next chunk asks
    which keys are known, so a repeat later in the same file is caught too."""
    position = store.next_position(on)
    added = read = 0
    while chunk := list(itertools.islice(parsed, CHUNK)):
        read += len(chunk)
        known = store.known_keys(article_key(item.title, item.body) for item in chunk)
        articles = new_articles(chunk, on, position + added, known, scripts, zone)
        converted = []
        for article in articles:
            converter = scripts.converter_to(article.script.twin)
            converted.append(
                (article, converter.signature, converter.convert_text(article.original))
            )
        store.add_articles(converted, source_file=str(path), now=now)
        added += len(articles)
    return added, read
