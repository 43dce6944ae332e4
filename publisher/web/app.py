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
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Message, Receive

from publisher.config import Config
from publisher.delivery.backends import open_transport
from publisher.errors import AddressError, DeliveryError, SubscriberError, TokenError
from publisher.mail import subscribers, tokens
from publisher.mail.confirmation import confirmation_letter
from publisher.records import Script, Subscriber, SubscriberStatus
from publisher.run import signals
from publisher.site import templating
from publisher.site.paths import Site
from publisher.store import Pool
from publisher.web.logs import ACCESS_LOGGER, RedactTokens, token_id
from publisher.web.static import OutputFiles, WeakETagWhenEncoded
from publisher.words import WORDS

log = logging.getLogger(__name__)

# A subscribe form is a few hundred bytes; anything near this is not a person filling it in.
MAX_BODY_BYTES = 16 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
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


class Problem(Exception):
    """A request we refuse, with the status and the words that explain it to a person."""

    def __init__(self, status: int, key: str, **values: str) -> None:
        self.status = status
        self.key = key
        self.values = values
        super().__init__(f"{status} {key} {values}")


# -- requests -------------------------------------------------------------------------------


SCRIPT_COOKIE = "script"  # the name the pages' switcher script writes (templates/_remember.html)
# The front door's answer depends on both: caches must keep one copy per value.
FRONT_DOOR_VARY = {"Vary": "Accept-Language, Cookie"}


def script_from_language(header: str) -> Script | None:
    """The first Chinese language range of Accept-Language (by q) that names a script or a
    region; plain `zh` says neither and so decides nothing."""
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
    for _, _, subtags in sorted(ranked):
        # A script subtag says it outright (zh-Hant-CN is Traditional); else the region.
        for hans, hant in ({"hans"}, {"hant"}), ({"cn", "sg", "my"}, {"tw", "hk", "mo"}):
            if hans & set(subtags):
                return Script.HANS
            if hant & set(subtags):
                return Script.HANT
    return None


def remembered_script(request: Request) -> Script | None:
    """The script a reader chose with a page's switcher (the cookie its script sets)."""
    value = request.cookies.get(SCRIPT_COOKIE, "")
    return next((script for script in Script if value == script.value), None)


def parse_script(value: str) -> Script:
    for script in Script:
        if value.strip().lower() == script.value.lower():
            return script
    raise Problem(400, "unknown_script", value=value[:40])


