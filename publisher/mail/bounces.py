"""Reading returned mail: delivery status notifications (RFC 3464) and complaint reports
(ARF, RFC 5965), bytes in, records out. Pure: no store, no clock, no files.

A DSN is `multipart/report; report-type=delivery-status`: a human-readable part, a
`message/delivery-status` part (one block about the report, then one block per recipient
with Action and Status), and the returned message or its headers. An ARF report is the
same shape with `report-type=feedback-report` and a `message/feedback-report` part. What
ties either to our mail is the returned message's Message-ID, or the VERP address the report
was sent to (`bounce+<token>@domain`); this module only collects both, the caller decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mailbox
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from publisher.errors import PublisherError
from publisher.mail.refusals import Refusal, Verdict, classify, enhanced_code
from publisher.records import BounceKind


class BounceError(PublisherError):
    """A mail that is not a report we can read: skipped with this reason."""


# RFC 3463: class.subject.detail; a comment may follow ("5.1.1 (user unknown)").
_STATUS = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"\s*smtp\s*;\s*([245]\d\d)[ -]?(.*)", re.IGNORECASE | re.DOTALL)
_VERP = re.compile(r"bounce\+([^@\s]+)@", re.IGNORECASE)
# Where an MTA leaves the envelope address a report was delivered to.
_ENVELOPE_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To", "To")


@dataclass(frozen=True)
class RecipientStatus:
    recipient: str  # Final-Recipient's address
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def refusal(self) -> Refusal | None:
        """What the status means (publisher.mail.refusals); None when the mail got through
        (delivered, relayed, expanded)."""
        if self.action in {"delivered", "relayed", "expanded"}:
            return None
        # "smtp; 550 5.1.1 No such user": the receiver's own reply, the most precise word.
        reply = _REPLY.match(self.diagnostic)
        if reply is None:
            return classify(f"{self.status} {self.diagnostic}")
        basic, text = int(reply[1]), reply[2]
        return classify(text if enhanced_code(text) else f"{self.status} {text}", basic)

    @property
    def kind(self) -> BounceKind | None:
        """Hard for a bad address (5.1.x, 5.2.1), soft for a full mailbox or any temporary
        failure (4.x.x) or another permanent one; None when the mail got through, or when
        the refusal is about the sender (5.7.x, 5.3.x, 5.4.x, a throttle): never the
        reader's to count."""
        refusal = self.refusal
        if refusal is None or refusal.verdict in {Verdict.SENDER, Verdict.THROTTLE}:
            return None
        if self.status.startswith("4"):
            return BounceKind.SOFT
        return BounceKind.HARD if refusal.verdict is Verdict.BAD_ADDRESS else BounceKind.SOFT

    @property
    def senders_problem(self) -> bool:
        refusal = self.refusal
        return refusal is not None and refusal.verdict in {Verdict.SENDER, Verdict.THROTTLE}


@dataclass(frozen=True)
class Report:
    report_id: str  # the report's Message-ID, else a hash of its bytes
    message_id: str  # of the returned mail (ours), "" if the report does not show it
    verp_tokens: tuple[str, ...]  # tokens of bounce+<token>@ addresses it names
    recipients: tuple[RecipientStatus, ...]  # empty for a complaint
    complaint: bool  # an ARF feedback report
    date: dt.datetime | None  # when the report was written, if it says


def parse(data: bytes) -> Report:
    """The report in one mail; BounceError for anything else (an auto-reply, a DSN with no
    readable status, a truncated file)."""
    message = message_from_bytes(data, policy=policy.compat32)
    if message.get_content_type() != "multipart/report":
        raise BounceError(f"not a report (Content-Type {message.get_content_type()})")
    kind = str(message.get_param("report-type", "") or "").lower()
    if kind not in {"delivery-status", "feedback-report"}:
        raise BounceError(f"a report of type {kind or '(none)'!r}, not a DSN or ARF report")
    parts = list(message.walk())[1:]
    complaint = kind == "feedback-report"
    fields = _blocks(parts, f"message/{kind}")
    recipients = () if complaint else _recipients(fields)
    returned = _returned_headers(parts)
    addresses = [*_envelope(message), *_envelope(returned), *_feedback_from(fields)]
    return Report(
        report_id=_identity(message, data),
        message_id=_clean_id(returned.get("Message-ID", "")),
        verp_tokens=tuple(dict.fromkeys(m[1] for a in addresses if (m := _VERP.search(a)))),
        recipients=recipients,
        complaint=complaint,
        date=_date(message.get("Date", "")),
    )


