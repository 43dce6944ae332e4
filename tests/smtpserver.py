"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, told what to answer.

In a test:

    with SmtpServer() as server:           # a free port on 127.0.0.1
        server.handler.plan("a@example.org", DEFER, ACCEPT)   # 451 once, then accept
        server.handler.default = REJECT                          # everyone else: 550
        ... send to ("127.0.0.1", server.port) ...
        server.handler.received                                  # what arrived, in order

As a process (for tests that run publisher in a subprocess and kill it):

    python tests/smtpserver.py --port 0 [--maildir DIR] [--delay 0.01]

prints `listening on 127.0.0.1:PORT` once it accepts connections, writes every accepted
message into the Maildir DIR (new/) if given, and runs until SIGTERM or SIGINT, then
prints `received N`.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import mailbox
import signal
import socket
import ssl
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"

# What the server does with one recipient's attempt.
ACCEPT = "accept"  # 250 at RCPT and at the end of DATA
DEFER = "defer"  # 451 at RCPT
REJECT = "reject"  # 550 at RCPT
DROP = "drop"  # close the connection instead of answering RCPT
DEFER_DATA = "defer-data"  # take the whole message, then answer 451
REJECT_DATA = "reject-data"  # take the whole message, then answer 554
# Take the whole message and keep it (it counts as received), then close the connection
# without answering: the client cannot know whether the message was accepted.
DROP_AFTER_DATA = "drop-after-data"
ACTIONS = (ACCEPT, DEFER, REJECT, DROP, DEFER_DATA, REJECT_DATA, DROP_AFTER_DATA)
# Any other action that starts with a reply code ("550 5.7.26 Unauthenticated") is said, as
# it is, in answer to RCPT: a real provider's refusal.


def is_reply(action: str) -> bool:
    return action[:3].isdigit()


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # as the server read it, line ends included
    peer: tuple[str, int]  # the client's address: one per connection
    tls: str  # the TLS version the mail came over ("TLSv1.3"), "" in the clear

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Handler:
    """aiosmtpd handler that answers as told and records what it received. Thread-safe."""

    def __init__(
        self, *, maildir: Path | None = None, delay: float = 0.0, keep: bool = True
    ) -> None:
        self.default = ACCEPT
        self.keep = keep  # False: count mails without holding them in memory
        self.pipelining = True  # offer PIPELINING (RFC 2920) in the EHLO reply, as Postfix does
        self.total = 0
        self.mail_reply = ""  # e.g. "553 5.7.1 Sender refused": answer MAIL FROM so
        # The answer to a REJECT (RCPT); Postfix quotes the address: "550 5.1.1 <{address}>: …"
        self.reject_reply = "550 5.1.1 No such user here"
        self.delay = delay  # seconds to think before answering the end of DATA
        self.received: list[Received] = []
        self.attempts: list[tuple[str, str]] = []  # (recipient, action) per RCPT
        self._plans: dict[str, deque[str]] = {}
        self._open: list[SMTP] = []  # connections that began a mail, for hang_up_all()
        self._lock = threading.Lock()
        # Cleared by hold(): every DATA waits until release(), so a test can keep a sender
        # busy for exactly as long as it needs, whatever the machine's load.
        self._gate = threading.Event()
        self._gate.set()
        self._maildir = mailbox.Maildir(maildir, create=True) if maildir else None

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def plan(self, recipient: str, *actions: str) -> None:
        """Answer this recipient's next attempts with `actions`, in order, then `default`."""
        unknown = {a for a in actions if not is_reply(a)} - set(ACTIONS)
        assert not unknown, f"unknown actions {unknown}"
        with self._lock:
            self._plans.setdefault(recipient.lower(), deque()).extend(actions)

    def count(self, recipient: str | None = None) -> int:
        """Messages received (for one recipient, or in all)."""
        with self._lock:
            if recipient is None:
                return self.total
            return sum(recipient in item.rcpt_tos for item in self.received)

    def _next_action(self, recipient: str) -> str:
        with self._lock:
            plan = self._plans.get(recipient.lower())
            action = plan.popleft() if plan else self.default
            self.attempts.append((recipient, action))
            return action

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, lines: list[str]
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        # aiosmtpd reads pipelined commands one by one anyway; it only does not say so.
        return [*lines[:-1], "250-PIPELINING", lines[-1]] if self.pipelining else lines

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            if server not in self._open:
                self._open.append(server)
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    def open_connections(self) -> list[SMTP]:
        with self._lock:
            self._open = [each for each in self._open if each.transport is not None]
            return list(self._open)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        action = self._next_action(address)
        if is_reply(action):
            return action
        if action == DEFER:
            return "451 4.3.0 Try again later"
        if action == REJECT:
            return self.reject_reply.format(address=address)
        if action == DROP:
            _hang_up(server)
            return "421 4.4.2 Closing"  # never arrives: the connection is gone
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        # The action for the end of DATA travels with the envelope.
        envelope.__dict__.setdefault("data_actions", []).append(action)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self._gate.is_set():
            await asyncio.to_thread(self._gate.wait)
        actions = envelope.__dict__.get("data_actions", [ACCEPT])
        if DEFER_DATA in actions:
            return "451 4.3.0 Message deferred"
        if REJECT_DATA in actions:
            return "554 5.7.1 Message refused"
        self._keep(server, session, envelope)
        if DROP_AFTER_DATA in actions:
            _hang_up(server)
        return "250 2.0.0 OK queued"

    def _keep(self, server: SMTP, session: Session, envelope: Envelope) -> None:
        data = envelope.original_content or b""
        secured = server.transport.get_extra_info("ssl_object") if server.transport else None
        item = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data,
            peer=tuple(session.peer or ("", 0))[:2],  # type: ignore[arg-type]
            tls=(secured.version() or "") if secured is not None else "",
        )
        with self._lock:
            self.total += 1
            if self.keep:
                self.received.append(item)
            if self._maildir is not None:
                self._maildir.add(data)