def _replay(body: bytes) -> Receive:
    """A receive() that hands over a body already read, so Starlette can parse it."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    return receive


async def read_form(request: Request) -> FormData:
    """The POSTed form, refusing bodies over MAX_BODY_BYTES before reading them whole."""
    length = request.headers.get("content-length", "0")
    if not length.isdigit():
        raise Problem(400, "bad_form")
    if int(length) > MAX_BODY_BYTES:
        raise Problem(413, "too_large")
    body = bytearray()
    async for chunk in request.stream():  # chunked bodies have no Content-Length to check
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Problem(413, "too_large")
    if not body:
        return FormData()
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise Problem(415, "unsupported_type")
    replayed = Request(request.scope, _replay(bytes(body)))
    # No file uploads, a handful of fields: a larger form is not one of ours.
    return await replayed.form(max_files=0, max_fields=20, max_part_size=MAX_BODY_BYTES)


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise Problem(400, "bad_form")
    return value


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
            return parse_script(chosen)
        if fallback is not None:
            return fallback
        return self.asked_script(request) or Script(self.config.scripts.default)

    @staticmethod
    def asked_script(request: Request) -> Script | None:
        """The reader's choice from the switcher, which wins, else their browser's language."""
        remembered = remembered_script(request)
        return remembered or script_from_language(request.headers.get("accept-language", ""))

    async def front_door(self, request: Request) -> Response:
        """`/` leads to the edition the reader chose or their browser asks for; with neither,
        it shows the site's root page, where both are offered."""
        script = self.asked_script(request)
        if script is not None:
            location = base_path(self.config) + self.site.index_path(script)
            return RedirectResponse(location, status_code=302, headers=FRONT_DOOR_VARY)
        # The root page as the file server sends it: validators, caching headers, 304s.
        files = OutputFiles(directory=self.config.output_dir)
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
        html = (
            templating.for_site(self.config)
            .get_template(template)
            .render(
                script=script,
                twin=script.twin,
                words=words,
                site_title=self.site.titles[script],
                # Host-relative: right on any host and port, and on an error page at any depth.
                home_url=self.base_path + self.site.index_path(script),
                subscribe_url=self.base_path + self.site.subscribe_path(script),
                twin_url=request.url.path + "?" + urlencode(query),
                show_twin=request.method in ("GET", "HEAD"),
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
        script = parse_script(_field(form, "script") or self.page_script(request))
        email = _field(form, "email").strip()
        try:
            subscriber = await run_in_threadpool(self._subscribe, email, script)
        except AddressError as error:
            text = WORDS[script]["bad_email"].format(problem=error.problem)
            return self.render(
                request, "web_subscribe.html", script, 400, email=email[:254], error=text
            )
        words = WORDS[script]
        text = words["check_inbox_text"].format(email=subscriber.email)
        return self.message(request, script, 200, words["check_inbox_title"], text, link="")

    def _subscribe(self, email: str, script: Script) -> Subscriber:
        with self.stores.store() as store:
            subscriber = subscribers.subscribe_pending(store, email, script, self.now())
        if subscriber.status is SubscriberStatus.PENDING:
            # An active subscriber gets no mail: a stranger typing their address changes
            # nothing, and the page below is the same, so it tells the stranger nothing.
            letter = confirmation_letter(self.config, subscriber, self.now())
            try:
                with open_transport(self.config) as outgoing:
                    outgoing.send(letter)
            except (DeliveryError, OSError, smtplib.SMTPException) as error:
                log.warning("confirmation mail to %s not sent: %s", subscriber.email, error)
                raise Problem(503, "send_failed") from None
        return subscriber

    # -- confirm and unsubscribe -------------------------------------------------------------

    def _subscriber(self, action: str, token: str) -> Subscriber:
        if not token:
            raise Problem(400, "missing_token")
        try:
            subscriber_id = tokens.verify(self.secret, action, token)
        except TokenError:
            log.info("refused a %s token that is not ours (id %s)", action, token_id(token))
            raise Problem(403, "bad_token") from None
        with self.stores.store() as store:
            subscriber = subscribers.get(store, subscriber_id)
        if subscriber is None:
            raise Problem(404, "unknown_subscriber")
        return subscriber

    async def confirm_page(self, request: Request) -> Response:
        return await self._action_page(request, "confirm")

    async def unsubscribe_page(self, request: Request) -> Response:
        return await self._action_page(request, "unsubscribe")

    async def _action_page(self, request: Request, action: str) -> Response:
        """GET only shows a button: mail scanners and link previews follow links, and must
        not confirm or unsubscribe anyone by doing so."""
        token = request.query_params.get("token", "")
        subscriber = await run_in_threadpool(self._subscriber, action, token)
        script = self.page_script(request, subscriber.script)
        words = WORDS[script]
        return self.render(
            request,
            "web_action.html",
            script,
            title=words[f"{action}_title"],
            text=words[f"{action}_text"].format(email=subscriber.email),
            button=words[f"{action}_button"],
            action=f"{action}?" + urlencode({"token": token, "script": str(script)}),
        )

    async def confirm(self, request: Request) -> Response:
        form = await read_form(request)
        token = request.query_params.get("token") or _field(form, "token")
        subscriber = await run_in_threadpool(self._change, "confirm", token)
        return self._done(request, "confirmed", subscriber)

    async def unsubscribe(self, request: Request) -> Response:
        """The button's POST and RFC 8058's one-click POST (`List-Unsubscribe=One-Click`)
        do the same thing: the signed token in the URL is the whole authority."""
        form = await read_form(request)
        token = request.query_params.get("token") or _field(form, "token")
        subscriber = await run_in_threadpool(self._change, "unsubscribe", token)
        if form.get(ONE_CLICK[0]) == ONE_CLICK[1]:
            log.info("one-click unsubscribe of subscriber %d", subscriber.id)
        return self._done(request, "unsubscribed", subscriber)

    def _change(self, action: str, token: str) -> Subscriber:
        subscriber = self._subscriber(action, token)
        with self.stores.store() as store:
            if action == "unsubscribe":
                return subscribers.unsubscribe(store, subscriber.id, self.now())
            try:
                return subscribers.confirm(store, subscriber.id, self.now())
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
        Mount(prefix.rstrip("/"), app=OutputFiles(directory=output_dir, html=True)),
    ]
    if prefix != "/":
        found.insert(0, Route("/", RedirectResponse(prefix), methods=["GET"]))
    return found


def create_app(config: Config, *, now: Callable[[], dt.datetime] | None = None) -> Starlette:
    """The ASGI application for `config`. Before the first build the output folder is
    empty: pages answer 404 until `publisher build` (or the daily run) writes them."""
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    stores = Pool(config.database)

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
