"""The SMTP transport against a real aiosmtpd server on 127.0.0.1: no mock of smtplib."""

from __future__ import annotations

import dataclasses
import email.policy
import itertools
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from smtpserver import (
    DEFER,
    DEFER_DATA,
    DROP,
    DROP_AFTER_DATA,
    REJECT,
    REJECT_DATA,
    FakeClock,
    SmtpServer,
    free_port,
)

from publisher.config import SmtpConfig
from publisher.delivery.smtp import RateLimit, Smtp
from publisher.delivery.transport import FailureScope, SendFailure
from publisher.errors import DeliveryError
from publisher.records import Letter

SENDER = "digest@news.example.org"


def make_letter(recipient: str) -> Letter:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = recipient
    message["Subject"] = "科技新聞｜測試"
    message["Message-ID"] = f"<test.{recipient}>"
    message.set_content("純文字\n" + "第二行\n" * 40)
    message.add_alternative("<p>網頁版</p>\n" * 40, subtype="html")
    data = message.as_bytes(policy=email.policy.SMTP)  # CRLF, as Letter.data must be
    return Letter(recipient, SENDER, f"<test.{recipient}>", data)


def settings(port: int, **changes: Any) -> SmtpConfig:
    return dataclasses.replace(SmtpConfig(host="127.0.0.1", port=port, timeout=5.0), **changes)


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    """A relay that offers PIPELINING (the client sends the envelope in one write) and one
    that does not: every outcome must read the same either way."""
    with SmtpServer(pipelining=request.param) as running:
        yield running


def send_all(transport: Smtp, letters: list[Letter]) -> list[SendFailure | None]:
    outcomes: list[SendFailure | None] = []
    with transport:
        for letter in letters:
            try:
                transport.send(letter)
                outcomes.append(None)
            except SendFailure as failure:
                outcomes.append(failure)
    return outcomes


def assert_whole(data: bytes, recipient: str) -> None:
    """The message arrived complete: CRLF only, both parts, the right recipient."""
    assert data.count(b"\n") == data.count(b"\r\n"), "a bare LF reached the server"
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == recipient
    assert message.get_content_type() == "multipart/alternative"
    plain, html = (part.get_content() for part in message.iter_parts())
    assert plain.startswith("純文字") and plain.count("第二行") == 40
    assert html.count("網頁版") == 40


def test_one_connection_carries_many_mails(server: SmtpServer) -> None:
    letters = [make_letter(f"r{i}@example.org") for i in range(25)]
    assert send_all(Smtp(settings(server.port)), letters) == [None] * 25
    received = server.handler.received
    assert [item.rcpt_tos for item in received] == [(x.recipient,) for x in letters]
    assert len({item.peer for item in received}) == 1, "the connection was not reused"
    assert {item.tls for item in received} == {""}, "security = 'none': in the clear"
    for item, letter in zip(received, letters, strict=True):
        assert item.mail_from == SENDER
        assert_whole(item.data, letter.recipient)


def test_replies_are_classified(server: SmtpServer) -> None:
    plans = {
        "defer@example.org": DEFER,
        "reject@example.org": REJECT,
        "defer-data@example.org": DEFER_DATA,
        "reject-data@example.org": REJECT_DATA,
    }
    for address, action in plans.items():
        server.handler.plan(address, action)
    letters = [make_letter(address) for address in [*plans, "ok@example.org"]]
    defer, reject, defer_data, reject_data, ok = send_all(Smtp(settings(server.port)), letters)
    assert defer and defer.temporary and defer.scope is FailureScope.RECIPIENT
    assert defer.reply.startswith("451")
    assert reject and not reject.temporary and reject.scope is FailureScope.RECIPIENT
    assert reject.reply == "550 5.1.1 No such user here"
    assert defer_data and defer_data.temporary and defer_data.scope is FailureScope.MESSAGE
    assert reject_data and not reject_data.temporary and reject_data.scope is FailureScope.MESSAGE
    assert not any(f.maybe_delivered for f in (defer, reject, defer_data, reject_data))
    assert ok is None
    # Refusals reset the transaction; the connection goes on serving.
    assert [item.rcpt_tos for item in server.handler.received] == [("ok@example.org",)]
    assert len({peer for peer in [item.peer for item in server.handler.received]}) == 1


