"""What the dynamic pages share about requests: the refusal a person reads (`Problem`),
reading a posted form within bounds, and the per-client rate limit of the forms."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math

from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from publisher.records import Script
from publisher.store import Store

# A subscribe form is a few hundred bytes; anything near this is not a person filling it in.
MAX_BODY_BYTES = 16 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Problem(Exception):
    """A request we refuse, with the status and the words that explain it to a person.
    `script` is the script of the reader a link's token named, when it is known: their
    error page is in it unless the URL names an edition."""

    def __init__(
        self,
        status: int,
        key: str,
        *,
        headers: dict[str, str] | None = None,
        script: Script | None = None,
        **values: str,
    ) -> None:
        self.status = status
        self.key = key
        self.values = values
        self.headers = headers or {}
        self.script = script
        super().__init__(f"{status} {key} {values}")


def _replay(body: bytes) -> Receive:
    """A receive() that hands over a body already read, so Starlette can parse it."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    return receive


async def read_form(
    request: Request, *, max_fields: int = 20, max_bytes: int = MAX_BODY_BYTES
) -> FormData:
    """The POSTed form, refusing bodies over `max_bytes` before reading them whole, and
    forms of more than `max_fields` fields. The defaults fit every form but the preferences
    page's, whose size grows with the site's sources."""
    length = request.headers.get("content-length", "0")
    if not length.isdigit():
        raise Problem(400, "bad_form")
    if int(length) > max_bytes:
        raise Problem(413, "too_large")
    body = bytearray()
    try:
        async for chunk in request.stream():  # chunked bodies have no Content-Length to check
            body += chunk
            if len(body) > max_bytes:
                raise Problem(413, "too_large")
    except ClientDisconnect:
        # The client went away mid-body: nobody reads the answer, and it is no fault of ours.
        raise Problem(400, "bad_form") from None
    if not body:
        return FormData()
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise Problem(415, "unsupported_type")
    replayed = Request(request.scope, _replay(bytes(body)))
    # No file uploads, a bounded number of fields: a larger form is not one of ours.
    return await replayed.form(max_files=0, max_fields=max_fields, max_part_size=max_bytes)


def field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise Problem(400, "bad_form")
    return value


def client_key(secret: bytes, host: str) -> str:
    """Who a post counts against: the client's address, or its /64 for IPv6 (one machine
    commonly holds a whole /64, and would otherwise have 2^64 allowances). Stored as a keyed
    hash: the store keeps no reader's IP address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        network = host  # a Unix socket or a test client: one bucket per name
    else:
        prefix = 64 if address.version == 6 else 32
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return hmac.new(secret, b"client:" + network.encode(), hashlib.sha256).hexdigest()[:32]


def count_post(store: Store, client: str, now: float, limit: int, window: float) -> None:
    """Count a form post of `client`; Problem 429 with Retry-After past `limit` a window."""
    posts, began = store.count_form_post(client, now, window)
    if posts > limit:
        wait = max(1, math.ceil(began + window - now))
        minutes = str(math.ceil(wait / 60))
        raise Problem(429, "too_many", headers={"Retry-After": str(wait)}, minutes=minutes)
