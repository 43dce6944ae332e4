"""The batch format: pairs of lines, a title then a body that ends with `(source)`.

Pure: takes bytes, returns records or raises BatchError naming the line.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from publisher.errors import BatchError
from publisher.records import ParsedArticle

# The source: the last parenthesised group, half- or full-width, a space before it or not.
_SOURCE = re.compile(r"\s*[(（]([^()（）]*)[)）]\s*$")
# Unicode category Cc except TAB; a lone CR (old Mac line ends) lands here too.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_EXAMPLE = "the body must end with its source in parentheses, e.g. '… (智藥局)'"


def _decode(data: bytes, path: Path) -> list[str]:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    lines = data.split(b"\n")
    decoded = []
    for number, raw in enumerate(lines, start=1):
        try:
            decoded.append(raw.decode("utf-8").removesuffix("\r"))
        except UnicodeDecodeError as error:
            raise BatchError(
                path,
                number,
                f"not valid UTF-8 (byte {raw[error.start]:#04x} at column "
                f"{error.start + 1}); save the file as UTF-8",
            ) from None
    return decoded


def _check_characters(line: str, number: int, path: Path) -> None:
    bad = _CONTROL.search(line)
    if bad:
        raise BatchError(
            path, number, f"control character U+{ord(bad[0]):04X} at column {bad.start() + 1}"
        )


def _has_text(value: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in value)


def _article(title: str, title_line: int, body: str, body_line: int, path: Path) -> ParsedArticle:
    if not _has_text(title):
        raise BatchError(path, title_line, "empty title (no letters or digits)")
    match = _SOURCE.search(body)
    if match is None:
        raise BatchError(path, body_line, f"no source: {_EXAMPLE}")
    source = match[1].strip()
    if not source:
        raise BatchError(path, body_line, "empty source: the parentheses at the end hold no name")
    text = body[: match.start()]
    if not _has_text(text):
        raise BatchError(path, body_line, "empty body: only the source is on this line")
    return ParsedArticle(title=title, body=text, source=source, line=title_line)


def parse(data: bytes, path: Path) -> list[ParsedArticle]:
    """Parse a whole batch file; any problem rejects the whole file."""
    numbered = []
    for number, line in enumerate(_decode(data, path), start=1):
        _check_characters(line, number, path)
        line = line.strip()
        if line:
            numbered.append((number, line))
    if not numbered:
        raise BatchError(path, 1, "empty file: no articles")
    if len(numbered) % 2:
        number, _ = numbered[-1]
        raise BatchError(
            path, number, "title without a body line (the file has an odd number of text lines)"
        )
    pairs = zip(numbered[::2], numbered[1::2], strict=True)
    return [_article(title, tn, body, bn, path) for (tn, title), (bn, body) in pairs]


def normalise(text: str) -> str:
    """The form that decides whether two articles are the same: NFC, white space folded."""
    return " ".join(unicodedata.normalize("NFC", text).split())
