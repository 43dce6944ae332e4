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

# The source: the last parenthesised group, half- or full-width, a space before it or not.
# The source: the last opening parenthesis (no other can be inside it), the name, the close.
_SOURCE = re.compile(r"[(（]([^()（）]*)[)）]\s*$")
# Unicode category Cc except TAB; a lone CR (old Mac line ends) lands here too.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# Embeddings, overrides and isolates: in a headline or a source name they make the text
# display in another order than it is stored (a "Trojan Source" title), and no news
# headline needs them.
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EXAMPLE = "the body must end with its source in parentheses, e.g. '… (智藥局)'"
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
            line = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
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
    ) or bidi_problem(title, "title")
    if problem:
        raise BatchError(path, title_line, problem)
    # Matched where it can only start, not searched for along the whole body.
    match = _SOURCE.match(body, max(body.rfind("("), body.rfind("（"), 0))
    if match is None:
        raise BatchError(path, body_line, f"no source: {_EXAMPLE}")
    source = match[1].strip()
    if not source:
        raise BatchError(path, body_line, "empty source: the parentheses at the end hold no name")
    text = body[: match.start()].rstrip()
    if not _has_text(text):
        raise BatchError(path, body_line, "empty body: only the source is on this line")
    problem = _too_long(text, "a body", limits.body_chars, "ingest.max_body_chars") or bidi_problem(
        source, "source"
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
    """The form that decides whether two articles are the same: NFC, white space folded."""
    return " ".join(unicodedata.normalize("NFC", text).split())
