"""Renditions: an article as the readers of one edition see it.

The original script is the stored text with the edition's punctuation (`scripts.punctuation`);
the other comes from the conversion stored at ingest. Both are stored per their signature (an
original's names the punctuation). When the settings change (a new protected term, a fixed
dictionary entry, a new OpenCC release, the punctuation), the build calls `convert_missing`
first: it makes each text once under the new settings and stores it beside the older ones,
noting when the text actually changed. That time is the rendition's `corrected`, so feed
readers see a newer <updated> on exactly the entries whose text changed, and `corrections`
lists what changed for an editor to review. An original stored before its shown text was
(a store of an earlier release) was shown as written: its first stored text corrects that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from publisher.articles.conversion import Scripts, changed_phrases
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
    as written with the edition's punctuation, any other by the edition's own conversion, each
    as stored under its signature."""
    articles = list(articles)
    converter = scripts.converter_for(edition)
    written = [article.key for article in articles if article.script is edition.script]
    converted = [article.key for article in articles if article.script is not edition.script]
    signature = scripts.original_signature(edition.script)
    originals = store.conversions(written, signature) if written else {}
    conversions = store.conversions(converted, converter.signature) if converted else {}
    result = []
    for article in articles:
        own = article.script is edition.script
        stored = (originals if own else conversions).get(article.key)
        if stored is not None:
            result.append(Rendition(article, edition, stored.text, stored.corrected))
        # No build has run since the settings changed: made in memory; the next build
        # stores it and notes whether it changed.
        elif own:
            result.append(Rendition(article, edition, scripts.original(article.original, edition)))
        else:
            result.append(Rendition(article, edition, converter.convert_text(article.original)))
    return result


@dataclass(frozen=True)
class _Remaking:
    """How the texts an edition shows of the articles written in `script` are made under the
    current settings: an original is shown with the edition's punctuation (`own`), any other
    converted. Before this release an edition showed its originals as written, so an original
    with no stored text yet was shown so: that is what its first stored text corrects."""

    edition: Edition  # the first edition that shows them
    script: Script
    signature: str
    make: Callable[[Text], Text]
    own: bool

    def before(self, article: Article, last: Conversion | None) -> Text | None:
        """The text readers saw of `article` before its text under `signature`."""
        if last is not None:
            return last.text
        return article.original if self.own else None


def _remakings(scripts: Scripts, editions: Editions) -> list[_Remaking]:
    """Each kind of shown text once: the originals of each script first (every edition of
    the script shows them alike), then each edition's conversions."""
    found: list[_Remaking] = []
    for edition in editions:
        if not any(remaking.script is edition.script for remaking in found):
            signature = scripts.original_signature(edition.script)
            make = partial(scripts.original, edition=edition.script)
            found.append(_Remaking(edition, edition.script, signature, make, True))
    for edition in editions:
        converter = scripts.converter_for(edition)
        script = edition.script.twin
        found.append(_Remaking(edition, script, converter.signature, converter.convert_text, False))
    return found


@dataclass(frozen=True)
class _Remade:
    """An article's text under the current settings, not stored yet."""

    remaking: _Remaking
    article: Article
    text: Text
    last: Conversion | None  # the last one stored before it
    before: Text | None  # what readers saw before it
    corrects: int | None  # its correction time in seconds before now; None: reads as before


def _remade(store: ConversionRows, remakings: list[_Remaking]) -> Iterator[_Remade]:
    """The texts the current settings lack. Correction times are now for the newest article,
    a second less for each older one: in a feed, as for articles
    (publisher.articles.ingest.Place), no two entries share an <updated>, and the times keep
    the feed's order. A feed shows its script's originals and its edition's conversions, so
    the texts of all the editions of a script are counted together, in the feeds' order."""
    for script in dict.fromkeys(remaking.edition.script for remaking in remakings):
        work = [
            (article, remaking)
            for remaking in remakings
            if remaking.edition.script is script
            for article in store.articles_by_keys(
                store.unconverted(remaking.script, remaking.signature)
            )
        ]
        work.sort(key=lambda each: (-each[0].batch_date.toordinal(), each[0].position))
        changed = 0
        for article, remaking in work:
            text = remaking.make(article.original)
            history = store.conversions_of(article.key)
            last = next(reversed(_others(history, remaking.signature)), None)
            before = remaking.before(article, last)
            corrects = before is not None and before != text
            yield _Remade(remaking, article, text, last, before, changed if corrects else None)
            changed += corrects


def convert_missing(
    store: ConversionRows, scripts: Scripts, editions: Editions, now: dt.datetime
) -> int:
    """Store every text an edition shows that has none under the current settings (its
    conversion, or its original with the edition's punctuation); returns how many of them
    read differently from before, whose correction time they note (`_remade`)."""
    corrected = 0
    for remade in _remade(store, _remakings(scripts, editions)):
        if remade.corrects is None:
            when = remade.last.corrected if remade.last else None
        else:
            when = now - dt.timedelta(seconds=remade.corrects)
            corrected += 1
        with store.transaction():
            key, signature = remade.article.key, remade.remaking.signature
            store.put_conversion(key, signature, remade.text, now, when)
    return corrected


def corrected_in(
    store: ConversionRows, scripts: Scripts, edition: Edition
) -> dict[str, dt.datetime]:
    """Key → when the text `edition` shows of the article last changed, for the changed ones."""
    originals = store.corrections(scripts.original_signature(edition.script))
    return originals | store.corrections(scripts.converter_for(edition).signature)


@dataclass(frozen=True)
class Correction:
    """How the text an edition shows of an article changed: `phrases` are (before, after) pairs."""

    article: Article
    edition: Edition
    title: str  # as it reads now in the edition
    corrected: dt.datetime
    phrases: tuple[tuple[str, str], ...]


def corrections(
    store: ConversionRows, scripts: Scripts, editions: Editions, now: dt.datetime | None = None
) -> Iterator[Correction]:
    """Every article whose current text in an edition corrected an earlier one, newest
    correction first, with the phrases that changed from the text before it (an original
    corrected by the punctuation is listed once, with the first edition of its script). Given
    `now`, the texts the current settings still lack are made in memory and come first,
    timed as `convert_missing` would store them; nothing is stored (a review)."""
    remakings = _remakings(scripts, editions)
    if now is not None:
        yield from sorted(_pending(store, remakings, now), key=lambda c: c.corrected, reverse=True)
    found: list[tuple[dt.datetime, int, str]] = []
    for at, remaking in enumerate(remakings):
        found += [(when, at, key) for key, when in store.corrections(remaking.signature).items()]
    found.sort(key=lambda each: each[0], reverse=True)
    articles = {article.key: article for article in store.articles_by_keys(k for *_, k in found)}
    for when, at, key in found:
        remaking, article = remakings[at], articles[key]
        history = store.conversions_of(key)
        current = next(each for each in history if each.signature == remaking.signature)
        older = _others(history, remaking.signature)
        before = _previous_text(older, current) or remaking.before(article, None)
        phrases = _text_phrases(before, current.text) if before else []
        yield Correction(article, remaking.edition, current.text.title, when, tuple(phrases))


def _pending(
    store: ConversionRows, remakings: list[_Remaking], now: dt.datetime
) -> Iterator[Correction]:
    """The corrections `convert_missing` would store now, made in memory."""
    for remade in _remade(store, remakings):
        if remade.corrects is not None and remade.before is not None:
            at = now - dt.timedelta(seconds=remade.corrects)
            phrases = tuple(_text_phrases(remade.before, remade.text))
            edition, title = remade.remaking.edition, remade.text.title
            yield Correction(remade.article, edition, title, at, phrases)


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
