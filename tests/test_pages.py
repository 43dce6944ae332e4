"""Every HTML page of the site, read as a browser follows its links: from wherever the
folder is served (another host or port, a copy, the disk), each link lands on a file of the
folder or on `publisher serve`'s subscribe form, and each page offers that form in its script."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_readers import site  # noqa: F401  (the fixture: a built site with its digests)

from publisher.config import Config
from publisher.records import SCRIPTS, Script
from publisher.site.paths import Site
from publisher.words import WORDS

BASE = "https://news.example.org/"


class Links(HTMLParser):
    """(tag, attributes, text) of every <a> and <link> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str], str]] = []
        self._open: tuple[str, dict[str, str]] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link":
            self.found.append((tag, values, ""))
        elif tag == "a":
            self._open, self._text = (tag, values), ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            self.found.append((*self._open, self._text.strip()))
            self._open = None


def pages(config: Config) -> list[str]:
    root = config.output_dir
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.html"))


def links_of(config: Config, page: str) -> list[tuple[str, dict[str, str], str]]:
    parser = Links()
    parser.feed((config.output_dir / page).read_text(encoding="utf-8"))
    return parser.found


def names_the_public_url(tag: str, attrs: dict[str, str]) -> bool:
    """Canonical and hreflang links tell search engines the public URLs: absolute."""
    return tag == "link" and (attrs["rel"] == "canonical" or "hreflang" in attrs)


def test_pages_link_each_other_relatively_and_every_link_lands(site: Config) -> None:  # noqa: F811
    root: Path = site.output_dir
    kinds = {page.split("/")[1] for page in pages(site) if "/" in page}
    assert kinds == {"index.html", "days", "articles", "digests", "sources", "search.html"}
    for page in pages(site):
        for tag, attrs, _ in links_of(site, page):
            href = attrs["href"]
            if names_the_public_url(tag, attrs):
                assert href.startswith(BASE), (page, href)
                continue
            assert "://" not in href and not href.startswith("/"), (page, href)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
            path, _, query = target.partition("?")
            if path == "subscribe":  # publisher serve's form, beside the folder's top
                assert query in {f"script={script}" for script in SCRIPTS}, (page, href)
            elif path == "report":  # its "wrong conversion?" form, from a converted text
                assert query.startswith("article=") and "edition=" in query, (page, href)
            else:
                assert (root / path).is_file(), (page, href)


def test_every_page_offers_the_email_subscription_in_its_script(site: Config) -> None:  # noqa: F811
    for page in pages(site):
        found = {
            (posixpath.normpath(posixpath.join(posixpath.dirname(page), attrs["href"])), text)
            for tag, attrs, text in links_of(site, page)
            if tag == "a"
        }
        scripts = [Script(page.split("/")[0])] if "/" in page else SCRIPTS  # the front page
        for script in scripts:
            assert (f"subscribe?script={script}", WORDS[script]["subscribe"]) in found, page


_SEGMENT = st.text(alphabet="ab-.0", min_size=1, max_size=5).filter(lambda s: s not in {".", ".."})
_PATH = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join)


@given(_PATH, _PATH, st.sampled_from(["", "?script=zh-Hans"]))
def test_links_between_pages_are_what_relpath_makes(target: str, page: str, query: str) -> None:
    """Site.relative remembers folder pairs for speed; every link stays relpath's."""
    expected = posixpath.relpath(target, posixpath.dirname(page) or ".") + query
    assert Site.relative(target + query, page) == expected
