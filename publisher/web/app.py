"""The HTTP side of `publisher serve`: the output folder (publisher.web.static), plus the subscribe,
confirm and unsubscribe pages that the mails link to, at the same paths below `site.base_url`.

Built on Starlette and served by uvicorn. The stdlib's http.server would do for the static
files, but its own documentation warns it is not for production, and these three pages face
the public internet behind a proxy: uvicorn's h11 parser, timeouts and proxy-header handling,
Starlette's StaticFiles (path containment, ETag, Last-Modified, 304, ranges) and its
GZipMiddleware are maintained, tested code we would otherwise write again. python-multipart
parses form bodies, including the multipart/form-data that RFC 8058 one-click POSTs use.

Store work is blocking (sqlite3), so it runs in Starlette's thread pool. No request talks to
the mail relay: a sign-up queues its confirmation mail in the store, and a thread of `serve`
sends the queue (publisher.delivery.confirmations).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from publisher.config import Config
from publisher.delivery import confirmations
from publisher.delivery.confirmations import Asked
from publisher.errors import (
    AddressError,
    PublisherError,
    StaleLinkError,
    SubscriberError,
    TokenError,
)
from publisher.mail import subscribers, tokens
from publisher.records import Edition, Script, Subscriber, SubscriberStatus
from publisher.run import signals
from publisher.store import Pool
from publisher.web.forms import Problem, client_key, count_post, field, read_form
from publisher.web.logs import ACCESS_LOGGER, RedactTokens, token_id
from publisher.web.pages import Pages, base_path
from publisher.web.preferences import PreferencesPages
from publisher.web.reports import ReportPages
from publisher.web.static import OutputFiles, WeakETagWhenEncoded
from publisher.words import WORDS

log = logging.getLogger(__name__)

ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058 §3.1

# The front door's answer depends on both: caches must keep one copy per value.
FRONT_DOOR_VARY = {"Vary": "Accept-Language, Cookie"}


# -- the application ------------------------------------------------------------------------


@dataclass(frozen=True)
class Web(Pages):
    """The subscription pages and the error pages, on top of what every page shares."""

    # Called when a sign-up queued a mail: wakes the sender (publisher.delivery.confirmations).
    mail_queued: Callable[[], None] = lambda: None

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
            words = WORDS[script]
            text = words["bad_email"].format(problem=words[f"bad_email_{error.reason}"])
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
        else), then sign up and queue the mail for the sender (never sent here: a relay
        that hangs must not hold the page); and whether the mail was left out for the
        cool-down. Someone already active gets no mail either, and the same page as a new
        sign-up: a stranger typing their address changes nothing, and learns nothing."""
        limits, now = self.config.web, self.now()
        with self.stores.store() as store:
            client = client_key(self.secret, host)
            window = limits.subscribe_window_seconds
            count_post(store, client, now.timestamp(), limits.subscribe_limit, window)
            expiry = dt.timedelta(days=limits.confirm_expiry_days)
            cooldown = dt.timedelta(seconds=limits.confirm_cooldown_seconds)
            with store.transaction():  # one commit, where each step alone would make one
                subscriber = subscribers.subscribe_pending(store, email, edition, now, expiry)
                if subscriber.status is not SubscriberStatus.PENDING:
                    return subscriber, False
                asking = confirmations.queue(
                    store, subscriber, now, cooldown, limits.confirm_mails_per_hour
                )
        if asking.asked is Asked.CEILING:
            minutes = str(-(-asking.wait // 60))
            headers = {"Retry-After": str(asking.wait)}
            raise Problem(503, "too_busy", headers=headers, minutes=minutes)
        if asking.asked is Asked.QUEUED:
            self.mail_queued()
        return subscriber, asking.asked is Asked.COOLING_DOWN

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
            danger=words_of == "unsubscribe",
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
                raise Problem(409, "was_unsubscribed", script=subscriber.script) from None

    def _done(self, request: Request, outcome: str, subscriber: Subscriber) -> Response:
        script = self.page_script(request, subscriber.script)
        words = WORDS[script]
        text = words[f"{outcome}_text"].format(email=subscriber.email)
        link = "resubscribe" if outcome == "unsubscribed" else ""
        onward = []
        if outcome == "confirmed":  # a new reader's next question: can I choose what I get?
            token = tokens.make_bound(
                self.secret, tokens.PREFERENCES, subscriber.id, subscriber.link_generation
            )
            query = urlencode({"token": token, "script": str(script)})
            onward.append((f"{self.base_path}preferences?{query}", words["preferences"]))
        title = words[f"{outcome}_title"]
        return self.message(request, script, 200, title, text, link, onward)

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
        script = self.error_script(request, exc.script if isinstance(exc, Problem) else None)
        words = WORDS[script]
        title = words.get(f"{key}_title", words["error_title"])
        # A page that is not there or not for this method: home is the way on, not the form.
        link = "" if key in ("not_found", "not_allowed") else "subscribe_title"
        text = words[key].format(**values)
        response = self.message(request, script, status, title, text, link)
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        if isinstance(exc, Problem):
            response.headers.update(exc.headers)
        return response


def routes(web: Web, output_dir: Path) -> list[BaseRoute]:
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
        *ReportPages(web).routes(prefix),
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


def create_app(
    config: Config,
    *,
    now: Callable[[], dt.datetime] | None = None,
    mail_queued: Callable[[], None] = lambda: None,
) -> Starlette:
    """The ASGI application for `config`. Before the first build the output folder is
    empty: pages answer 404 until `publisher build` (or the daily run) writes them. The
    confirmation mails it queues go when a sender sends them (`serve` runs one, woken by
    `mail_queued`)."""
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    stores = Pool(config.storage)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            stores.close()

    web = Web(config, tokens.load_secret(config), now or config.now, stores, mail_queued)
    return Starlette(
        routes=routes(web, output_dir),
        middleware=[Middleware(WeakETagWhenEncoded), Middleware(GZipMiddleware)],
        exception_handlers={HTTPException: web.problem, Problem: web.problem},
        lifespan=lifespan,
    )


# Seconds `serve` waits at its end for a confirmation mail in flight; one cut off is safe
# (publisher.delivery.confirmations.Sender.stop).
STOP_WAIT = 5.0


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Stands in for the default action while uvicorn serves: uvicorn stops gracefully on
    SIGTERM/SIGINT, then raises the signal again for the handler it found; that handler is
    this one, so a requested stop ends with exit code 0, not death by signal."""


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    """The server's socket, bound before anything says it serves: a port in use is one line
    naming it (uvicorn would log an error and exit on its own, after our "serving" line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=backlog)
    except OSError as error:
        # create_server's own text repeats the address; a resolver's error has no errno > 0.
        reason = os.strerror(error.errno) if error.errno and error.errno > 0 else str(error)
        raise PublisherError(f"cannot listen on {host}:{port}: {reason} (--host, --port)") from None


def serve(config: Config, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn finishes the open requests first, then the
    confirmation mail in flight is given a moment to finish."""
    listening = _listen(host, port, config.web.backlog)
    with listening:
        sender = confirmations.Sender(config, Pool(config.storage))
        app = create_app(config, mail_queued=sender.wake)
        log.info(
            "serving %s and the subscription pages on %s:%d",
            config.output_dir,
            host,
            listening.getsockname()[1],
        )
        _serve(app, listening, config, sender)


def _serve(
    app: Starlette, listening: socket.socket, config: Config, sender: confirmations.Sender
) -> None:
    import uvicorn  # only `serve` needs the server; the app itself is plain ASGI

    from publisher.web import server

    redacting = RedactTokens()
    logging.getLogger(ACCESS_LOGGER).addFilter(redacting)
    sender.start()
    try:
        with signals.handling(_stopped):
            # log_config=None: keep the CLI's logging (stderr, timestamps) for uvicorn's too.
            settings = uvicorn.Config(
                app, log_config=None, server_header=False, **server.settings(config.web)
            )
            uvicorn.Server(settings).run(sockets=[listening])
    finally:
        sender.stop(wait=STOP_WAIT)
        logging.getLogger(ACCESS_LOGGER).removeFilter(redacting)
