"""Punctuation in each edition's own convention, for what is shown (the original stays as stored).

Taiwan and Hong Kong quote with 「」 and 『』, the mainland with “” and ‘’; OpenCC converts
neither (its issue #312), so a converted text takes the target's marks here, one for one, so
nesting is kept. Half-width `, : ; ? ! ( )` touching a CJK character are set full-width in
every edition: a sentence's punctuation, not Latin text's (HBM, M15X, 58%, 3.5), nor a
URL's or code's. A mark is judged by its neighbours, never by a mark set full-width here, so
setting a text twice changes nothing more.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from publisher.records import Script

MODES = ("full-width", "as-is")

_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_QUOTES = {
    Script.HANS: {"「": "“", "」": "”", "『": "‘", "』": "’"},
    Script.HANT: {"“": "「", "”": "」", "‘": "『", "’": "』"},
}
_SINGLE = frozenset("‘’")
# A URL ends before the punctuation that closes the sentence around it; code is in backticks.
_KEPT = re.compile(r"https?://[!-~]+|www\.[!-~]+|`[^`\n]*`")
_URL_TAIL = ",.;:?!'\""


@cache  # a text's few thousand distinct characters, asked about again and again
def _is_cjk(char: str) -> bool:
    """A CJK letter, or punctuation that only CJK text uses (、。「」『』) or quotes with (“”):
    never one of the marks `full_width` makes, so what it makes decides nothing."""
    code = ord(char)
    if 0x3001 <= code <= 0x303F or char in "“”‘’":
        return True
    east_asian = 0x2E80 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF or code >= 0x20000
    return east_asian and unicodedata.category(char) in ("Lo", "Lm")


def _url_end(url: str) -> int:
    """Where a URL found in running text ends: before a `)` it did not open (the text's own
    parenthesis) and before the punctuation that ends the sentence around it."""
    depth = 0
    for at, char in enumerate(url):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            url = url[:at]
            break
    return len(url.rstrip(_URL_TAIL))


def _kept(text: str) -> list[tuple[int, int]]:
    """The spans of a URL or of code, where nothing is changed, in order."""
    spans = []
    for match in _KEPT.finditer(text):
        end = match.end()
        if not match.group().startswith("`"):
            end = match.start() + _url_end(match.group())
        spans.append((match.start(), end))
    return spans


def _touches_cjk(text: str, at: int) -> bool:
    before = at > 0 and _is_cjk(text[at - 1])
    return before or (at + 1 < len(text) and _is_cjk(text[at + 1]))


def _paren_pairs(text: str, marks: list[int]) -> dict[int, int]:
    """Each half-width parenthesis among the `marks` that has a partner, mapped to it (both
    ways)."""
    partner: dict[int, int] = {}
    opened: list[int] = []
    for at in marks:
        char = text[at]
        if char == "(":
            opened.append(at)
        elif char == ")" and opened:
            start = opened.pop()
            partner[start], partner[at] = at, start
    return partner


# The marks `full_width` may change: only their places are looked at, not every character
# (a whole build sets some 250,000 texts, and a loop over their characters was a third of it).
_MARKS = re.compile("[" + re.escape("".join(_FULL)) + "]")


def full_width(text: str) -> str:
    """`text` with its half-width `, : ; ? ! ( )` that touch a CJK letter set full-width; a
    pair of parentheses goes together, so one never pairs （ with )."""
    marks = [match.start() for match in _MARKS.finditer(text)]
    if not marks:
        return text
    spans = _kept(text)
    if spans:
        marks = [at for at in marks if not any(start <= at < end for start, end in spans)]
    partner = _paren_pairs(text, marks)
    chars = list(text)
    for at in marks:
        other = partner.get(at)
        if _touches_cjk(text, at) or (other is not None and _touches_cjk(text, other)):
            chars[at] = _FULL[text[at]]
    return "".join(chars)


def quotes(text: str, script: Script) -> str:
    """`text` with the other convention's quotation marks in `script`'s. A single curly
    quote counts only beside East Asian text: in Latin text it is an apostrophe (don’t)."""
    marks = _QUOTES[script]
    chars = list(text)
    for at, char in enumerate(text):
        if char not in marks:
            continue
        if char in _SINGLE and not _beside_east_asian(text, at):
            continue
        chars[at] = marks[char]
    return "".join(chars)


def _beside_east_asian(text: str, at: int) -> bool:
    near = text[max(at - 1, 0) : at] + text[at + 1 : at + 2]
    # Either convention's quotation marks count, so converting one decides no other anew.
    return any(ord(char) >= 0x2E80 or char in "“”‘’" for char in near)


def shown(text: str, script: Script, mode: str, converted: bool) -> str:
    """A text as an edition in `script` shows it: a converted one with the edition's
    quotation marks, every one with full-width sentence punctuation; `as-is` changes nothing."""
    if mode == "as-is":
        return text
    # Widened first: a quote is decided by its neighbours, and a `:` beside it becomes `：`,
    # which counts as East Asian; widening after would let a second pass decide it anew.
    wide = full_width(text)
    return quotes(wide, script) if converted else wide
