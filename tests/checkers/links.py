"""Does every internal link resolve to a file the output folder holds?

Internal means relative, or absolute under `site.base_url`; other sites are not ours to
check. The web endpoints (`subscribe`, `confirm`, …) are answered by `publisher serve`, not
by a file, and are checked by fetching them instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

ENDPOINTS = frozenset({"subscribe", "confirm", "unsubscribe", "preferences", "report"})
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')）]+")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ("href", "src") or (tag == "form" and name == "action")):
                self.found.append(value)


def links_in_html(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.found


def links_in_text(text: str) -> list[str]:
    return _URL_IN_TEXT.findall(text)


@dataclass(frozen=True)
class Broken:
    where: str  # the page or mail that links
    link: str

    def __str__(self) -> str:
        return f"{self.where}: {self.link}"


def broken(
    output_dir: Path, base_url: str, where: str, page_url: str, links: Iterable[str]
) -> list[Broken]:
    """The links of one document (at `page_url`, an absolute URL under `base_url`) that
    point inside the site at no file."""
    base = urlsplit(base_url)
    found = []
    for link in links:
        target = urlsplit(urljoin(page_url, link))
        if target.scheme not in ("http", "https") or target.netloc != base.netloc:
            continue
        if not target.path.startswith(base.path):
            continue
        path = unquote(target.path[len(base.path) :])
        if path.split("/")[-1] in ENDPOINTS or (path == "" and target.query):
            continue
        file = output_dir / path
        if path == "" or path.endswith("/"):
            file = file / "index.html"
        if not file.is_file():
            found.append(Broken(where, link))
    return found
