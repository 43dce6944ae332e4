"""Sign-ups against a relay that hangs: how long `publisher serve` takes to answer.

    python bench/signups.py [--sign-ups 40]

Builds the examples' site in a temporary folder and starts `publisher serve` with the SMTP
backend pointed at a relay that accepts connections and never says a word. Once the
server's mail thread is connected to it, N sign-ups (each its own address and connection)
and one static page are asked at once; prints the slowest and the median answer and the
page's. Then the relay lets the connections through to a real one (aiosmtpd) and the time
until every mail has arrived is printed too. Issue 26.4 asked for each sign-up under 2 s
and the page under 1 s.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

REPO = Path(__file__).resolve().parents[1]


class Counting:
    """aiosmtpd handler that counts the mails it takes."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.count += 1
        return "250 OK"


def held(
    listener: socket.socket, behind: int, connected: threading.Event, go: threading.Event
) -> None:
    """Accept connections, say nothing until `go`, then pass them through to `behind`."""

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with source, sink:
            while data := source.recv(65536):
                sink.sendall(data)

    def hold(client: socket.socket) -> None:
        go.wait()
        server = socket.create_connection(("127.0.0.1", behind))
        threading.Thread(target=pipe, args=(server, client), daemon=True).start()
        pipe(client, server)

    while True:
        client, _ = listener.accept()
        connected.set()
        threading.Thread(target=hold, args=(client,), daemon=True).start()


def ask(port: int, method: str, path: str, body: str = "") -> tuple[int, float]:
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    connection.request(method, path, body.encode() or None, headers)
    status = connection.getresponse().status
    connection.close()
    return status, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ups", type=int, default=40)
    n = parser.parse_args().sign_ups
    counting = Counting()
    relay = Controller(counting, hostname="127.0.0.1", port=free_port())
    relay.start()
    listener = socket.create_server(("127.0.0.1", 0))
    connected, go = threading.Event(), threading.Event()
    args = (listener, relay.port, connected, go)
    threading.Thread(target=held, args=args, daemon=True).start()
    with tempfile.TemporaryDirectory() as folder:
        root, port = Path(folder), free_port()
        (root / "config.toml").write_text(
            '[site]\nbase_url = "http://127.0.0.1/"\n[delivery]\nbackend = "smtp"\n'
            f"[delivery.smtp]\nport = {listener.getsockname()[1]}\ntimeout = 600\n"
            "[web]\nsubscribe_limit = 100000\n",
            encoding="utf-8",
        )
        publisher = [sys.executable, "-m", "publisher", "--config", str(root / "config.toml")]
        batches = sorted(str(path) for path in (REPO / "examples").glob("*.txt"))
        subprocess.run([*publisher, "ingest", *batches], check=True, capture_output=True)
        subprocess.run([*publisher, "build"], check=True, capture_output=True)
        server = subprocess.Popen(
            [*publisher, "serve", "--port", str(port)], stderr=subprocess.DEVNULL
        )
        try:
            while True:
                try:
                    ask(port, "POST", "/subscribe", "email=first%40example.org")
                    break
                except ConnectionRefusedError:
                    time.sleep(0.05)
            connected.wait()
            with ThreadPoolExecutor(n + 1) as pool:
                forms = [
                    pool.submit(ask, port, "POST", "/subscribe", f"email=r{i}%40example.org")
                    for i in range(n)
                ]
                page = pool.submit(ask, port, "GET", "/zh-Hant/index.html")
                times = sorted(each.result()[1] for each in forms)
                statuses = {each.result()[0] for each in forms} | {page.result()[0]}
            print(f"{n} sign-ups while the relay hangs: answers {statuses}")
            print(f"  slowest {times[-1]:.3f} s, median {statistics.median(times):.3f} s")
            print(f"  static page {page.result()[1]:.3f} s")
            start = time.monotonic()
            go.set()
            while counting.count < n + 1:
                time.sleep(0.01)
            print(f"relay back: {counting.count} mails arrived in {time.monotonic() - start:.3f} s")
        finally:
            server.terminate()
            server.wait()
            relay.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
