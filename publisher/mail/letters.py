"""Mail bytes: a message assembled once per digest and script, then filled per subscriber.

Pure: strings in, bytes out. Building an `EmailMessage` per subscriber costs ~2.5 ms for a
digest (DESIGN.md); here the email package builds the common headers and the MIME skeleton
once, and each letter only joins prepared bytes around what differs: three header lines
(To, Message-ID, List-Unsubscribe) and the footers of the two parts (the address, the
unsubscribe link and the preferences link).

The parts are base64 (compact for Chinese, and safe through any relay: no 8BITMIME, no
long lines). Each body is split at a multiple of 57 bytes (one 76-character base64 line)
before its first per-subscriber placeholder: the head is encoded once, and only the short
tail is substituted and encoded per subscriber. Everything is serialised with CRLF line
ends, as SMTP needs (DESIGN.md, "Mail bytes").
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP

from publisher.errors import AddressError, TemplateError
from publisher.mail import dkim
from publisher.mail.dkim import Signer

# Stand-ins the templates render where a subscriber's own values go. Plain ASCII letters
# and dashes, so autoescaping and premailer leave them exactly as they are.
UNSUBSCRIBE_URL = "PUBLISHER-UNSUBSCRIBE-URL"
PREFERENCES_URL = "PUBLISHER-PREFERENCES-URL"
ADDRESS = "PUBLISHER-SUBSCRIBER-ADDRESS"
PLACEHOLDERS = (UNSUBSCRIBE_URL, PREFERENCES_URL, ADDRESS)

_RAW = 57  # bytes per 76-character base64 line
_CRLF = b"\r\n"
# A recipient goes into a header as it is, so it must read as one plain address there: a
# dot-atom local part (RFC 5322 atext and dots), one @, an ASCII (IDNA) host name. No
# quotes, commas, angle brackets or white space.
_SAFE_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def base64_lines(data: bytes) -> bytes:
    """RFC 2045 base64 in 76-character lines joined by CRLF, without a final CRLF."""
    encoded = base64.b64encode(data)
    return _CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


@dataclass(frozen=True)
class _Body:
    """One text part: the encoded head (whole lines, each ending in CRLF) and the raw tail
    that still holds the placeholders."""

    head: bytes
    tail: bytes

    @classmethod
    def split(cls, text: str) -> _Body:
        # MIME text travels in canonical form, CRLF line ends, even inside base64.
        data = _LINE_END.sub(_CRLF, text.encode("utf-8"))
        found = [data.find(mark.encode()) for mark in PLACEHOLDERS]
        if min(found) < 0:
            raise TemplateError(
                "a digest template lacks the unsubscribe link, the preferences link or the address"
            )
        cut = min(found) // _RAW * _RAW
        head = base64_lines(data[:cut])
        return cls(head + _CRLF if head else b"", data[cut:])

    def encode_tail(self, values: Sequence[bytes]) -> bytes:
        """The tail with `values`, in the order of PLACEHOLDERS, in place of the stand-ins,
        encoded; the whole body is `head` and this."""
        tail = self.tail
        for mark, value in zip(PLACEHOLDERS, values, strict=True):
            tail = tail.replace(mark.encode(), value)
        return base64_lines(tail)


_TEXT_MARK = "publisher-text-part"
_HTML_MARK = "publisher-html-part"


def _part(subtype: str, marker: str) -> MIMEPart:
    part = MIMEPart(policy=SMTP)
    part["Content-Type"] = f"text/{subtype}; charset=utf-8"
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(marker)  # replaced by the encoded body per letter
    return part


def skeleton(headers: Sequence[tuple[str, object]], boundary: str) -> bytes:
    """The common headers and the multipart/alternative structure, with markers for the
    two bodies. The email package folds and RFC 2047-encodes the headers."""
    message = EmailMessage(policy=SMTP)
    for name, value in headers:
        message[name] = value
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    message.set_payload([_part("plain", _TEXT_MARK), _part("html", _HTML_MARK)])
    return message.as_bytes()


def _boundary(*parts: str) -> str:
    # Deterministic (golden files stay equal) and starting with "=_", which neither base64
    # nor quoted-printable text can contain.
    return "=_" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class _Signing:
    """What a DKIM signature needs of a template, made once: the shared headers, and the
    body hash begun over the start every reader's body shares (publisher.mail.dkim)."""

    def __init__(self, signer: Signer, pieces: tuple[bytes, bytes, bytes], text: _Body) -> None:
        before_text, between, after_html = pieces
        head, _, start = before_text.partition(_CRLF * 2)
        # Relaxed body canonicalisation drops the empty lines at the end.
        self.after = after_html.rstrip(_CRLF) + _CRLF
        for chunk in (start, text.head, between, self.after):
            if not dkim.relaxed_body_ok(chunk):
                raise TemplateError("the mail's MIME structure has white space DKIM would change")
        self.headers = signer.prepare(dkim.parse_headers(head))
        self.begun = dkim.body_hasher(start + text.head)

    def sign(self, own: bytes, rest: Sequence[bytes]) -> bytes:
        """The DKIM-Signature line for one letter: `own` its header lines, `rest` its body
        from the text part's tail to the end of the HTML part's."""
        body = self.begun.copy()
        for chunk in (*rest, self.after):
            body.update(chunk)
        return self.headers.sign(dkim.parse_headers(own), body.digest())


