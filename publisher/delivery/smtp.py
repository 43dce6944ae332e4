"""The SMTP backend: mails handed to a relay, paced by delivery.smtp.rate_per_second.

A mail is MAIL FROM, RCPT TO and DATA (in one write where the relay offers PIPELINING,
RFC 2920), then, after the server's 354, the body, then the final ".". The handover is
recorded between the body and the "." (while the server reads the body): no server takes
a mail before its final ".", so a crash up to then sends nothing, and from then on the
row is uncertain, as nobody can tell how far the mail got. In the running process we can:
a connection lost before the "." went out loses a mail no server can have taken, so it is
deferred; lost after the whole message went out and before the server's answer, the mail
is maybe delivered, so it is never resent on its own.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from publisher.delivery.transport import (
    FailureScope,
    Handover,
    Managed,
    Meanwhile,
    SendFailure,
    nothing,
)
from publisher.errors import DeliveryError
from publisher.mail import refusals
from publisher.records import Letter
from publisher.settings import SmtpConfig

log = logging.getLogger(__name__)


class RateLimit:
    """At most `per_second` starts per second, spaced evenly; 0 means no limit."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")

    def wait(self) -> None:
        if not self.interval:
            return
        delay = self._next - self.clock()
        if delay > 0:
            self.sleep(delay)
        self._next = max(self._next, self.clock()) + self.interval


# The envelope's steps: the command, whom a refusal is about, the replies that go on.
_STEPS = (
    ("MAIL FROM", FailureScope.SERVER, (250,)),
    ("RCPT TO", FailureScope.RECIPIENT, (250, 251)),
    ("DATA", FailureScope.MESSAGE, (354,)),
)


class _Stale(Exception):
    """A reused connection turned out to be closed before this mail began."""


@dataclass(frozen=True)
class _Steps:
    """What the sender does at two points of a mail's SMTP transaction."""

    on_handover: Handover  # before the final "."
    meanwhile: Meanwhile  # after it, while the server decides


@dataclass
class _Progress:
    """How far one SMTP transaction got: decides what a broken connection means."""

    reused: bool  # the connection carried earlier mail: the server may have closed it since
    step: str = "MAIL FROM"
    sent_whole: bool = False  # the whole message, final "." included, went out


