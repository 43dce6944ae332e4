"""Mail transports: where a finished mail goes. The delivery engine only knows `Transport`.

Two backends: `Outbox` (publisher.delivery.outbox: a Maildir, so the whole flow runs with no
server) and `Smtp` (publisher.delivery.smtp: one reused connection to a relay). Both tell the
engine, through `on_handover`, the moment after which the mail may be out of our hands:
before it nothing can have been delivered, so a crash there is safe to retry; after it only the
server's answer (or the file's rename) says whether it went. Everything that goes wrong
becomes `SendFailure`, classified so the engine can decide between retrying, failing one row
and stopping.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol, Self

from publisher.errors import DeliveryError
from publisher.mail.refusals import Refusal
from publisher.records import Letter

Handover = Callable[[], None]
# Work that needs no answer from the server (the engine makes the next letter), done while
# the server reads the mail instead of before or after.
Meanwhile = Callable[[], None]


def nothing() -> None:
    pass


class FailureScope(StrEnum):
    """Whom a failure is about; decides whether it counts against the server."""

    RECIPIENT = "recipient"  # the server judged this address (RCPT reply)
    MESSAGE = "message"  # the server judged this message (reply to the end of DATA)
    SERVER = "server"  # no judgement: cannot connect, log in, dropped, timed out


class SendFailure(DeliveryError):
    """A mail that did not (certainly) go.

    temporary: worth another try later (4xx, dropped connection, timeout).
    maybe_delivered: the failure came after the whole message was handed over and before
    the server's answer, so it may have been accepted: retrying could send it twice.
    refusal: what the server's reply means (publisher.mail.refusals); None when there was
    no reply (cannot connect, dropped, timed out, a Maildir that cannot be written).
    """

    def __init__(
        self,
        reply: str,
        *,
        temporary: bool,
        scope: FailureScope,
        maybe_delivered: bool = False,
        refusal: Refusal | None = None,
    ) -> None:
        super().__init__(reply)
        self.reply = reply
        self.temporary = temporary
        self.scope = scope
        self.maybe_delivered = maybe_delivered
        self.refusal = refusal


class Transport(Protocol):
    """open → send × N → close; also a context manager."""

    def open(self) -> None: ...

    def send(
        self, letter: Letter, on_handover: Handover = nothing, meanwhile: Meanwhile = nothing
    ) -> None:
        """Deliver one mail or raise SendFailure. Calls `on_handover` once, just before
        the point after which the mail may have been delivered, if it gets that far; may
        call `meanwhile` once, while it waits for the server's answer to the whole mail."""

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class Managed:
    """The context manager every backend is, over an open and a close that do nothing
    until a backend has something to set up or tear down."""

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
