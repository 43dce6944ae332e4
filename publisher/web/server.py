"""The limits `publisher serve` runs uvicorn with, from the [web] keys of config.toml.

uvicorn bounds the idle time of a kept-alive connection, the connections at once and the
accept backlog, but not the time a request takes to arrive: a client that sends its
headers a byte at a time (or never finishes them) holds its connection for ever, and a
hundred such clients hold a hundred (slowloris). `TimedRequests` adds the two deadlines
nginx calls client_header_timeout and client_body_timeout, on uvicorn's own h11 protocol:
from the first byte of a request (or the connection's start) to the end of its headers,
and from there to the end of its body. Data that trickles in does not move a deadline.

X-Forwarded-For names the client only when the connection comes from one of
web.trusted_proxies (uvicorn's ProxyHeadersMiddleware, which takes the right-most address
that is not a trusted proxy); by default no one is trusted, so a client cannot name
itself someone else and dodge the form's per-client limit.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from publisher.config import WebConfig


class TimedRequests(H11Protocol):
    """uvicorn's h11 protocol with a deadline on reading each request."""

    header_timeout = 10.0
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading = ""  # "headers", "body" or "" (nothing awaited from the client)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await("headers", self.header_timeout)

    def data_received(self, data: bytes) -> None:
        if not self._reading and self.conn.their_state is h11.IDLE:
            self._await("headers", self.header_timeout)  # a kept-alive connection's next request
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._reading == "headers":
            self._await("body", self.body_timeout)
        elif state is not h11.IDLE and state is not h11.SEND_BODY:
            self._await("", 0)  # the whole request is in (or the connection is ending)

    def connection_lost(self, exc: Exception | None) -> None:
        self._await("", 0)
        super().connection_lost(exc)

    def _await(self, part: str, seconds: float) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._reading = part
        if part:
            self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _too_slow(self) -> None:
        """Close the connection: a request that has not arrived cannot be answered (h11
        sends no response before the request's head), and one half read is not ours."""
        self._deadline = None
        if self.transport is not None and not self.transport.is_closing():
            self.logger.info("closed a connection whose request was not read in time")
            self.transport.close()


def settings(web: WebConfig) -> dict[str, Any]:
    """uvicorn.run's keyword arguments for the limits in `web`."""
    protocol = type(
        "TimedRequests",
        (TimedRequests,),
        {"header_timeout": web.header_timeout_seconds, "body_timeout": web.body_timeout_seconds},
    )
    return {
        "http": protocol,
        "timeout_keep_alive": web.keep_alive_seconds,
        "limit_concurrency": web.max_connections,
        "backlog": web.backlog,
        "proxy_headers": bool(web.trusted_proxies),
        "forwarded_allow_ips": list(web.trusted_proxies),
    }