def test_a_dropped_connection_is_temporary_and_reopened(server: SmtpServer) -> None:
    server.handler.plan("drop@example.org", DROP)
    letters = [make_letter(a) for a in ("a@example.org", "drop@example.org", "b@example.org")]
    first, dropped, after = send_all(Smtp(settings(server.port)), letters)
    assert first is None and after is None
    assert dropped and dropped.temporary and dropped.scope is FailureScope.SERVER
    assert not dropped.maybe_delivered, "dropped before DATA: certainly not delivered"
    assert "RCPT TO" in dropped.reply
    peers = [item.peer for item in server.handler.received]
    assert len(set(peers)) == 2


def test_lost_after_the_whole_message_may_have_been_delivered(server: SmtpServer) -> None:
    server.handler.plan("lost@example.org", DROP_AFTER_DATA)
    handed: list[str] = []
    transport = Smtp(settings(server.port))
    with transport, pytest.raises(SendFailure) as caught:
        transport.send(make_letter("lost@example.org"), lambda: handed.append("now"))
    assert handed == ["now"]
    assert caught.value.maybe_delivered and caught.value.temporary
    assert server.handler.count("lost@example.org") == 1  # the server did keep it


@pytest.mark.parametrize(
    ("plan", "steps"),
    [
        (None, ["handover", "meanwhile"]),  # accepted
        (REJECT_DATA, ["handover", "meanwhile"]),  # 554 to the whole message
        (DROP_AFTER_DATA, ["handover", "meanwhile"]),  # no answer at all
        (REJECT, []),  # refused at RCPT: the mail never went out, so no wait to fill
    ],
)
def test_meanwhile_runs_once_the_whole_mail_is_out(
    server: SmtpServer, plan: str | None, steps: list[str]
) -> None:
    """The sender's other work runs while the relay decides, after the final "." and only
    then; the answer that follows is read and reported as without it."""
    if plan:
        server.handler.plan("a@example.org", plan)
    done: list[str] = []
    transport = Smtp(settings(server.port))
    with transport:
        try:
            transport.send(
                make_letter("a@example.org"),
                lambda: done.append("handover"),
                lambda: done.append("meanwhile"),
            )
        except SendFailure as failure:
            assert plan is not None and failure.temporary is (plan == DROP_AFTER_DATA)
        else:
            assert plan is None
    assert done == steps


@contextmanager
def stalled_after_354() -> Iterator[int]:
    """A bare SMTP server on 127.0.0.1 that says 354 to DATA and then reads no more, with a
    small receive buffer: a big message cannot all go out. Yields its port."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # accepted sockets too
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    done = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 stalling\r\n")
            for line in lines:
                connection.sendall(
                    b"354 go on\r\n" if line.upper() == b"DATA\r\n" else b"250 ok\r\n"
                )
                if line.upper() == b"DATA\r\n":
                    done.wait(30)  # read nothing more until the test is over
                    return

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=10)
        listener.close()


def test_a_connection_lost_while_the_message_goes_out_is_not_delivered() -> None:
    """No server takes a mail before its final "." arrives: a failure while the body is
    still going out is temporary and certainly not delivered, unlike one after it, and
    comes before the hand-over, so even a crash there would leave the mail to send again."""
    body = (b"x" * 998 + b"\r\n") * 16_000  # 16 MB: more than the socket buffers hold
    letter = Letter("big@example.org", SENDER, "<big>", b"Subject: big\r\n\r\n" + body)
    handed: list[str] = []
    with stalled_after_354() as port:
        transport = Smtp(settings(port, timeout=0.5))
        with transport, pytest.raises(SendFailure) as caught:
            transport.send(letter, lambda: handed.append("now"))
    assert handed == []
    failure = caught.value
    assert failure.temporary and failure.scope is FailureScope.SERVER
    assert not failure.maybe_delivered, failure.reply
    assert "at DATA" in failure.reply


@contextmanager
def answers_only_whole_envelopes() -> Iterator[tuple[int, list[bytes]]]:
    """A bare SMTP server on 127.0.0.1 that offers PIPELINING and answers MAIL FROM, RCPT TO
    and DATA only once it has all three: a client that waits for each reply before the next
    command gets none. Yields its port and the messages it took."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    taken: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        connection.settimeout(10)
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 whole envelopes only\r\n")
            for line in lines:
                command = line.upper()
                if command.startswith(b"EHLO"):
                    connection.sendall(b"250-here\r\n250 PIPELINING\r\n")
                elif command == b"DATA\r\n":  # MAIL and RCPT came before it, unanswered
                    connection.sendall(b"250 ok\r\n250 ok\r\n354 go on\r\n")
                    taken.append(b"".join(iter(lines.readline, b".\r\n")))
                    connection.sendall(b"250 queued\r\n")
                elif command == b"QUIT\r\n":
                    connection.sendall(b"221 bye\r\n")
                    return

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield listener.getsockname()[1], taken
    finally:
        thread.join(timeout=15)
        listener.close()


