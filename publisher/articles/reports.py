"""Readers' reports of a wrongly converted phrase, and an editor's answer to each.

A reader on a converted page marks the phrase that reads wrong and may give the right form;
the report keeps the article, the edition and those two, nothing about the reader. An editor
lists the open ones with the phrase in context, then accepts one, which writes the pair into
the site's phrase file (publisher.articles.sitephrases), or rejects it. Accepting finds what
the phrase was converted from in the original, so the pair reads both ways: the next
conversion (`conversions diff`, the next build) gives the right form wherever the original
has that phrase, and re-issues exactly those articles as corrections.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publisher.articles import punctuation
from publisher.articles.conversion import Converter, Scripts
from publisher.articles.renditions import StoredConversions, renditions
from publisher.articles.sitephrases import add_pair, read_pairs
from publisher.editions import Editions
from publisher.errors import ReportError
from publisher.records import (
    Article,
    ConversionReport,
    Edition,
    Rendition,
    ReportStatus,
    Script,
)

# A phrase is a few words: the form refuses sentences, and the file takes no white space.
MAX_PHRASE = 30
_CONTEXT = 12
# How far from its place in proportion the phrase's source may start, and how much longer or
# shorter it may be (記憶體 → 内存): wide enough for OpenCC's phrase swaps.
_REACH, _STRETCH = 16, 3


@dataclass(frozen=True)
class Listed:
    """An open report as `conversions reports` shows it."""

    report: ConversionReport
    title: str  # the article's title in the reported edition
    context: str  # the phrase in its sentence, marked; "" when no longer shown


@dataclass(frozen=True)
class Accepted:
    """The pair an accepted report added, and whether the article's conversion now shows
    the right form (OpenCC's longer phrase around it may still win)."""

    traditional: str
    simplified: str
    shows: bool


@dataclass(frozen=True)
class Limits:
    per_article: int
    window: dt.timedelta


def _edition(editions: Editions, tag: str) -> Edition:
    found = next((each for each in editions if each.tag == tag), None)
    if found is None:
        raise ReportError("unknown_edition", f"no edition {tag!r} on this site")
    return found


class ReportRows(StoredConversions, Protocol):
    """What readers' reports ask of the store (publisher.store.reports): the reported
    article in its edition, and the reports, each change its own transaction."""

    def articles_by_keys(self, keys: Iterable[str]) -> list[Article]: ...

    def add_report(
        self,
        article: str,
        edition: str,
        phrase: str,
        suggestion: str,
        now: dt.datetime,
        per_article: int,
        window: dt.timedelta,
    ) -> int | None: ...

    def open_reports(self) -> list[ConversionReport]: ...

    def report(self, report_id: int) -> ConversionReport | None: ...

    def close_report(
        self, report_id: int, status: ReportStatus, accepted_as: str, now: dt.datetime
    ) -> None: ...


def _rendition(store: ReportRows, scripts: Scripts, key: str, edition: Edition) -> Rendition:
    found = store.articles_by_keys([key]) if key else []
    if not found:
        raise ReportError("unknown_article", f"no article {key!r} in the store")
    return renditions(store, scripts, found, edition)[0]


def converted(store: ReportRows, scripts: Scripts, key: str, edition: Edition) -> Rendition:
    """The article's text in `edition`, which must be a conversion: what a report is about."""
    rendition = _rendition(store, scripts, key, edition)
    if not rendition.converted:
        raise ReportError("not_converted", "this text is the original, not a conversion")
    return rendition


def _clean(value: str, name: str) -> str:
    value = value.strip()
    if len(value) > MAX_PHRASE or any(char.isspace() or char == "#" for char in value):
        raise ReportError("bad_phrase", f"{name}: at most {MAX_PHRASE} characters, no spaces")
    return value


def file_report(
    store: ReportRows,
    scripts: Scripts,
    editions: Editions,
    asked: tuple[str, str, str, str],
    now: dt.datetime,
    limits: Limits,
) -> int:
    """Store a reader's report: (article key, edition tag, phrase, suggestion) as the form
    sent them. The phrase must be one the converted text shows; ReportError otherwise, or
    when the article has had its `limits` of reports lately."""
    key, tag, phrase, suggestion = asked
    rendition = converted(store, scripts, key, _edition(editions, tag))
    phrase, suggestion = _clean(phrase, "phrase"), _clean(suggestion, "suggestion")
    if not phrase or not _shows(rendition, phrase):
        raise ReportError("phrase_not_shown", f"{phrase!r} is not in the converted text")
    made = store.add_report(key, tag, phrase, suggestion, now, limits.per_article, limits.window)
    if made is None:
        raise ReportError("article_reported", "this article has had many reports lately")
    return made


def _shows(rendition: Rendition, phrase: str) -> bool:
    return phrase in rendition.text.title or phrase in rendition.text.body


def open_reports(store: ReportRows, scripts: Scripts, editions: Editions) -> list[Listed]:
    """The open reports, newest first, each with its phrase in context."""
    listed = []
    for report in store.open_reports():
        try:
            rendition = _rendition(
                store, scripts, report.article, _edition(editions, report.edition)
            )
        except ReportError:
            listed.append(Listed(report, "", ""))
            continue
        text = rendition.text
        listed.append(
            Listed(report, text.title, _in_context(f"{text.title}｜{text.body}", report.phrase))
        )
    return listed


def _in_context(text: str, phrase: str) -> str:
    at = text.find(phrase)
    if at < 0:
        return ""
    start, end = max(at - _CONTEXT, 0), min(at + len(phrase) + _CONTEXT, len(text))
    before = ("…" if start else "") + text[start:at]
    after = text[at + len(phrase) : end] + ("…" if end < len(text) else "")
    return f"{before}[{phrase}]{after}"


def _open(store: ReportRows, report_id: int) -> ConversionReport:
    report = store.report(report_id)
    if report is None:
        raise ReportError("unknown_report", f"no report {report_id}")
    if report.status is not ReportStatus.OPEN:
        raise ReportError("closed_report", f"report {report_id} is {report.status} already")
    return report


def accept(
    store: ReportRows,
    scripts: Scripts,
    editions: Editions,
    phrases_file: Path,
    report_id: int,
    right: str,
    now: dt.datetime,
) -> Accepted:
    """Add the report's pair to the site's phrase file and close the report: the phrase's
    source in the original and `right` (else the reader's suggestion), as (Traditional,
    Simplified). Writing the same pair again changes nothing, so a retry is safe."""
    report = _open(store, report_id)
    right = _clean(right or report.suggestion, "--as")
    if not right:
        raise ReportError("no_suggestion", f"report {report_id} has no suggestion: give --as TEXT")
    edition = _edition(editions, report.edition)
    rendition = _rendition(store, scripts, report.article, edition)
    converter = scripts.converter_for(edition)
    source = _source(converter, rendition.article, rendition, report.phrase)
    if source is None:
        raise ReportError(
            "source_not_found",
            f"report {report_id}: {report.phrase!r} is no longer what the converted text "
            "shows, or its source in the original cannot be told; add the pair to "
            f"{phrases_file} by hand",
        )
    pair = (right, source) if edition.script is Script.HANT else (source, right)
    add_pair(phrases_file, *pair)
    store.close_report(report_id, ReportStatus.ACCEPTED, right, now)
    now_converted = dataclasses.replace(scripts, site=read_pairs(phrases_file))
    text = now_converted.converter_for(edition).convert_text(rendition.article.original)
    return Accepted(*pair, shows=right in text.title or right in text.body)


def reject(store: ReportRows, report_id: int, now: dt.datetime) -> None:
    _open(store, report_id)
    store.close_report(report_id, ReportStatus.REJECTED, "", now)


def _source(
    converter: Converter, article: Article, rendition: Rendition, phrase: str
) -> str | None:
    """The stretch of the original that the converter turns into `phrase` as shown, near
    where the phrase stands in the converted text (in proportion)."""
    for original, shown in (
        (article.original.title, rendition.text.title),
        (article.original.body, rendition.text.body),
    ):
        at = shown.find(phrase)
        if at < 0:
            continue
        guess = round(at * len(original) / max(len(shown), 1))
        starts = range(max(guess - _REACH, 0), min(guess + _REACH, len(original)))
        for start in sorted(starts, key=lambda each: abs(each - guess)):
            for length in range(max(len(phrase) - _STRETCH, 1), len(phrase) + _STRETCH + 1):
                piece = original[start : start + length]
                if len(piece) == length and _as_shown(converter, piece) == phrase:
                    return piece
    return None


def _as_shown(converter: Converter, piece: str) -> str:
    converted = converter.convert(piece)
    return punctuation.shown(converted, converter.target, converter.punctuation, converted=True)