class Smtp(Managed):
    """One SMTP connection, opened on first use, reused for every mail, reopened when lost.

    `security`: "none", "starttls" (required, not opportunistic) or "tls" (implicit, port
    465); certificates are checked against the system's trust store (SSL_CERT_FILE works)
    unless an `ssl_context` is given. The password comes from the environment variable
    named by `password_env` and is read when the transport opens.
    """

    def __init__(
        self,
        settings: SmtpConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.settings = settings
        self.rate = RateLimit(settings.rate_per_second, clock, sleep)
        self._context = ssl_context
        self._password = ""
        self._conn: smtplib.SMTP | None = None

    def open(self) -> None:
        settings = self.settings
        if settings.username:
            password = os.environ.get(settings.password_env)
            if password is None:
                raise DeliveryError(
                    f"delivery.smtp.username is set but the environment variable "
                    f"{settings.password_env!r} (delivery.smtp.password_env) is not"
                )
            self._password = password
        if settings.security != "none" and self._context is None:
            self._context = ssl.create_default_context()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def send(
        self, letter: Letter, on_handover: Handover = nothing, meanwhile: Meanwhile = nothing
    ) -> None:
        """`meanwhile` runs after the final "." went out and before the answer is read:
        the relay checks and stores the mail on its side in that time."""
        self.rate.wait()
        # Letter.data has CRLF line ends already (publisher.mail.letters builds it so):
        # nothing here scans or copies the ~40 KB body again.
        data = letter.data
        steps = _Steps(on_handover, meanwhile)
        try:
            self._attempt(letter, data, steps)
        except _Stale:
            # Servers close idle connections; nothing of this mail was sent: say it again.
            log.info("SMTP connection was closed by the server; reconnecting")
            self._attempt(letter, data, steps)

    def _attempt(self, letter: Letter, data: bytes, steps: _Steps) -> None:
        progress = _Progress(reused=self._conn is not None)
        conn = self._connection()
        try:
            self._transaction(conn, letter, data, steps, progress)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            if progress.reused and progress.step == "MAIL FROM":
                raise _Stale from None
            raise _lost(error, progress) from None
        except smtplib.SMTPResponseException as error:
            # A reply smtplib raised itself (e.g. a reply line too long).
            self._drop()
            raise _reply_failure(error.smtp_code, error.smtp_error, FailureScope.SERVER) from None
        except smtplib.SMTPException as error:
            self._drop()
            raise SendFailure(str(error), temporary=True, scope=FailureScope.SERVER) from None
        except BaseException:
            # Not the server's doing (the handover could not be recorded, an interrupt):
            # the dialogue is in an unknown state, so the connection must not be reused.
            self._drop()
            raise

    def _transaction(
        self,
        conn: smtplib.SMTP,
        letter: Letter,
        data: bytes,
        steps: _Steps,
        progress: _Progress,
    ) -> None:
        options = _mail_options(conn, letter, data)
        # What smtplib.mail() does for SMTPUTF8: send the commands as UTF-8 (rset() resets it).
        conn.command_encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
        # The addresses were checked when the letter was built: said as they are, not
        # parsed again by smtplib's quoteaddr() for every mail.
        commands = [
            f"MAIL FROM:<{letter.sender}>{''.join(' ' + o for o in options)}\r\n",
            f"RCPT TO:<{letter.recipient}>\r\n",
            "DATA\r\n",
        ]
        if conn.has_extn("pipelining"):
            # RFC 2920: the three commands in one write, their replies read after: one
            # round trip instead of three.
            conn.send("".join(commands).encode(conn.command_encoding))
            commands = ["", "", ""]
        self._envelope(conn, commands, progress)
        # smtplib.data() would do the same, but could not tell us where it broke.
        stuffed = _dot_stuffed(data)
        conn.send(stuffed if stuffed.endswith(b"\r\n") else stuffed + b"\r\n")
        # The hand-over is recorded while the server reads the body, and before the final
        # ".": a server takes no mail without it, so a crash up to here sends nothing.
        steps.on_handover()
        conn.send(b".\r\n")  # sendall(): returns only once it is out; if it fails, it is not
        progress.sent_whole = True
        steps.meanwhile()
        code, reply = conn.getreply()
        if code != 250:
            if code == 421:
                self._drop()
            raise _reply_failure(code, reply, FailureScope.MESSAGE)

    def _envelope(self, conn: smtplib.SMTP, commands: list[str], progress: _Progress) -> None:
        """MAIL FROM, RCPT TO and DATA, each sent first unless it is "" (pipelined, sent
        already), and their replies read in turn: returns once the server said 354. After a
        refusal the replies still due are read, so the next mail finds the dialogue in step."""
        refusal: SendFailure | None = None
        for (step, scope, expected), command in zip(_STEPS, commands, strict=True):
            progress.step = step
            if command:
                if refusal is not None:
                    break
                conn.send(command.encode(conn.command_encoding))
            code, reply = conn.getreply()
            if code in expected or refusal is not None:
                continue
            if code == 421:
                self._drop()
                if progress.reused and step == "MAIL FROM":
                    # A server that closes an idle connection may say so first (Postfix: "421
                    # 4.4.2 … timeout exceeded"); read as the answer to MAIL FROM, that is stale.
                    raise _Stale
                raise _reply_failure(code, reply, scope)
            refusal = _reply_failure(code, reply, scope)
        if refusal is None:
            return
        if code == 354:
            self._drop()  # DATA taken after a refusal: only closing the connection ends it
        else:
            self._abandon(conn, code)
        raise refusal

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            # Every write is a whole unit (commands, body, end): Nagle's algorithm would
            # only hold the final "." back until the body's last segment is acknowledged.
            assert conn.sock is not None  # the constructor connected
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self._context)
                conn.ehlo()
            if s.username:
                conn.login(s.username, self._password)
            return conn
        except BaseException as error:
            if conn is not None:
                conn.close()
            if isinstance(error, smtplib.SMTPException | OSError):
                raise _connect_failure(s, error) from None
            raise

    def _abandon(self, conn: smtplib.SMTP, code: int) -> None:
        """After a refused step: reset the transaction, or drop a connection the server
        is closing (421) or that no longer answers."""
        if code == 421:
            self._drop()
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _dot_stuffed(data: bytes) -> bytes:
    """A line that starts with "." gets another (RFC 5321 4.5.2). Looked for first: the
    regular expression costs ~0.1 ms per 40 KB digest, a tenth of a whole send."""
    if not data.startswith(b".") and b"\n." not in data:
        return data
    return re.sub(rb"(?m)^\.", b"..", data)


