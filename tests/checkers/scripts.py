"""Is a page's text all in its own script, with no English sentence?

Text of the other script is found with OpenCC's own phrase-level conversion, not with
publisher's: a Simplified text that `t2s` leaves unchanged has nothing Traditional in it,
a Traditional one that `s2tw` leaves unchanged nothing Simplified. Names from
publisher's names.txt (each script's form is pinned by hand) and the site's protected
terms (verbatim in both) are taken out first. Elements marked with the other script's
`lang` (the link to the other edition) are the page saying so on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import opencc

from publisher.records import Script
from publisher.words import WORDS

NAMES = Path(__file__).parents[2] / "publisher" / "articles" / "dictionaries" / "names.txt"
# Four or more Latin words in a row: a sentence, not a name, a unit or a MIME type.
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]+){3,}")
_TO = {Script.HANS: "t2s", Script.HANT: "s2tw"}


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def pinned_names() -> tuple[str, ...]:
    """Every form of every name in names.txt, longest first."""
    forms = set()
    for line in NAMES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            forms |= {form for form in line.split("\t") if form}
    return tuple(sorted(forms, key=len, reverse=True))


def other_script(text: str, script: Script, protected: Iterable[str] = ()) -> list[str]:
    """The phrases of `text` (a page of `script`) that are written in the other script."""
    # A link to the other edition names it in its own script on purpose (publisher.words);
    # in a mail's plain text it has no `lang` to say so.
    named = [WORDS[each][key] for each in Script for key in ("other", "name")]
    for term in (*sorted(protected, key=len, reverse=True), *pinned_names(), *named):
        text = text.replace(term, " ")
    converted = _converter(_TO[script]).convert(text)
    if converted == text:
        return []
    found = []
    for line, again in zip(text.splitlines(), converted.splitlines(), strict=True):
        if line != again:
            found.append(line.strip()[:80])
    return found


def english(text: str) -> list[str]:
    return [match[0] for match in ENGLISH.finditer(text)]


class _Text(HTMLParser):
    """A page's visible text (and its title), one line per block, leaving out scripts,
    styles and whatever is marked as in another script."""

    def __init__(self, script: Script) -> None:
        super().__init__(convert_charrefs=True)
        self.script = script
        self.lines: list[str] = []
        self.skipping: list[str] = []  # the open elements whose text is not this page's

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        lang = dict(attrs).get("lang") or ""
        other = lang.startswith("zh-") and not lang.startswith(str(self.script)[:7])
        if (self.skipping or tag in ("script", "style") or other) and tag not in VOID:
            self.skipping.append(tag)
        self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        self.lines.append("")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.lines[-1:] = [(self.lines[-1] if self.lines else "") + data]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def page_text(html: str, script: Script) -> str:
    parser = _Text(script)
    parser.feed(html)
    parser.close()
    return "\n".join(line.strip() for line in parser.lines if line.strip())


def problems(html: str, script: Script, protected: Iterable[str] = ()) -> list[str]:
    """What a reader of `script` would trip over on this page: the other script's text and
    English sentences."""
    text = page_text(html, script)
    return [f"other script: {p}" for p in other_script(text, script, protected)] + [
        f"English: {p}" for p in english(text)
    ]
