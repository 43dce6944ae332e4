"""DKIM signatures (RFC 6376) for relays that do not sign: rsa-sha256, relaxed/relaxed.

A digest mail is the same for every reader but for a few header lines and the short tails of
its two bodies (publisher.mail.letters). So the body hash is begun once per template and only
carried on per reader (SHA-256 keeps its state: `copy()`), and the headers every reader
shares are canonicalised once. What is left per mail is hashing the rest of the body (~40 KB,
tens of microseconds) and one RSA signature, done by OpenSSL through `cryptography` (~1 ms
for 2048 bits; dkimpy's own pure-Python RSA takes ~11 ms). dkimpy provides the
canonicalisation and, in the tests, the verification.

The signature covers what RFC 8058 asks (From, To, Subject, Date, Message-ID, List-Id,
List-Unsubscribe, List-Unsubscribe-Post) and the other headers we write that a receiver reads
(MIME structure, Reply-To, Feedback-ID, CFBL-*), each one that the mail has.

Optional: `pip install 'publisher[dkim]'`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.errors import PublisherError

SIGNED = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "feedback-id",
    "cfbl-address",
    "cfbl-feedback-id",
    "mime-version",
    "content-type",
)
_WSP_ISSUES = re.compile(rb"[ \t]\r\n|[ \t]{2}|\t")


class DkimError(PublisherError):
    """The DKIM key cannot be used: names the file and what is wrong."""


Header = tuple[bytes, bytes]  # a field's name and its raw value (folded as written)


def parse_headers(block: bytes) -> list[Header]:
    """A header block (CRLF lines, continuation lines begin with white space) as fields."""
    fields: list[Header] = []
    for line in block.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        else:
            name, _, value = line.partition(b":")
            fields.append((name, value))
    return fields


def _relaxed(fields: Sequence[Header]) -> list[Header]:
    from dkim.canonicalization import Relaxed

    return list(Relaxed.canonicalize_headers(list(fields)))


def relaxed_body_ok(chunk: bytes) -> bool:
    """Whether relaxed body canonicalisation leaves `chunk` as it is (no trailing or
    repeated white space): then it can be hashed as written."""
    return _WSP_ISSUES.search(chunk) is None


@dataclass(frozen=True)
class Signer:
    selector: str
    domain: str
    key: Any  # a cryptography RSAPrivateKey

    @classmethod
    def load(cls, path: Path, selector: str, domain: str) -> Signer:
        """The key in `path` (PEM, RSA), which must be readable by its owner only."""
        try:
            mode = path.stat().st_mode
            data = path.read_bytes()
        except OSError as error:
            raise DkimError(f"{path}: dkim.key_file cannot be read: {error.strerror}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise DkimError(
                f"{path}: dkim.key_file is readable by others (mode {stat.S_IMODE(mode):04o}); "
                f"it is a private key: chmod 600 {path}"
            )
        try:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa
        except ImportError:
            raise DkimError("DKIM signing needs: pip install 'publisher[dkim]'") from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise DkimError(f"{path}: not an unencrypted PEM private key ({error})") from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 1024:
            raise DkimError(f"{path}: an RSA key of 1024 bits or more is needed (2048 is usual)")
        return cls(selector, domain, key)

    def public_record(self) -> str:
        """The TXT record to publish at <selector>._domainkey.<domain>."""
        from cryptography.hazmat.primitives import serialization

        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"

    def prepare(self, shared: Sequence[Header]) -> PreparedHeaders:
        """The headers every reader's mail has, canonicalised once."""
        return PreparedHeaders(self, _relaxed(shared))

    def signature(self, fields: list[Header], body_hash: bytes) -> bytes:
        """The DKIM-Signature header line (CRLF ended) for canonical `fields`, in the order
        given, and the body's hash."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        names = b":".join(name for name, _ in fields)
        value = (
            f" v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain}; s={self.selector};\r\n"
            f" h={names.decode('ascii')};\r\n"
            f" bh={base64.b64encode(body_hash).decode()};\r\n b="
        ).encode("ascii")
        ((_, own),) = _relaxed([(b"DKIM-Signature", value)])
        data = b"".join(name + b":" + text for name, text in fields)
        data += b"dkim-signature:" + own.removesuffix(b"\r\n")
        signed = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return b"DKIM-Signature:" + value + base64.b64encode(signed) + b"\r\n"


@dataclass(frozen=True)
class PreparedHeaders:
    signer: Signer
    shared: list[Header]  # canonical

    def sign(self, own: Sequence[Header], body_hash: bytes) -> bytes:
        """The signature over the shared headers and the reader's `own` (raw), for the
        body whose relaxed hash is `body_hash`."""
        present = {name: (name, value) for name, value in [*_relaxed(own), *self.shared]}
        fields = [present[name] for name in (n.encode() for n in SIGNED) if name in present]
        return self.signer.signature(fields, body_hash)


def body_hasher(prefix: bytes) -> Any:
    """SHA-256 begun over the start every reader's body shares."""
    return hashlib.sha256(prefix)
