"""`publisher serve`'s limits (issue 26, points 6 and 7), against the real command: a
client that is slow to send its request is cut off while others are answered, and a
client cannot name itself someone else with X-Forwarded-For."""

from __future__ import annotations

import http.client
import socket
import threading
from pathlib import Path

from test_serve import build_examples, publisher_serve
from test_web import Client, mails

from conftest import make_config

SIGN_UP = b"email=slow%40example.org&script=zh-Hant"


def sign_up(client: Client, address: str, **headers: str) -> int:
    return client.post("/subscribe", f"email={address}&script=zh-Hant", **headers).status


def test_a_forged_forwarded_header_does_not_dodge_the_per_client_limit(tmp_path: Path) -> None:
    """Issue 26.7: by default nobody's X-Forwarded-For is believed, so a local client that
    names itself someone else on every post is still one client."""
    config = make_config(tmp_path, "[web]\nsubscribe_limit = 3\n")
    with publisher_serve(config) as (client, _):
        answers = [
            sign_up(client, f"f{n}@example.org", X_Forwarded_For=f"198.51.100.{n}")
            for n in range(6)
        ]
    assert answers == [200] * 3 + [429] * 3
    assert len(mails(config)) == 3


def test_a_client_that_never_finishes_its_headers_is_cut_off(tmp_path: Path) -> None:
    """Issue 26.6: one client that never ends its headers, one that trickles a header line
    at a time: `serve` closes both once web.header_timeout_seconds have passed, and
    answers everyone else meanwhile."""
    config = make_config(tmp_path, "[web]\nheader_timeout_seconds = 1\n")
    build_examples(config)
    with publisher_serve(config) as (client, _):
        silent = socket.create_connection(("127.0.0.1", client.port), timeout=60)
        silent.sendall(b"GET /zh-Hant/index.html HTTP/1.1\r\nHost: news\r\n")
        trickling = socket.create_connection(("127.0.0.1", client.port), timeout=60)
        trickling.sendall(b"GET /zh-Hant/index.html HTTP/1.1\r\n")
        stop = threading.Event()

        def trickle() -> None:
            n = 0
            while not stop.wait(0.2):  # a slow client's pace, not the test's timing
                try:
                    trickling.sendall(f"X-Slow-{n}: 1\r\n".encode())
                except OSError:
                    return
                n += 1

        slowly = threading.Thread(target=trickle, daemon=True)
        slowly.start()
        # A kept-alive connection's next request has the same deadline for its headers.
        kept = http.client.HTTPConnection("127.0.0.1", client.port, timeout=60)
        kept.request("GET", "/zh-Hant/index.html")
        assert kept.getresponse().read() and kept.sock is not None
        kept.sock.sendall(b"GET /zh-Hant/index.html HTTP/1.1\r\n")
        assert client.get("/zh-Hant/index.html").status == 200
        with silent, trickling:
            # recv() returns b"" when the server closes; a socket left open times out.
            assert silent.recv(1024) == b""
            assert trickling.recv(1024) == b""
            assert kept.sock.recv(1024) == b""
        kept.close()
        stop.set()
        slowly.join()
        assert client.get("/zh-Hant/index.html").status == 200


def test_a_body_that_never_arrives_is_cut_off(tmp_path: Path) -> None:
    """The headers promise a body that never comes: the connection closes once
    web.body_timeout_seconds have passed, and no one was signed up."""
    config = make_config(tmp_path, "[web]\nbody_timeout_seconds = 1\n")
    with publisher_serve(config) as (client, _):
        with socket.create_connection(("127.0.0.1", client.port), timeout=60) as waiting:
            waiting.sendall(
                b"POST /subscribe HTTP/1.1\r\nHost: news\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n" % len(SIGN_UP) + SIGN_UP[:10]
            )
            assert waiting.recv(1024) == b""
        assert sign_up(client, "quick@example.org") == 200
    assert [str(mail["To"]) for mail in mails(config)] == ["quick@example.org"]
