"""What every mail we send has: the sender in the reader's script, Reply-To, Subject, Date,
and the site's domain in the ASCII form that Message-ID and List-Id need."""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.utils import format_datetime, parseaddr

from publisher.articles.conversion import Scripts
from publisher.records import Edition
from publisher.settings import DigestConfig
from publisher.site.paths import Site


def mail_domain(site: Site) -> str:
    """The site's domain for Message-ID and List-Id, which take no encoded words: it is
    ASCII, since the configuration refuses a non-ASCII host (and names its xn-- form)."""
    return site.domain


def envelope_sender(digest: DigestConfig) -> str:
    """The bare address of digest.from_address: MAIL FROM, and the address in From."""
    return parseaddr(digest.from_address)[1]  # config.py checked it holds one


def from_header(digest: DigestConfig, scripts: Scripts, edition: Edition) -> Address:
    """From, its display name shown in the reader's script (it is data, like the title). An
    Address, not a string: the email package then quotes a name that holds a comma or a
    quote and RFC 2047-encodes one that is not ASCII."""
    name, address = parseaddr(digest.from_address)
    return Address(display_name=scripts.into(name, edition), addr_spec=address)


def sender_headers(
    digest: DigestConfig, scripts: Scripts, edition: Edition, subject: str, now: dt.datetime
) -> list[tuple[str, object]]:
    """From, Reply-To (when configured), Subject and Date: what every mail we send has."""
    headers: list[tuple[str, object]] = [("From", from_header(digest, scripts, edition))]
    if digest.reply_to:
        headers.append(("Reply-To", digest.reply_to))
    return [*headers, ("Subject", subject), ("Date", format_datetime(now))]