def test_a_relay_that_offers_pipelining_gets_the_envelope_in_one_go() -> None:
    letters = [make_letter(f"r{i}@example.org") for i in range(3)]
    with answers_only_whole_envelopes() as (port, taken):
        assert send_all(Smtp(settings(port, timeout=2.0)), letters) == [None] * 3
    assert [item.split(b"\r\n\r\n")[0] for item in taken] == [
        letter.data.split(b"\r\n\r\n")[0] for letter in letters
    ]


def test_handover_comes_only_after_the_server_agreed_to_take_data(server: SmtpServer) -> None:
    server.handler.plan("no@example.org", REJECT)
    handed: list[str] = []
    transport = Smtp(settings(server.port))
    with transport, pytest.raises(SendFailure):
        transport.send(make_letter("no@example.org"), lambda: handed.append("now"))
    assert handed == []


@pytest.mark.parametrize("farewell", ["", "421 4.4.2 Error: timeout exceeded"])
def test_an_idle_connection_closed_by_the_server_is_reopened_silently(
    server: SmtpServer, farewell: str
) -> None:
    transport = Smtp(settings(server.port))
    with transport:
        transport.send(make_letter("a@example.org"))
        server.hang_up_all(farewell)  # as a server does with connections idle too long
        transport.send(make_letter("b@example.org"))
    assert server.handler.count() == 2
    assert len({item.peer for item in server.handler.received}) == 2


def test_no_server_is_a_temporary_server_failure() -> None:
    (failure,) = send_all(Smtp(settings(free_port())), [make_letter("a@example.org")])
    assert failure and failure.temporary and failure.scope is FailureScope.SERVER
    assert not failure.maybe_delivered


def test_a_silent_server_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        transport = Smtp(settings(port, timeout=0.2))
        (failure,) = send_all(transport, [make_letter("a@example.org")])
    assert failure and failure.temporary and failure.scope is FailureScope.SERVER
    assert "timed out" in failure.reply


def test_rate_limit_spaces_the_mails(server: SmtpServer) -> None:
    clock = FakeClock()
    transport = Smtp(settings(server.port, rate_per_second=10.0), clock=clock, sleep=clock.sleep)
    started: list[float] = []
    with transport:
        for i in range(25):
            transport.send(make_letter(f"r{i}@example.org"))
            started.append(clock())
    assert server.handler.count() == 25
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert min(gaps) >= 0.1 - 1e-9
    for start in started:  # at most 10 in any window of one second (less float noise)
        assert sum(start <= t < start + 1.0 - 1e-6 for t in started) <= 10
    assert started[-1] == pytest.approx(2.4)


def test_rate_limit_does_not_wait_when_sending_is_slower_than_the_rate() -> None:
    clock = FakeClock()
    limit = RateLimit(2.0, clock, clock.sleep)
    limit.wait()
    clock.now += 5.0  # the server was slow
    limit.wait()
    assert clock.sleeps == []
    limit.wait()
    assert clock.sleeps == [pytest.approx(0.5)]