class LetterTemplate:
    """A digest mail for one script, ready to be filled per subscriber; signed with DKIM
    per subscriber when a `signer` is given."""

    def __init__(
        self,
        headers: Sequence[tuple[str, object]],
        text: str,
        html_text: str,
        signer: Signer | None = None,
    ) -> None:
        data = skeleton(headers, _boundary(text, html_text))
        before_text, rest = data.split(_TEXT_MARK.encode())
        between, after_html = rest.split(_HTML_MARK.encode())
        self._pieces = (before_text, between, after_html)
        self._text = _Body.split(text)
        self._html = _Body.split(html_text)
        self._signing = _Signing(signer, self._pieces, self._text) if signer else None

    def fill(
        self,
        *,
        recipient: str,
        message_id: str,
        unsubscribe_url: str,
        preferences_url: str,
        mailto: str,
    ) -> bytes:
        """The whole message for one subscriber. `mailto` may be "" (no mailto unsubscribe)."""
        if not _SAFE_ADDRESS.fullmatch(recipient):
            raise AddressError(recipient, "cannot be put in a header as it is")
        # One URL a line (a URL cannot be folded). Not folded right after the colon: some
        # parsers then keep the leading space as part of the value.
        targets = f"<{unsubscribe_url}>" + (f",\r\n <{mailto}>" if mailto else "")
        own = (
            f"To: {recipient}\r\nMessage-ID: {message_id}\r\nList-Unsubscribe: {targets}\r\n"
        ).encode("ascii")
        before_text, between, after_html = self._pieces
        values = (unsubscribe_url, preferences_url, recipient)
        tails = (
            self._text.encode_tail([value.encode("ascii") for value in values]),
            # In HTML they go into markup, so they are escaped there (an address may hold &
            # or ', a base URL &).
            self._html.encode_tail([html.escape(value).encode("ascii") for value in values]),
        )
        signature = b""
        if self._signing is not None:
            signature = self._signing.sign(own, (tails[0], between, self._html.head, tails[1]))
        return b"".join(
            (
                signature,
                own,
                before_text,
                self._text.head,
                tails[0],
                between,
                self._html.head,
                tails[1],
                after_html,
            )
        )


def simple_message(headers: Sequence[tuple[str, object]], text: str, html_text: str) -> bytes:
    """A one-off multipart/alternative message (e.g. a confirmation), built the plain way."""
    message = EmailMessage(policy=SMTP)
    for name, value in headers:
        message[name] = value
    message.set_content(text, charset="utf-8", cte="base64")
    message.add_alternative(html_text, subtype="html", charset="utf-8", cte="base64")
    return message.as_bytes()
