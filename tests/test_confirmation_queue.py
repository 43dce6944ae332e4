"""Confirmation mails off the web request (issue 26, points 4, 7 and 11): a sign-up is
answered while the relay has not said a word, the queue is delivered once the relay is
back, exactly once; the hour's ceiling holds; a relay that is down shows in `status`, and
the log of a failed mail carries no address. The server's own limits are in
test_serve_limits.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from smtpserver import SmtpServer, free_port
from test_serve import build_examples, publisher_serve
from test_web import Client, mails, serving

from conftest import NOW, make_config
from publisher.config import Config
from publisher.delivery import confirmations
from publisher.mail import subscribers
from publisher.records import SubscriberStatus
from publisher.store import Store
from publisher.web import app as web

pytestmark = pytest.mark.engines

CHECK_INBOX = "請查收確認信"
TOO_BUSY = "此刻申請訂閱的人太多"
TOO_MANY = "送出的次數太多"


class HeldRelay:
    """A relay that accepts connections and says nothing until `release()`; then it
    passes each connection through to `behind` (a real aiosmtpd) as it is."""

    def __init__(self, behind: int) -> None:
        self.behind = behind
        self.accepted = threading.Event()  # a sender is connected and waiting for us
        self.released = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted.set()
            threading.Thread(target=self._hold, args=(client,), daemon=True).start()

    def release(self) -> None:
        self.released.set()

    def _hold(self, client: socket.socket) -> None:
        self.released.wait()
        server = socket.create_connection(("127.0.0.1", self.behind))
        threading.Thread(target=_pipe, args=(server, client), daemon=True).start()
        _pipe(client, server)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    # The first direction to end closes both sockets; the other one's recv then fails.
    with source, sink, contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)


@contextmanager
def held_relay(behind: int) -> Iterator[HeldRelay]:
    relay = HeldRelay(behind)
    thread = threading.Thread(target=relay.serve, daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        relay.release()
        relay.listener.close()
        thread.join(timeout=10)


def until(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    """Wait for `condition()` (a state another process reaches), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def test_sign_ups_and_pages_are_answered_while_the_relay_holds_the_mail(tmp_path: Path) -> None:
    """Issue 26.4's acceptance, structurally: the relay has accepted the sender's
    connection and answers nothing until the test releases it, after every answer came.
    A request that waited for the relay would never be answered (its time-out is far
    longer than the test), so each answer proves the mail is off the request's path."""
    with SmtpServer() as behind, held_relay(behind.port) as relay:
        config = make_config(
            tmp_path,
            '[delivery]\nbackend = "smtp"\n'
            f"[delivery.smtp]\nport = {relay.port}\ntimeout = 600\n"
            "[web]\nsubscribe_limit = 1000\n",
        )
        build_examples(config)
        addresses = [f"reader{n}@example.org" for n in range(41)]
        with publisher_serve(config) as (client, _):
            assert sign_up(client, addresses[0]) == (200, CHECK_INBOX)
            assert relay.accepted.wait(60), "the sender never connected to the relay"
            with ThreadPoolExecutor(41) as pool:
                asked = [pool.submit(sign_up, client, each) for each in addresses[1:]]
                page = pool.submit(client.get, "/zh-Hant/index.html")
                answers = [each.result() for each in asked]
            assert answers == [(200, CHECK_INBOX)] * 40
            assert page.result().status == 200
            # Every answer came while the relay held the sender's connection unanswered.
            assert not relay.released.is_set() and behind.handler.count() == 0
            relay.release()
            with Store(config.storage) as store:
                until(lambda: store.confirmation_backlog().waiting == 0, "the queue to empty")
        # The server has stopped: nothing more can come. Each reader got one mail.
        received = sorted(to for each in behind.handler.received for to in each.rcpt_tos)
        assert received == sorted(addresses)


def sign_up(client: Client, address: str, **headers: str) -> tuple[int, str]:
    """The status and the page's title (or its words of refusal)."""
    reply = client.post("/subscribe", f"email={address}&script=zh-Hant", **headers)
    for words in (CHECK_INBOX, TOO_BUSY, TOO_MANY):
        if words in reply.text:
            return reply.status, words
    return reply.status, reply.text


def relay_down(tmp_path: Path, extra: str = "") -> Config:
    """A config whose relay is down: nothing listens on its port."""
    text = f'[delivery]\nbackend = "smtp"\n[delivery.smtp]\nport = {free_port()}\ntimeout = 5\n'
    return make_config(tmp_path, text + extra)


def status(config: Config) -> str:
    command = [sys.executable, "-m", "publisher", "--config", str(config.root / "config.toml")]
    done = subprocess.run([*command, "status"], capture_output=True, text=True, check=True)
    return done.stdout


