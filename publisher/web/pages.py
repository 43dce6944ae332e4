"""What every dynamic page shares: the script and edition a request asks for, and rendering
a page (or a one-sentence message) in it with the headers every such page carries. The
subscription pages (publisher.web.app) and the preferences page (publisher.web.preferences)
both build on `Pages`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse

from publisher.articles.conversion import Scripts
from publisher.config import Config
from publisher.records import Edition, Script, Subscriber
from publisher.site import templating
from publisher.site.pages import FAVICON
from publisher.site.paths import Site
from publisher.store import Pool
from publisher.web.forms import Problem
from publisher.words import WORDS

# Pages that carry a token must not leak it through Referer, be framed (a hidden
# unsubscribe button), or be cached by a proxy.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


# -- requests -------------------------------------------------------------------------------


SCRIPT_COOKIE = "script"  # the name the pages' switcher script writes (templates/_remember.html)


def languages(header: str) -> list[list[str]]:
    """The Chinese language ranges of Accept-Language, best first (by q, then order), each
    as its lower-case subtags after `zh`."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().lower().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag.startswith("zh") and quality > 0:
            ranked.append((-quality, position, tag.split("-")[1:]))
    return [subtags for _, _, subtags in sorted(ranked)]


def script_from_language(header: str) -> Script | None:
    """The first Chinese language range of Accept-Language (by q) that names a script or a
    region; plain `zh` says neither and so decides nothing."""
    for subtags in languages(header):
        # A script subtag says it outright (zh-Hant-CN is Traditional); else the region.
        for hans, hant in ({"hans"}, {"hant"}), ({"cn", "sg", "my"}, {"tw", "hk", "mo"}):
            if hans & set(subtags):
                return Script.HANS
            if hant & set(subtags):
                return Script.HANT
    return None


# -- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pages:
    """What the dynamic pages share. `now` is the clock, a parameter so tests can fix it."""

    config: Config
    secret: bytes
    now: Callable[[], dt.datetime]
    stores: Pool  # several `serve` processes share one PostgreSQL store through it

    @cached_property
    def site(self) -> Site:
        return Site.from_config(self.config)

    @cached_property
    def scripts(self) -> Scripts:
        """The site's conversions, for names shown in the page's edition (sources)."""
        return Scripts.from_config(self.config)

    @cached_property
    def base_path(self) -> str:
        return base_path(self.config)

    def page_script(self, request: Request, fallback: Script | None = None) -> Script:
        """?script=, else the subscriber's own script, else the reader's remembered choice,
        else Accept-Language, else the site's."""
        chosen = request.query_params.get("script")
        if chosen is not None:
            return self.edition_named(chosen).script
        if fallback is not None:
            return fallback
        return self.asked_script(request) or Script(self.config.scripts.default)

    def edition_named(self, value: str) -> Edition:
        """The edition a form or link names (its path or tag, or zh-TW and the like)."""
        try:
            return self.site.editions.named(value)
        except ValueError:
            raise Problem(400, "unknown_script", value=value[:40]) from None

    def page_edition(self, request: Request, script: Script, person: Subscriber | None) -> Edition:
        """The edition a form shows chosen: the link's (when it names one of `script`), else
        the subscriber's, else the first of the page's script."""
        named = self.edition_in_query(request)
        if named is not None and named.script is script:
            return named
        if person is not None and person.script is script:
            return self.site.editions.of(person.script, person.edition)
        return self.site.editions.default(script)

    def edition_in_query(self, request: Request) -> Edition | None:
        """The edition ?script= names; None for none, or a name no edition has."""
        try:
            return self.site.editions.named(request.query_params.get("script") or "")
        except ValueError:
            return None

    def edition_in_path(self, request: Request) -> Edition | None:
        """The edition whose folder the URL is in (/zh-Hans/… below the base path)."""
        path = request.url.path.removeprefix(self.base_path).lstrip("/")
        folder = path.partition("/")[0]
        return next((each for each in self.site.editions if each.path == folder), None)

    def error_script(self, request: Request, reader: Script | None) -> Script:
        """An error page's script: the edition the URL names (?script=, else its folder),
        else the `reader`'s whose token the link carried, else the reader's remembered
        choice or browser language, else the site's. Never fails: the request may be the
        error."""
        named = self.edition_in_query(request) or self.edition_in_path(request)
        if named is not None:
            return named.script
        return reader or self.asked_script(request) or Script(self.config.scripts.default)

    def asked_script(self, request: Request) -> Script | None:
        """The reader's choice from the switcher, which wins, else their browser's language."""
        remembered = self.remembered(request)
        if remembered is not None:
            return remembered.script
        return script_from_language(request.headers.get("accept-language", ""))

    def remembered(self, request: Request) -> Edition | None:
        """The edition a reader chose with a page's switcher (the cookie names its path)."""
        value = request.cookies.get(SCRIPT_COOKIE, "")
        return next((each for each in self.site.editions if value == each.path), None)

    def asked_edition(self, request: Request) -> Edition | None:
        """The edition the switcher remembered (its path), else the first edition of the
        browser's regions (zh-HK, zh-Hant-HK: a Hong Kong edition when there is one), else
        the first edition of the script its languages name."""
        remembered = self.remembered(request)
        if remembered is not None:
            return remembered
        for subtags in languages(request.headers.get("accept-language", "")):
            named = {"hant": Script.HANT, "hans": Script.HANS}.get(subtags[0] if subtags else "")
            for edition in self.site.editions:
                region = edition.tag.lower().split("-")[2:]
                if region and subtags[-1:] == region and named in (None, edition.script):
                    return edition
        script = self.asked_script(request)
        return self.site.editions.default(script) if script else None

    def render(
        self,
        request: Request,
        template: str,
        script: Script,
        status: int = 200,
        **values: object,
    ) -> HTMLResponse:
        words = WORDS[script]
        query = {**request.query_params, "script": str(script.twin)}
        person = values.get("person")
        person = person if isinstance(person, Subscriber) else None
        edition = self.site.editions.default(script)
        html = (
            templating.for_site(self.config)
            .get_template(template)
            .render(
                script=script,
                twin=script.twin,
                words=words,
                site_title=self.site.titles[edition],
                # Host-relative: right on any host and port, and on an error page at any depth.
                home_url=self.base_path + self.site.index_path(edition),
                subscribe_url=self.base_path + self.site.subscribe_path(edition),
                icon_url=self.base_path + FAVICON,
                twin_url=request.url.path + "?" + urlencode(query),
                show_twin=request.method in ("GET", "HEAD"),
                editions=self.site.editions,
                edition=self.page_edition(request, script, person),
                **values,
            )
        )
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def message(
        self,
        request: Request,
        script: Script,
        status: int,
        title: str,
        text: str,
        link: str = "subscribe_title",
        onward: Sequence[tuple[str, str]] = (),
    ) -> HTMLResponse:
        """A title and a sentence, and ways onward: `onward` (url, words) first, then a link
        to the form (`link` names its words; "": none), then the edition's home page."""
        words, edition = WORDS[script], self.site.editions.default(script)
        links = list(onward)
        if link:
            links.append((self.base_path + self.site.subscribe_path(edition), words[link]))
        links.append((self.base_path + self.site.index_path(edition), words["home_link"]))
        return self.render(
            request, "web_message.html", script, status, title=title, text=text, onward=links
        )


def base_path(config: Config) -> str:
    """The path of site.base_url, e.g. "/" or "/news/": every route lives below it."""
    return urlsplit(config.site.base_url).path or "/"
