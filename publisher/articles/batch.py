"""The batch format: pairs of lines, a title then a body that ends with `(source)`.

Pure: reads a byte stream line by line and yields records, or raises BatchError naming the
line. Nothing is held but the current pair, so a batch of any size parses in flat memory;
the caller decides what "all or nothing" means (ingest: one transaction per file).
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from publisher.errors import BatchError
from publisher.records import ParsedArticle

# The source: the parenthesised group that ends the body, half- or full-width, a space before
# it or not; it may hold parentheses of its own, in pairs (路透社 (Reuters)).
_OPENING, _CLOSING = "(（", ")）"
# Unicode category Cc except TAB; a lone CR (old Mac line ends) lands here too.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# Embeddings, overrides and isolates: in a headline or a source name they make the text
# display in another order than it is stored (a "Trojan Source" title), and no news
# headline needs them.
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Zero-width space, non-joiner, joiner, word joiner and no-break space: invisible, so two
# titles that read the same could differ (and the same article be stored twice). Refused in
# titles and sources; in a body, where a joiner can belong (emoji sequences), they are kept
# and left out of the article's identity (`normalise`).
ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_EXAMPLE = "the body must end with its source in parentheses, e.g. '… (智藥局)'"
_BOM = "\ufeff"
# UTF-8 takes at most 4 bytes a character.
_BYTES_PER_CHAR = 4


@dataclass(frozen=True)
class Limits:
    """The longest title and body a batch may hold (`ingest.max_title_chars`, …)."""

    title_chars: int = 1000
    body_chars: int = 200_000

    @property
    def line_bytes(self) -> int:
        """No line of a good batch is longer: the body, its source, and room to spare.
        Reading stops here, so one line without line breaks cannot fill the memory."""
        return (self.body_chars + self.title_chars) * _BYTES_PER_CHAR + 4096


def _lines(stream: BinaryIO, path: Path, limits: Limits) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line, decoded, checked for control characters."""
    limit = limits.line_bytes
    number = 0
    while raw := stream.readline(limit):
        number += 1
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if len(raw) >= limit and not raw.endswith(b"\n"):
            raise BatchError(
                path, number, f"line longer than {limit:,} bytes: not a title or a body line"
            )
        try:
            # A byte order mark that starts a later line came with a file joined on (cat).
            line = raw.decode("utf-8").removesuffix("\n").removesuffix("\r").removeprefix(_BOM)
        except UnicodeDecodeError as error:
            raise BatchError(
                path,
                number,
                f"not valid UTF-8 (byte {raw[error.start]:#04x} at column "
                f"{error.start + 1}); save the file as UTF-8",
            ) from None
        bad = _CONTROL.search(line)
        if bad:
            raise BatchError(
                path, number, f"control character U+{ord(bad[0]):04X} at column {bad.start() + 1}"
            )
        yield number, line


def _has_text(value: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in value)


def bidi_problem(value: str, what: str) -> str | None:
    """Why `value` may not carry a bidirectional control, or None when it has none."""
    found = BIDI_CONTROL.search(value)
    if found is None:
        return None
    return (
        f"bidirectional control U+{ord(found[0]):04X} in the {what} at column "
        f"{found.start() + 1}: it would show the text in another order than it is stored"
    )


def _hidden_problem(value: str, what: str) -> str | None:
    """Why `value`, a title or a source, is refused for an invisible character in it
    (zero-width, or a bidirectional control); None when it has none."""
    found = ZERO_WIDTH.search(value)
    if found is None:
        return bidi_problem(value, what)
    return (
        f"zero-width character U+{ord(found[0]):04X} in the {what} at column "
        f"{found.start() + 1}: invisible, it would make a {what} that reads the same differ"
    )


def _source_start(body: str) -> int | None:
    """Where the parenthesised source that ends `body` opens: the parenthesis that pairs
    with the last one, looked for from the end over the parentheses alone (a body of
    200,000 characters is not walked for it). None when the body ends otherwise or the last
    parenthesis has no pair."""
    if not body.endswith(tuple(_CLOSING)):
        return None
    depth, end = 0, len(body)
    while True:
        at = max(body.rfind(mark, 0, end) for mark in _OPENING + _CLOSING)
        if at < 0:
            return None
        depth += 1 if body[at] in _CLOSING else -1
        if depth == 0:
            return at
        end = at


def _too_long(value: str, what: str, limit: int, key: str) -> str | None:
    if len(value) <= limit:
        return None
    return f"{what} of {len(value):,} characters, over the limit of {limit:,} ({key})"


def _article(
    title: str, title_line: int, body: str, body_line: int, path: Path, limits: Limits
) -> ParsedArticle:
    if not _has_text(title):
        raise BatchError(path, title_line, "empty title (no letters or digits)")
    problem = _too_long(
        title, "a title", limits.title_chars, "ingest.max_title_chars"
    ) or _hidden_problem(title, "title")
    if problem:
        raise BatchError(path, title_line, problem)
    start = _source_start(body)
    if start is None:
        raise BatchError(path, body_line, f"no source: {_EXAMPLE}")
    source = body[start + 1 : -1].strip()
    if not source:
        raise BatchError(path, body_line, "empty source: the parentheses at the end hold no name")
    text = body[:start].rstrip()
    if not _has_text(text):
        raise BatchError(path, body_line, "empty body: only the source is on this line")
    problem = (
        _too_long(text, "a body", limits.body_chars, "ingest.max_body_chars")
        or bidi_problem(text, "body")
        or _hidden_problem(source, "source")
    )
    if problem:
        raise BatchError(path, body_line, problem)
    return ParsedArticle(title=title, body=text, source=source, line=title_line)


def read(stream: BinaryIO, path: Path, limits: Limits = Limits()) -> Iterator[ParsedArticle]:
    """The articles of a batch, one at a time, in file order. A problem raises BatchError
    when its line is reached: a caller that must take the file whole or not at all keeps
    what came before uncommitted until the end."""
    title: tuple[int, str] | None = None
    count = 0
    for number, line in _lines(stream, path, limits):
        line = line.strip()
        if not line:
            continue
        if title is None:
            title = (number, line)
            continue
        yield _article(title[1], title[0], line, number, path, limits)
        count += 1
        title = None
    if title is not None:
        raise BatchError(
            path, title[0], "title without a body line (the file has an odd number of text lines)"
        )
    if count == 0:
        raise BatchError(path, 1, "empty file: no articles")


def parse(data: bytes, path: Path, limits: Limits = Limits()) -> list[ParsedArticle]:
    """A whole batch already in memory (tests, small inputs); see `read`."""
    return list(read(io.BytesIO(data), path, limits))


def normalise(text: str) -> str:
    """The form that decides whether two articles are the same: NFC, white space folded,
    zero-width characters left out (the same visible text is the same article). A text
    without zero-width characters normalises as it always did, so stored articles keep
    their keys, and their Atom ids."""
    return " ".join(unicodedata.normalize("NFC", ZERO_WIDTH.sub("", text)).split())
