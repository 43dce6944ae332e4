"""The HTTP side of `publisher serve`: the output folder (publisher.web.static), plus the subscribe,
confirm and unsubscribe pages that the mails link to, at the same paths below `site.base_url`.

Built on Starlette and served by uvicorn. The stdlib's http.server would do for the static
files, but its own documentation warns it is not for production, and these three pages face
the public internet behind a proxy: uvicorn's h11 parser, timeouts and proxy-header handling,
Starlette's StaticFiles (path containment, ETag, Last-Modified, 304, ranges) and its
GZipMiddleware are maintained, tested code we would otherwise write again. python-multipart
parses form bodies, including the multipart/form-data that RFC 8058 one-click POSTs use.

Store and mail work is blocking (sqlite3, smtplib), so it runs in Starlette's thread pool.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import FrameType
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from publisher.config import Config
from publisher.delivery.backends import open_transport
from publisher.errors import (
    AddressError,
    DeliveryError,
    StaleLinkError,
    SubscriberError,
    TokenError,
)
from publisher.mail import subscribers, tokens
from publisher.mail.confirmation import confirmation_letter
from publisher.records import Edition, Script, Subscriber, SubscriberStatus
from publisher.run import signals
from publisher.site import templating
from publisher.site.pages import FAVICON
from publisher.site.paths import Site
from publisher.store import Pool
from publisher.web.forms import Problem, client_key, count_post, field, read_form
from publisher.web.logs import ACCESS_LOGGER, RedactTokens, token_id
from publisher.web.static import OutputFiles, WeakETagWhenEncoded
from publisher.words import WORDS

log = logging.getLogger(__name__)

ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058 §3.1

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
# The front door's answer depends on both: caches must keep one copy per value.
FRONT_DOOR_VARY = {"Vary": "Accept-Language, Cookie"}


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


# -- the application ------------------------------------------------------------------------


@dataclass(frozen=True)
class Web:
    """The dynamic pages. `now` is the clock, a parameter so tests can fix it."""

    config: Config
    secret: bytes
    now: Callable[[], dt.datetime]
    stores: Pool  # several `serve` processes share one PostgreSQL store through it

    @cached_property
    def site(self) -> Site:
        return Site.from_config(self.config)

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
        """The edition a form shows chosen: the link's, else the subscriber's, else the
        first of the page's script."""
        named = request.query_params.get("script")
        if named is not None:
            return self.edition_named(named)
        if person is not None and person.script is script:
            return self.site.editions.of(person.script, person.edition)
        return self.site.editions.default(script)

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

    async def front_door(self, request: Request) -> Response:
        """`/` leads to the edition the reader chose or their browser asks for; with neither,
        it shows the site's root page, where all are offered."""
        edition = self.asked_edition(request)
        if edition is not None:
            location = base_path(self.config) + self.site.index_path(edition)
            return RedirectResponse(location, status_code=302, headers=FRONT_DOOR_VARY)
        # The root page as the file server sends it: validators, caching headers, 304s.
        files = OutputFiles(
            directory=self.config.output_dir, private=self.config.private_paths().values()
        )
        response = await files.get_response("index.html", request.scope)
        response.headers.update(FRONT_DOOR_VARY)
        return response

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
    ) -> HTMLResponse:
        """A title and a sentence; `link` names the words of a link to the form ("": none)."""
        link_text = WORDS[script][link] if link else ""
        return self.render(
            request, "web_message.html", script, status, title=title, text=text, link=link_text
        )

    # -- subscribe ---------------------------------------------------------------------------

    async def subscribe_form(self, request: Request) -> Response:
        script = self.page_script(request)
        return self.render(request, "web_subscribe.html", script, email="", error="")

    async def subscribe(self, request: Request) -> Response:
        form = await read_form(request)
        named = field(form, "script")
        edition = self.edition_named(named) if named else None
        script = edition.script if edition else self.page_script(request)
        email = field(form, "email").strip()
        host = request.client.host if request.client else ""
        try:
            chosen = edition or self.site.editions.default(script)
            sign_up = self._subscribe
            subscriber, mailed_lately = await run_in_threadpool(sign_up, host, email, chosen)
        except AddressError as error:
            text = WORDS[script]["bad_email"].format(problem=error.problem)
            return self.render(
                request, "web_subscribe.html", script, 400, email=email[:254], error=text
            )
        words = WORDS[script]
        if mailed_lately:
            # No second mail within the cool-down, and the reader learns why.
            wait = self.config.web.confirm_cooldown_seconds
            if subscriber.confirm_mailed is not None:
                wait -= int((self.now() - subscriber.confirm_mailed).total_seconds())
            minutes = str(max(1, -(-wait // 60)))
            text = words["already_sent_text"].format(email=subscriber.email, minutes=minutes)
        else:
            text = words["check_inbox_text"].format(email=subscriber.email)
        return self.message(request, script, 200, words["check_inbox_title"], text, link="")

    def _subscribe(self, host: str, email: str, edition: Edition) -> tuple[Subscriber, bool]:
        """Count the post of the client at `host` (429 past its limit, before anything
        else), then sign up; and whether the mail was left out for the cool-down. Someone
        already active gets no mail either, and the same page as a new sign-up: a stranger
        typing their address changes nothing, and learns nothing."""
        limits, now = self.config.web, self.now()
        with self.stores.store() as store:
            client = client_key(self.secret, host)
            window = limits.subscribe_window_seconds
            count_post(store, client, now.timestamp(), limits.subscribe_limit, window)
            expiry = dt.timedelta(days=limits.confirm_expiry_days)
            subscriber = subscribers.subscribe_pending(store, email, edition, now, expiry)
            if subscriber.status is not SubscriberStatus.PENDING:
                return subscriber, False
            cooldown = dt.timedelta(seconds=limits.confirm_cooldown_seconds)
            if not subscribers.claim_confirmation_mail(store, subscriber, now, cooldown):
                return subscriber, True
        letter = confirmation_letter(self.config, subscriber, now)
        try:
            with open_transport(self.config) as outgoing:
                outgoing.send(letter)
        except (DeliveryError, OSError, smtplib.SMTPException) as error:
            log.warning("confirmation mail to %s not sent: %s", subscriber.email, error)
            with self.stores.store() as store:
                subscribers.release_confirmation_mail(store, subscriber, now)
            raise Problem(503, "send_failed") from None
        return subscriber, False

    # -- confirm and unsubscribe -------------------------------------------------------------

    def _subscriber(self, action: str, token: str) -> tuple[Subscriber, int]:
        """The subscriber a link names, and what a confirm link carries of its sign-up."""
        if not token:
            raise Problem(400, "missing_token")
        try:
            if action == tokens.CONFIRM:
                subscriber_id, stamp = tokens.verify_bound(self.secret, action, token)
            else:
                subscriber_id, stamp = tokens.verify(self.secret, action, token), 0
        except TokenError:
            log.info("refused a %s token that is not ours (id %s)", action, token_id(token))
            raise Problem(403, "bad_token") from None
        with self.stores.store() as store:
            subscriber = subscribers.get(store, subscriber_id)
        if subscriber is None:
            raise Problem(404, "unknown_subscriber")
        return subscriber, stamp

    @property
    def confirm_expiry(self) -> dt.timedelta:
        return dt.timedelta(days=self.config.web.confirm_expiry_days)

    async def confirm_page(self, request: Request) -> Response:
        return await self._action_page(request, "confirm")

    async def unsubscribe_page(self, request: Request) -> Response:
        return await self._action_page(request, "unsubscribe")

    async def _action_page(self, request: Request, action: str) -> Response:
        """GET only shows a button: mail scanners and link previews follow links, and must
        not confirm or unsubscribe anyone by doing so."""
        token = request.query_params.get("token", "")
        subscriber, stamp = await run_in_threadpool(self._subscriber, action, token)
        if action == tokens.CONFIRM and subscribers.stale_link(
            subscriber, stamp, self.now(), self.confirm_expiry
        ):
            return self._stale(request, subscriber)
        script = self.page_script(request, subscriber.script)
        query = {"token": token, "script": str(script)}
        return self._button_page(request, script, 200, action, subscriber, f"{action}?", query)

    def _stale(self, request: Request, subscriber: Subscriber) -> Response:
        """A confirm link past its time or of an earlier sign-up: say so, and offer a new
        mail (through the form, so its cool-down and rate limit apply)."""
        script = self.page_script(request, subscriber.script)
        fields = {"email": subscriber.email, "script": str(script)}
        return self._button_page(
            request, script, 410, "link_expired", subscriber, "subscribe?", {}, fields
        )

    def _button_page(
        self,
        request: Request,
        script: Script,
        status: int,
        words_of: str,
        subscriber: Subscriber,
        action: str,
        query: dict[str, str],
        fields: dict[str, str] | None = None,
    ) -> Response:
        """A title, a sentence naming the subscriber, and one button that POSTs `fields` to
        `action` with `query`: `words_of` names the title, text and button words."""
        words = WORDS[script]
        return self.render(
            request,
            "web_action.html",
            script,
            status,
            title=words[f"{words_of}_title"],
            text=words[f"{words_of}_text"].format(email=subscriber.email),
            button=words[f"{words_of}_button"],
            action=action + urlencode({**query, "script": str(script)}),
            fields=fields or {},
        )

    async def confirm(self, request: Request) -> Response:
        form = await read_form(request)
        token = request.query_params.get("token") or field(form, "token")
        try:
            subscriber = await run_in_threadpool(self._change, "confirm", token)
        except StaleLinkError:
            subscriber, _ = await run_in_threadpool(self._subscriber, "confirm", token)
            return self._stale(request, subscriber)
        return self._done(request, "confirmed", subscriber)

    async def unsubscribe(self, request: Request) -> Response:
        """The button's POST and RFC 8058's one-click POST (`List-Unsubscribe=One-Click`)
        do the same thing: the signed token in the URL is the whole authority."""
        form = await read_form(request)
        token = request.query_params.get("token") or field(form, "token")
        subscriber = await run_in_threadpool(self._change, "unsubscribe", token)
        if form.get(ONE_CLICK[0]) == ONE_CLICK[1]:
            log.info("one-click unsubscribe of subscriber %d", subscriber.id)
        return self._done(request, "unsubscribed", subscriber)

    def _change(self, action: str, token: str) -> Subscriber:
        subscriber, stamp = self._subscriber(action, token)
        with self.stores.store() as store:
            if action == "unsubscribe":
                return subscribers.unsubscribe(store, subscriber.id, self.now())
            try:
                return subscribers.confirm(
                    store, subscriber.id, stamp, self.now(), self.confirm_expiry
                )
            except StaleLinkError:
                raise
            except SubscriberError:
                raise Problem(409, "was_unsubscribed") from None

    def _done(self, request: Request, outcome: str, subscriber: Subscriber) -> Response:
        script = self.page_script(request, subscriber.script)
        words = WORDS[script]
        text = words[f"{outcome}_text"].format(email=subscriber.email)
        link = "resubscribe" if outcome == "unsubscribed" else ""
        return self.message(request, script, 200, words[f"{outcome}_title"], text, link)

    # -- errors ------------------------------------------------------------------------------

    async def problem(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, Problem):
            status, key, values = exc.status, exc.key, exc.values
        else:
            assert isinstance(exc, HTTPException)
            status, values = exc.status_code, {}
            key = {404: "not_found", 405: "not_allowed", 400: "bad_form"}.get(status, "")
            if not key:
                return Response(exc.detail, status_code=status, headers=exc.headers)
        try:
            script = self.page_script(request)
        except Problem:
            script = Script(self.config.scripts.default)
        words = WORDS[script]
        response = self.message(
            request, script, status, words["error_title"], words[key].format(**values)
        )
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        if isinstance(exc, Problem):
            response.headers.update(exc.headers)
        return response


def base_path(config: Config) -> str:
    """The path of site.base_url, e.g. "/" or "/news/": every route lives below it."""
    return urlsplit(config.site.base_url).path or "/"


def routes(web: Web, output_dir: Path) -> list[BaseRoute]:
    # Here, not at the top: publisher.web.preferences builds on this module's Web.
    from publisher.web.preferences import PreferencesPages

    prefix = base_path(web.config)
    found: list[BaseRoute] = [
        Route(prefix + "subscribe", web.subscribe_form, methods=["GET"]),
        Route(prefix + "subscribe", web.subscribe, methods=["POST"]),
        Route(prefix + "confirm", web.confirm_page, methods=["GET"]),
        Route(prefix + "confirm", web.confirm, methods=["POST"]),
        Route(prefix + "unsubscribe", web.unsubscribe_page, methods=["GET"]),
        Route(prefix + "unsubscribe", web.unsubscribe, methods=["POST"]),
        Route(prefix, web.front_door, methods=["GET", "HEAD"]),
        *PreferencesPages(web).routes(prefix),
        Mount(
            prefix.rstrip("/"),
            app=OutputFiles(
                directory=output_dir, html=True, private=web.config.private_paths().values()
            ),
        ),
    ]
    if prefix != "/":
        found.insert(0, Route("/", RedirectResponse(prefix), methods=["GET"]))
    return found


def create_app(config: Config, *, now: Callable[[], dt.datetime] | None = None) -> Starlette:
    """The ASGI application for `config`. Before the first build the output folder is
    empty: pages answer 404 until `publisher build` (or the daily run) writes them."""
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    stores = Pool(config.storage)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            stores.close()

    web = Web(config, tokens.load_secret(config), now or config.now, stores)
    return Starlette(
        routes=routes(web, output_dir),
        middleware=[Middleware(WeakETagWhenEncoded), Middleware(GZipMiddleware)],
        exception_handlers={HTTPException: web.problem, Problem: web.problem},
        lifespan=lifespan,
    )


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Stands in for the default action while uvicorn serves: uvicorn stops gracefully on
    SIGTERM/SIGINT, then raises the signal again for the handler it found; that handler is
    this one, so a requested stop ends with exit code 0, not death by signal."""


def serve(config: Config, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn finishes the open requests first."""
    import uvicorn  # only `serve` needs the server; the app itself is plain ASGI

    app = create_app(config)
    log.info("serving %s and the subscription pages on %s:%d", config.output_dir, host, port)
    redacting = RedactTokens()
    logging.getLogger(ACCESS_LOGGER).addFilter(redacting)
    try:
        with signals.handling(_stopped):
            # log_config=None: keep the CLI's logging (stderr, timestamps) for uvicorn's too.
            uvicorn.run(app, host=host, port=port, log_config=None, server_header=False)
    finally:
        logging.getLogger(ACCESS_LOGGER).removeFilter(redacting)