# -- TLS, with a certificate authority made for the test ----------------------------------


@pytest.fixture(scope="module")
def authority() -> object:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def server_context(authority: object) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)  # type: ignore[attr-defined]
    return context


def client_context(authority: object) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)  # type: ignore[attr-defined]
    return context


def test_starttls_with_login(
    authority: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No ssl_context given: the system trust store, which SSL_CERT_FILE points at our CA.
    trusted = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(trusted))  # type: ignore[attr-defined]
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted))
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    config = settings(0, security="starttls", username="digest", password_env="TEST_SMTP_PASSWORD")
    with SmtpServer(starttls=server_context(authority), logins={"digest": "s3cret"}) as server:
        transport = Smtp(dataclasses.replace(config, port=server.port))
        letters = [make_letter(f"r{i}@example.org") for i in range(3)]
        assert send_all(transport, letters) == [None, None, None]
        assert len({item.peer for item in server.handler.received}) == 1
        assert {item.tls for item in server.handler.received} <= {"TLSv1.2", "TLSv1.3"}
        assert_whole(server.handler.received[0].data, "r0@example.org")


def test_a_wrong_password_is_refused_for_good(
    authority: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    config = settings(0, security="starttls", username="digest", password_env="TEST_SMTP_PASSWORD")
    with SmtpServer(starttls=server_context(authority), logins={"digest": "s3cret"}) as server:
        config = dataclasses.replace(config, port=server.port)
        transport = Smtp(config, ssl_context=client_context(authority))
        (failure,) = send_all(transport, [make_letter("a@example.org")])
    assert failure and not failure.temporary and failure.scope is FailureScope.SERVER
    assert "login as 'digest' refused" in failure.reply
    assert server.handler.count() == 0


def test_a_missing_password_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_PASSWORD_VARIABLE", raising=False)
    transport = Smtp(settings(25, username="u", password_env="NO_SUCH_PASSWORD_VARIABLE"))
    with pytest.raises(DeliveryError, match="NO_SUCH_PASSWORD_VARIABLE"):
        transport.open()


def test_implicit_tls(authority: object) -> None:
    with SmtpServer(tls=server_context(authority)) as server:
        config = settings(server.port, security="tls")
        transport = Smtp(config, ssl_context=client_context(authority))
        assert send_all(transport, [make_letter("a@example.org")]) == [None]
    (received,) = server.handler.received
    assert received.tls in {"TLSv1.2", "TLSv1.3"}, "the mail came over TLS"
    assert (received.mail_from, received.rcpt_tos) == (SENDER, ("a@example.org",))
    assert_whole(received.data, "a@example.org")


def test_tls_with_an_untrusted_certificate_is_refused_for_good(authority: object) -> None:
    with SmtpServer(tls=server_context(authority)) as server:
        transport = Smtp(settings(server.port, security="tls"))  # system trust only
        (failure,) = send_all(transport, [make_letter("a@example.org")])
    assert failure and not failure.temporary and failure.scope is FailureScope.SERVER
    assert "certificate" in failure.reply
    assert server.handler.count() == 0


def test_lines_starting_with_a_dot_arrive_intact(server: SmtpServer) -> None:
    data = b"To: dot@example.org\r\nSubject: dots\r\n\r\n.\r\n..two\r\nmid.dle\r\n.end\r\n"
    letter = Letter("dot@example.org", SENDER, "<dots>", data)
    assert send_all(Smtp(settings(server.port)), [letter]) == [None]
    assert server.handler.received[0].data == data


def test_a_handover_that_cannot_be_recorded_sends_nothing_and_drops_the_connection(
    server: SmtpServer,
) -> None:
    def refuse() -> None:
        raise RuntimeError("the store is gone")

    transport = Smtp(settings(server.port))
    with transport:
        with pytest.raises(RuntimeError):
            transport.send(make_letter("a@example.org"), refuse)
        transport.send(make_letter("b@example.org"))  # on a new connection
    assert [item.rcpt_tos for item in server.handler.received] == [("b@example.org",)]
