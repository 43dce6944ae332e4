"""Ingest: batch files → Articles in the store, each with its twin-script text.

A file goes in whole or not at all: it is parsed and converted first, then written in one
transaction. Articles already stored (same normalised title and body) are skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from publisher.articles import batch
from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.errors import BatchError, InputError
from publisher.files import read_input
from publisher.records import Article, ParsedArticle, Text
from publisher.store import Store

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


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
    try:
        parsed = batch.parse(read_input(path), path)
    except BatchError as error:
        return IngestOutcome(path, 0, 0, error)
    except InputError as error:
        return IngestOutcome(path, 0, 0, BatchError(path, None, error.problem))
    scripts = Scripts.from_config(config)
    zone = config.site.zone
    on = batch_date(path, day, now.astimezone(zone))
    with store.transaction():
        known = store.known_keys(article_key(item.title, item.body) for item in parsed)
        articles = new_articles(parsed, on, store.next_position(on), known, scripts, zone)
        converted = []
        for article in articles:
            converter = scripts.converter_to(article.script.twin)
            converted.append(
                (article, converter.signature, converter.convert_text(article.original))
            )
        store.add_articles(converted, source_file=str(path), now=now)
    return IngestOutcome(path, len(articles), len(parsed) - len(articles))