def _hang_up(server: SMTP) -> None:
    if server.transport is not None:
        cast(asyncio.Transport, server.transport).abort()


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0: learn the real port before aiosmtpd connects to check readiness.
        assert self.server is not None
        self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpServer:
    """A threaded aiosmtpd server on 127.0.0.1 and a free port; use as a context manager.

    `tls`: an ssl.SSLContext for implicit TLS; `starttls`: one for STARTTLS (then required);
    `logins`: {user: password} turns on AUTH (and requires it); `smtputf8=False`: the server
    does not offer SMTPUTF8 (internationalised addresses); `pipelining=False`: nor
    PIPELINING, so a client says one command at a time.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
        logins: dict[str, str] | None = None,
        port: int = 0,
        smtputf8: bool = True,
        pipelining: bool = True,
    ) -> None:
        self.handler = handler or Handler()
        self.handler.pipelining = pipelining
        kwargs: dict[str, Any] = {"hostname": HOST, "port": port, "ready_timeout": 10}
        kwargs["enable_SMTPUTF8"] = smtputf8
        if tls is not None:
            kwargs["ssl_context"] = tls
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        if logins is not None:
            kwargs.update(
                authenticator=_Authenticator(logins),
                auth_required=True,
                auth_require_tls=tls is None,  # implicit TLS is TLS too
            )
        self.controller = _Controller(self.handler, **kwargs)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.handler.release()  # a held DATA would keep the server from stopping
        self.controller.stop()

    def hang_up_all(self, reply: str = "") -> None:
        """Close every client connection now, as a server does with idle ones; with `reply`
        (e.g. "421 4.4.2 Idle timeout"), send it first, as Postfix does."""

        async def hang_up() -> None:
            for connection in self.handler.open_connections():
                if reply and connection.transport is not None:
                    cast(asyncio.Transport, connection.transport).write(reply.encode() + b"\r\n")
                    connection.transport.close()  # unlike abort(), sends the reply first
                else:
                    _hang_up(connection)

        asyncio.run_coroutine_threadsafe(hang_up(), self.controller.loop).result(timeout=5)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Authenticator:
    def __init__(self, logins: dict[str, str]) -> None:
        self.logins = logins

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.logins.get(user) == password:
                return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (at the moment of asking): a server that is
    down, or one to start later on a known port."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class FakeClock:
    """A monotonic clock that moves only when someone sleeps: back-off and rate limits
    tested without waiting. Pass it as `clock` and its `sleep` as `sleep`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def main() -> None:
    parser = argparse.ArgumentParser(description="A test SMTP server that keeps every mail.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--maildir", type=Path, help="write each mail here (default: count only)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per message")
    args = parser.parse_args()
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    handler = Handler(maildir=args.maildir, delay=args.delay, keep=False)
    with SmtpServer(handler, port=args.port) as server:
        print(f"listening on {HOST}:{server.port}", flush=True)
        done.wait()
    print(f"received {handler.count()}", flush=True)


if __name__ == "__main__":
    main()
