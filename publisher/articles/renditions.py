"""Renditions: an article as the readers of one edition see it.

The original script is the stored text verbatim; the other comes from the conversion stored
at ingest. When the conversion settings change (a new protected term, a fixed dictionary
entry, a new OpenCC release), the build calls `convert_missing` first: it converts each
article once under the new settings and stores the result beside the older ones, noting
when the text actually changed. That time is the rendition's `corrected`, so feed readers see
a newer <updated> on exactly the entries whose text changed, and `corrections` lists what
changed for an editor to review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from publisher.articles.conversion import Converter, Scripts, changed_phrases
from publisher.editions import Editions
from publisher.records import Article, Conversion, Edition, Rendition, Script, Text


class StoredConversions(Protocol):
    """What an edition's text asks of the store (publisher.store.articles): the
    conversions stored under one signature."""

    def conversions(self, keys: Iterable[str], signature: str) -> dict[str, Conversion]: ...


class ConversionRows(StoredConversions, Protocol):
    """What converting, and the review of corrections, ask of it besides: the articles
    with no conversion under a signature, each article's conversions and corrections, and
    a new conversion stored in a transaction."""

    def unconverted(self, script: Script, signature: str) -> list[str]: ...

    def articles_by_keys(self, keys: Iterable[str]) -> list[Article]: ...

    def conversions_of(self, key: str) -> list[Conversion]: ...

    def corrections(self, signature: str) -> dict[str, dt.datetime]: ...

    def put_conversion(
        self,
        key: str,
        signature: str,
        text: Text,
        made: dt.datetime,
        corrected: dt.datetime | None = ...,
    ) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...


def renditions(
    store: StoredConversions, scripts: Scripts, articles: Iterable[Article], edition: Edition
) -> list[Rendition]:
    """The articles as the readers of `edition` see them: an original in the edition's script
    as written, any other by the edition's own conversion, stored per its signature."""
    articles = list(articles)
    converter = scripts.converter_for(edition)
    converted = [article.key for article in articles if article.script is not edition.script]
    conversions = store.conversions(converted, converter.signature) if converted else {}
    result = []
    for article in articles:
        if article.script is edition.script:
            result.append(Rendition(article, edition, scripts.original(article.original, edition)))
            continue
        stored = conversions.get(article.key)
        if stored is None:
            # No build has run since the settings changed: convert in memory; the next build
            # stores it and notes whether it changed.
            result.append(Rendition(article, edition, converter.convert_text(article.original)))
        else:
            result.append(Rendition(article, edition, stored.text, stored.corrected))
    return result


def convert_missing(
    store: ConversionRows, scripts: Scripts, editions: Editions, now: dt.datetime
) -> int:
    """Convert and store every article that has no conversion under the current settings
    of an edition; returns how many of them read differently from before. Their correction
    times are `now` for the newest, a second less for each older one: in a feed, as for
    articles (publisher.articles.ingest.Place), no two entries share an <updated>, and the
    times keep the feed's order."""
    corrected = 0
    for edition in editions:
        converter = scripts.converter_for(edition)
        keys = store.unconverted(edition.script.twin, converter.signature)
        changed = 0
        for article in store.articles_by_keys(keys):  # newest first
            at = now - dt.timedelta(seconds=changed)
            with store.transaction():
                changed += _store_conversion(store, converter, article, now, at)
        corrected += changed
    return corrected


def _store_conversion(
    store: ConversionRows, converter: Converter, article: Article, now: dt.datetime, at: dt.datetime
) -> bool:
    """Store the article's conversion under `converter` (made `now`); whether it corrects
    the last one (then its correction time is `at`)."""
    text, last = _converted(store, converter, article)
    changed = last is not None and last.text != text
    corrected = at if changed else (last.corrected if last else None)
    store.put_conversion(article.key, converter.signature, text, now, corrected)
    return changed


def _converted(
    store: ConversionRows, converter: Converter, article: Article
) -> tuple[Text, Conversion | None]:
    """The article's text under `converter`, and the last conversion stored before it."""
    text = converter.convert_text(article.original)
    return text, next(
        reversed(_others(store.conversions_of(article.key), converter.signature)), None
    )


@dataclass(frozen=True)
class Correction:
    """How an article's converted text changed: `phrases` are (before, after) pairs."""

    article: Article
    edition: Edition
    title: str  # as it reads now in the edition
    corrected: dt.datetime
    phrases: tuple[tuple[str, str], ...]


def corrections(
    store: ConversionRows, scripts: Scripts, editions: Editions, now: dt.datetime | None = None
) -> Iterator[Correction]:
    """Every article whose current conversion corrected an earlier one, newest correction
    first, with the phrases that changed from the conversion before it. Given `now`, the
    conversions the current settings still lack are made in memory and come first, timed
    as `convert_missing` would store them; nothing is stored (a review)."""
    if now is not None:
        yield from sorted(
            _pending(store, scripts, editions, now), key=lambda c: c.corrected, reverse=True
        )
    found: list[tuple[dt.datetime, int, str]] = []
    for at, edition in enumerate(editions):
        signature = scripts.converter_for(edition).signature
        found += [(when, at, key) for key, when in store.corrections(signature).items()]
    found.sort(key=lambda each: each[0], reverse=True)
    articles = {article.key: article for article in store.articles_by_keys(k for *_, k in found)}
    for when, at, key in found:
        edition = editions.all[at]
        signature = scripts.converter_for(edition).signature
        history = store.conversions_of(key)
        current = next(each for each in history if each.signature == signature)
        before = _previous_text(_others(history, signature), current)
        phrases = _text_phrases(before, current.text) if before else []
        yield Correction(articles[key], edition, current.text.title, when, tuple(phrases))


def _pending(
    store: ConversionRows, scripts: Scripts, editions: Editions, now: dt.datetime
) -> Iterator[Correction]:
    """The corrections `convert_missing` would store now, made in memory."""
    for edition in editions:
        converter = scripts.converter_for(edition)
        keys = store.unconverted(edition.script.twin, converter.signature)
        changed = 0
        for article in store.articles_by_keys(keys):  # newest first
            text, last = _converted(store, converter, article)
            if last is not None and last.text != text:
                at = now - dt.timedelta(seconds=changed)
                phrases = tuple(_text_phrases(last.text, text))
                yield Correction(article, edition, text.title, at, phrases)
                changed += 1


def _others(history: list[Conversion], signature: str) -> list[Conversion]:
    """The conversions before the one under `signature`, which is the newest (see
    `Store.unconverted`), oldest first: those of the same OpenCC config, as a signature
    begins with it, since another edition's config (s2hk beside s2twp) is no correction."""
    config = signature.partition(":")[0]
    return [
        each
        for each in history
        if each.signature != signature and each.signature.partition(":")[0] == config
    ]


def _previous_text(older: list[Conversion], current: Conversion) -> Text | None:
    """The text the current conversion replaced: the newest older one that reads differently."""
    return next((each.text for each in reversed(older) if each.text != current.text), None)


def _text_phrases(before: Text, after: Text) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for field in ("title", "body", "source"):
        for pair in changed_phrases(getattr(before, field), getattr(after, field)):
            if pair not in pairs:
                pairs.append(pair)
    return pairs
