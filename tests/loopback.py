"""A small HTTP server on 127.0.0.1 for the tests: it records every request and answers
with what the test's function says. The WebSub hub and the Telegram Bot API of the tests
are made of it; nothing goes to the internet."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"


Respond = Callable[[Request], Answer]


class Server:
    """The server, its URL and what it was asked, in order."""

    def __init__(self, respond: Respond, port: int = 0) -> None:
        self.respond = respond
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    "POST", self.path, self.rfile.read(length), self.headers.get("Content-Type", "")
                )
                with server.lock:
                    server.requests.append(request)
                    answer = server.respond(request)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test reads `requests`, not a log

        self.http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/"

    def taken(self) -> list[Request]:
        with self.lock:
            return list(self.requests)


@contextmanager
def serving(respond: Respond, port: int = 0) -> Iterator[Server]:
    """The server, on `port` (0: any free one), until the block ends."""
    server = Server(respond, port)
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()
        thread.join()


def closed_port() -> str:
    """The URL of a port nothing listens on: a hub that is down."""
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    return f"http://127.0.0.1:{port}/"