def _mail_options(conn: smtplib.SMTP, letter: Letter, data: bytes) -> list[str]:
    options = []
    if not data.isascii() and conn.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if not (letter.sender.isascii() and letter.recipient.isascii()):
        if not conn.has_extn("smtputf8"):
            # A sender it cannot take refuses every mail (the run stops, rows stay queued);
            # a recipient, only this one.
            sender = not letter.sender.isascii()
            whose = "sender" if sender else "recipient"
            raise SendFailure(
                f"the {whose}'s address needs SMTPUTF8, which the server does not offer",
                temporary=False,
                scope=FailureScope.SERVER if sender else FailureScope.RECIPIENT,
            )
        options.append("SMTPUTF8")
    return options


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _reply_failure(code: int, reply: bytes | str, scope: FailureScope) -> SendFailure:
    text = f"{code} {_text(reply)}".strip()
    if code == 421:
        scope = FailureScope.SERVER  # "service not available, closing": about the server, not us
    # Only 5xx is final, and not every 5xx: some receivers say "slow down" with one
    # (publisher.mail.refusals). Anything else unexpected (4xx, -1 for garbage) may pass.
    refusal = refusals.classify(_text(reply), code if 200 <= code <= 599 else None)
    temporary = not 500 <= code <= 599 or not refusal.permanent
    return SendFailure(text, temporary=temporary, scope=scope, refusal=refusal)


def _lost(error: BaseException, progress: _Progress) -> SendFailure:
    if progress.sent_whole:
        return SendFailure(
            f"connection lost after the whole message was sent, before the server's answer "
            f"({error}); the server may have accepted it",
            temporary=True,
            scope=FailureScope.SERVER,
            maybe_delivered=True,
        )
    text = f"connection lost at {progress.step}: {error}"
    return SendFailure(text, temporary=True, scope=FailureScope.SERVER)


# A TLS connection that ended early: the network's doing, worth another try.
_TLS_CUT_SHORT = (ssl.SSLEOFError, ssl.SSLZeroReturnError)


def _connect_failure(s: SmtpConfig, error: BaseException) -> SendFailure:
    where = f"{s.host}:{s.port}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"{where}: login as {s.username!r} refused: {_text(error.smtp_error)}"
        return SendFailure(text, temporary=False, scope=FailureScope.SERVER)
    if isinstance(error, ssl.SSLCertVerificationError):
        text = f"{where}: the server's certificate is not trusted: {error.verify_message}"
        return SendFailure(text, temporary=False, scope=FailureScope.SERVER)
    if isinstance(error, ssl.SSLError) and not isinstance(error, _TLS_CUT_SHORT):
        # TLS spoken to a port that does not (or the other way round): no retry mends that.
        text = (
            f"{where}: cannot speak TLS with the server ({error.reason or error}): check "
            "delivery.smtp.security ('tls' is TLS from the first byte, usually port 465; "
            "'starttls' upgrades a plain connection, usually port 587)"
        )
        return SendFailure(text, temporary=False, scope=FailureScope.SERVER)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        text = f"{where}: {error} (check delivery.smtp.security and username)"
        return SendFailure(text, temporary=False, scope=FailureScope.SERVER)
    if isinstance(error, smtplib.SMTPResponseException):
        failure = _reply_failure(error.smtp_code, error.smtp_error, FailureScope.SERVER)
        failure.reply = f"{where}: {failure.reply}"
        failure.args = (failure.reply,)
        return failure
    if isinstance(error, TimeoutError):
        return SendFailure(f"{where}: timed out", temporary=True, scope=FailureScope.SERVER)
    return SendFailure(f"{where}: {error}", temporary=True, scope=FailureScope.SERVER)