def _blocks(parts: list[Message], content_type: str) -> list[Message]:
    """The header blocks of the machine-readable part: the email package reads
    message/delivery-status as a list of blocks and other message/* as one message."""
    for part in parts:
        if part.get_content_type() == content_type:
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return [block for block in payload if isinstance(block, Message)]
            if isinstance(payload, str) and payload.strip():
                return [HeaderParser().parsestr(payload.strip() + "\n")]
    raise BounceError(f"the report has no readable {content_type} part")


def _recipients(blocks: list[Message]) -> tuple[RecipientStatus, ...]:
    found = []
    for block in blocks:
        status = block.get("Status")
        if status is None:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        match = _STATUS.match(str(status))
        if match is None:
            raise BounceError(f"Status {str(status).strip()!r} is not an RFC 3463 code")
        found.append(
            RecipientStatus(
                recipient=_address_field(str(block.get("Final-Recipient", ""))),
                action=str(block.get("Action", "")).strip().lower(),
                status=".".join(match.groups()),
                diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
            )
        )
    if not found:
        raise BounceError("the delivery status names no recipient with a Status")
    return tuple(found)


def _address_field(value: str) -> str:
    # "rfc822; someone@example.org": the address type, then the address.
    return value.partition(";")[2].strip() if ";" in value else value.strip()


def _returned_headers(parts: list[Message]) -> Message:
    """The headers of the returned mail: a message/rfc822 part or text/rfc822-headers."""
    for part in parts:
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if part.get_content_type() == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    return Message()


def _envelope(message: Message) -> list[str]:
    values = [
        str(v) for name in (*_ENVELOPE_HEADERS, "Return-Path") for v in message.get_all(name, [])
    ]
    return [address for _, address in getaddresses(values)]


def _feedback_from(blocks: Iterable[Message]) -> list[str]:
    return [str(value) for block in blocks for value in block.get_all("Original-Mail-From", [])]


def _clean_id(value: str) -> str:
    value = "".join(str(value).split())
    return value if value.startswith("<") and value.endswith(">") else ""


def _identity(message: Message, data: bytes) -> str:
    own = _clean_id(message.get("Message-ID", ""))
    return own or "sha256:" + hashlib.sha256(data).hexdigest()


def _date(value: str) -> dt.datetime | None:
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None


# -- reading reports from disk (the edge) ----------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One mail read from disk; `where` names it in messages (file, or mailbox:key)."""

    where: str
    data: bytes
    maildir_key: str = ""  # set for a Maildir's new mail, so the caller can mark it read


def read_paths(paths: Iterable[Path]) -> Iterator[Found]:
    """Every mail in files, Maildirs (cur and new) and mbox files. A path that cannot be
    read raises BounceError naming it; the mails of the paths before it are already out."""
    for path in paths:
        if _is_maildir(path):
            box = mailbox.Maildir(path, create=False)
            for key in sorted(box.keys()):
                yield Found(f"{path}:{key}", box.get_bytes(key))
        elif path.is_dir():
            raise BounceError(f"{path}: a folder but not a Maildir (no cur/, new/, tmp/)")
        else:
            yield from _read_file(path)


def read_new(path: Path) -> Iterator[Found]:
    """The unread mail of a Maildir (its new/), for the daily run; mark_read() files each
    away once it is recorded."""
    if not _is_maildir(path):
        raise BounceError(f"{path}: not a Maildir (no cur/, new/, tmp/)")
    for entry in sorted((path / "new").iterdir()):
        if entry.is_file() and not entry.name.startswith("."):
            yield Found(f"{path}:{entry.name}", entry.read_bytes(), entry.name)


def mark_read(path: Path, name: str) -> None:
    """new/ → cur/ with the Seen flag (Maildir's ":2,S"), as a mail client would, so the
    next run skips it."""
    (path / "new" / name).rename(path / "cur" / f"{name}:2,S")


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _read_file(path: Path) -> Iterator[Found]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BounceError(f"{path}: cannot read: {error.strerror}") from None
    if not data.startswith(b"From "):
        yield Found(str(path), data)
        return
    box = mailbox.mbox(path, create=False)
    try:
        mails = [box.get_bytes(key) for key in box.iterkeys()]
    finally:
        box.close()
    for number, data in enumerate(mails, start=1):
        yield Found(f"{path}:{number}", data)