def test_a_relay_that_is_down_shows_in_status_and_the_log_names_no_reader(
    tmp_path: Path,
) -> None:
    """Issue 26.4 and 26.11: the sign-up is answered; the sender's failure is logged with
    the address's domain only, and `publisher status` says what waits and why."""
    config = relay_down(tmp_path)
    address = "private.person@example.org"
    with publisher_serve(config) as (client, log):
        assert sign_up(client, address) == (200, CHECK_INBOX)
        with Store(config.storage) as store:
            until(lambda: store.confirmation_backlog().last_error, "the sender's first attempt")
    text = "".join(log)
    assert "confirmation mail to …@example.org (subscriber 1) not sent yet (attempt 1)" in text
    assert "private.person" not in text
    shown = status(config)
    assert "confirmation mails: 1 waiting, the oldest since " in shown
    assert f"last attempt: 127.0.0.1:{config.delivery.smtp.port}: " in shown
    assert "(is the relay down?)" in shown


def test_the_queue_goes_out_once_the_relay_is_back_and_only_once(tmp_path: Path) -> None:
    config = relay_down(tmp_path)
    with serving(web.create_app(config)) as port:  # the real clock, as the sender's
        client = Client(port)
        assert sign_up(client, "first@example.org") == (200, CHECK_INBOX)
        assert sign_up(client, "second@example.org") == (200, CHECK_INBOX)
    clock = time.time
    with Store(config.storage) as store:
        report = confirmations.send_due(config, store, clock)
        assert (report.sent, report.stopped != "") == (0, True)
        # Not due again yet: the next pass leaves the relay alone.
        assert confirmations.send_due(config, store, clock).stopped == ""
        with SmtpServer(port=config.delivery.smtp.port) as relay:
            later = lambda: time.time() + confirmations.BACKOFF  # noqa: E731
            assert confirmations.send_due(config, store, later).sent == 2
            assert confirmations.send_due(config, store, later).sent == 0
        assert store.confirmation_backlog().waiting == 0
    received = sorted(to for each in relay.handler.received for to in each.rcpt_tos)
    assert received == ["first@example.org", "second@example.org"]
    assert "confirmation mails" not in status(config)


def test_a_reader_who_confirmed_meanwhile_gets_no_second_mail(tmp_path: Path) -> None:
    config = make_config(tmp_path, "[web]\nconfirm_cooldown_seconds = 0\n")
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        assert sign_up(Client(port), "quick@example.org") == (200, CHECK_INBOX)
        assert len(mails(config)) == 1
        assert sign_up(Client(port), "quick@example.org") == (200, CHECK_INBOX)
    with Store(config.storage) as store:
        person = subscribers.by_email(store, "quick@example.org")
        assert person is not None
        stamp = subscribers.sign_up_stamp(person)
        subscribers.confirm(store, person.id, stamp, NOW, dt.timedelta(days=7))
    assert len(mails(config)) == 1


def test_the_hours_ceiling_holds_for_all_clients_together(tmp_path: Path) -> None:
    """Issue 26.7: past web.confirm_mails_per_hour the form says to come back later, with
    Retry-After, and sends nothing, however many clients ask at once of two servers; an
    hour after the first mail it takes sign-ups again."""
    config = make_config(
        tmp_path,
        "[web]\nconfirm_mails_per_hour = 3\nsubscribe_limit = 100\n"
        "trusted_proxies = ['127.0.0.1']\n",
    )
    clock = {"now": NOW}
    with (
        serving(web.create_app(config, now=lambda: clock["now"]), config.web) as port,
        serving(web.create_app(config, now=lambda: clock["now"]), config.web) as other,
        ThreadPoolExecutor(12) as pool,
    ):
        client, clients = Client(port), (Client(port), Client(other))
        answers = list(
            pool.map(
                lambda n: sign_up(
                    clients[n % 2], f"r{n}@example.org", X_Forwarded_For=f"203.0.113.{n}"
                ),
                range(12),
            )
        )
        assert sorted(answers) == [(200, CHECK_INBOX)] * 3 + [(503, TOO_BUSY)] * 9
        refused = client.post("/subscribe", "email=r99@example.org&script=zh-Hant")
        assert refused.status == 503 and refused.headers["Retry-After"] == "3601"
        assert len(mails(config)) == 3
        clock["now"] = NOW + dt.timedelta(hours=1, seconds=1)
        late = next(n for n, answer in enumerate(answers) if answer[0] == 503)
        assert sign_up(client, f"r{late}@example.org") == (200, CHECK_INBOX)
        assert len(mails(config)) == 4
    with Store(config.storage) as store:
        person = subscribers.by_email(store, "r99@example.org")
    assert person is not None and person.status is SubscriberStatus.PENDING
