"""Signed links: a confirm or unsubscribe token names one subscriber and one action, and only
the holder of the secret can make one, so nobody can unsubscribe (or confirm) someone else.

An unsubscribe (or VERP bounce) token is `<id>.<mac>`: the subscriber id in decimal, then
the first 128 bits of HMAC-SHA256(secret, "<action>:<id>") in URL-safe base64 without
padding. 128 bits is far beyond guessing and keeps the links short. These do not expire: an
unsubscribe link in a mail from last year must still work.

A bound token is `<id>.<n>.<mac>` over "<action>:<id>.<n>": good only while `n` is still the
subscriber's. A confirm token carries the sign-up time (`Subscriber.signed_up`, seconds), so
it confirms that one sign-up, and expires with it; the link of an earlier sign-up of the same
address confirms nothing. A preferences token opens a page that shows and changes what the
reader chose (and can erase them), so it must be revocable: it carries the subscriber's
`link_generation`, and raising that revokes every earlier preferences link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

from publisher.errors import ConfigError, TokenError
from publisher.files import sync, unreadable
from publisher.settings import DigestConfig

# "bounce": the VERP envelope sender, bounce+<token>@domain, names the subscriber a
# returned mail was for.
ACTIONS = frozenset({"unsubscribe", "bounce"})
PREFERENCES = "preferences"
CONFIRM = "confirm"
BOUND_ACTIONS = frozenset({PREFERENCES, CONFIRM})
ENVIRONMENT_VARIABLE = "PUBLISHER_SECRET"
MIN_SECRET_BYTES = 16

# Only the canonical spelling of an id: int() would also take "007", " 7", "7_0" or "٧",
# and each of those must count as an altered token.
_TOKEN = re.compile(r"(0|[1-9][0-9]{0,18})\.([A-Za-z0-9_-]{22})")
_BOUND_TOKEN = re.compile(r"(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.[A-Za-z0-9_-]{22}")

log = logging.getLogger(__name__)


def _mac(secret: bytes, action: str, subject: str) -> str:
    if action not in ACTIONS | BOUND_ACTIONS:
        raise ValueError(f"unknown token action {action!r}")
    digest = hmac.new(secret, f"{action}:{subject}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def make(secret: bytes, action: str, subscriber_id: int) -> str:
    """A URL-safe token for `action` on `subscriber_id`."""
    if action in BOUND_ACTIONS:
        raise ValueError(f"a {action} token is bound to a value of the subscriber: use make_bound")
    return f"{subscriber_id}.{_mac(secret, action, str(subscriber_id))}"


def make_bound(secret: bytes, action: str, subscriber_id: int, bound: int) -> str:
    """A token for `action` on `subscriber_id`, good while `bound` is still theirs (their
    sign-up time for confirm, their link generation for preferences)."""
    if action not in BOUND_ACTIONS:
        raise ValueError(f"a {action} token is not bound: use make")
    subject = f"{subscriber_id}.{bound}"
    return f"{subject}.{_mac(secret, action, subject)}"


def verify_bound(secret: bytes, action: str, token: str) -> tuple[int, int]:
    """(subscriber id, bound value) of a token made by us for `action`; TokenError otherwise.
    Whether the value is still the subscriber's is the caller's to check."""
    match = _BOUND_TOKEN.fullmatch(token)
    if match is None:
        raise TokenError(f"malformed {action} link token")
    subscriber_id, bound = int(match[1]), int(match[2])
    if not hmac.compare_digest(make_bound(secret, action, subscriber_id, bound), token):
        raise TokenError(f"invalid {action} link token")
    return subscriber_id, bound


def verify(secret: bytes, action: str, token: str) -> int:
    """The subscriber id a token was made for; TokenError if it was not made by us for
    exactly this action (forged, altered, truncated, or made for the other action)."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise TokenError("malformed link token")
    subscriber_id = int(match[1])
    # Compare whole tokens, not decoded bytes: base64 has several spellings of some byte
    # strings, and an altered spelling must be refused too.
    if not hmac.compare_digest(make(secret, action, subscriber_id), token):
        raise TokenError(f"invalid {action} link token")
    return subscriber_id


def address_hash(secret: bytes, address: str) -> str:
    """What erasure keeps of an address: HMAC-SHA256 under the link key, so the list of
    erased addresses cannot be turned back into addresses (a plain hash of an address can,
    by hashing candidate addresses) and yet an import can still recognise one. Case-blind,
    like the list's own uniqueness."""
    return hmac.new(secret, b"erased:" + address.lower().encode(), hashlib.sha256).hexdigest()


class SecretSettings(Protocol):
    """What finding the link key reads of the configuration (a Config is one): where
    digest.secret_file is."""

    @property
    def digest(self) -> DigestConfig: ...

    def path(self, value: str) -> Path: ...


def load_secret(config: SecretSettings) -> bytes:
    """The HMAC key: $PUBLISHER_SECRET, else the key file (created with mode 0600 on first
    use). Never config.toml, which people share and commit."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if value:
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"${ENVIRONMENT_VARIABLE}",
                "(value)",
                f"too short: use at least {MIN_SECRET_BYTES} random characters, e.g. the "
                "output of `python -c 'import secrets; print(secrets.token_hex(32))'`",
            )
        return value.encode()
    return _key_file(config.path(config.digest.secret_file))


def _key_file(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        key = _create_key_file(path)
    except OSError as error:  # a folder, or not ours to read: checked at load, changed since
        raise ConfigError(path, "digest.secret_file", unreadable(error)) from None
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(path, "digest.secret_file", "the key file is empty or too short")
    if path.stat().st_mode & 0o077:
        log.warning("%s: the key file is readable by others; run: chmod 600 %s", path, path)
    return key


def _create_key_file(path: Path) -> bytes:
    """Write a new key beside its final name, then link it into place: a second process
    starting at the same moment finds either no file or the whole key, never half of one,
    and both end up using the same key."""
    key = secrets.token_hex(32).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return path.read_bytes().strip()
        sync(path.parent)  # the new name too, or a power cut could lose the key just used
    finally:
        os.unlink(temp)
    log.info("created the link-signing key %s (mode 0600); back it up", path)
    return key
