"""What each key of config.toml may hold: one check per key, each a pure function of the
value that returns the problem in words (None: good). Checks that need the whole config or
the file system (the output folder, paths) are in publisher.config."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from publisher.records import Script

Check = Callable[[Any], str | None]

_HEADERS = HeaderRegistry()
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DAY = 86_400


def one_line(value: str) -> str | None:
    """Every string: no control character (a line break in a title or an address would
    reach a mail header, where the mail library refuses it at send time)."""
    bad = next((char for char in value if unicodedata.category(char) == "Cc"), None)
    return None if bad is None else f"control character U+{ord(bad):04X}: write it on one line"


def _choice(allowed: tuple[str, ...]) -> Check:
    named = f"{', '.join(allowed[:-1])} or {allowed[-1]}"

    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be {named}, not {value!r}"

    return check


def _between(low: float, high: float, *, zero: bool = False) -> Check:
    """A number from `low` to `high` (and 0, with `zero`: 'off'); NaN is no number."""

    def check(value: float) -> str | None:
        if (zero and value == 0) or low <= value <= high:
            return None
        off = "0 or " if zero else ""
        return f"must be {off}from {low:,g} to {high:,g}, not {value!r}"

    return check


def _zone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name such as 'Asia/Taipei')"
    return None


def _base_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL such as 'https://news.example.org/'"
    if not value.endswith("/"):
        return "must end with '/'"
    if not parts.hostname.isascii():
        # Mail headers (Message-ID, List-Id) and tokens' URLs need the ASCII form.
        ascii_host = parts.hostname.encode("idna").decode("ascii")
        return f"write the host in its ASCII form: {value.replace(parts.hostname, ascii_host)!r}"
    return None


def check_storage(value: str) -> str | None:
    if value.startswith("sqlite:"):
        if not value.startswith("sqlite:///") or value == "sqlite:///":
            return "a SQLite store is 'sqlite:///PATH' (a path relative to config.toml)"
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        return (
            "must be 'sqlite:///PATH' or 'postgresql://USER@HOST/DATABASE', "
            f"not {value.split('://')[0]!r}://…"
        )
    if parts.password is not None or "password=" in parts.query:
        return (
            "keep the password out of the file: set it in the variable storage.password_env names"
        )
    return None


def _time(value: str) -> str | None:
    match = re.fullmatch(r"(\d{2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return "must be a time of day as 'HH:MM', e.g. '07:00'"
    return None


def _address(value: str) -> Address | None:
    """The one address `value` holds as a mail header would read it, or None: garbage,
    two addresses or half of one are not an address (parseaddr, which the mail headers
    use, took 'x@y, z@w' for x@y and 'garbage x@y' for an address with a space)."""
    try:
        header = _HEADERS("From", value)
    except (IndexError, ValueError):
        return None
    assert isinstance(header, AddressHeader)
    defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
    if defects or len(header.addresses) != 1:
        return None
    found: Address = header.addresses[0]
    if not found.username or not found.domain or parseaddr(value)[1] != found.addr_spec:
        return None
    return found


def _sender(value: str) -> str | None:
    found = _address(value)
    if found is None:
        return f"must hold one address, e.g. '科技新聞 <digest@news.example.org>', not {value!r}"
    if not found.addr_spec.isascii():
        # Relays without SMTPUTF8 refuse a non-ASCII sender for every mail of the run.
        local, domain = found.username, found.domain
        ascii_domain = domain.encode("idna").decode("ascii") if local.isascii() else domain
        return f"the address must be ASCII (a domain in its xn-- form: {local}@{ascii_domain})"
    return None


def _reply_to(value: str) -> str | None:
    return _sender(value) if value else None


def _mailto(value: str) -> str | None:
    found = _address(value) if value else None
    if value and (found is None or found.addr_spec != value):
        return "must be a bare address such as 'unsubscribe@news.example.org', or \"\""
    return None


def _host(value: str) -> str | None:
    if not value.strip() or any(char.isspace() or char in "/@" for char in value):
        return "must be a host name or address, e.g. 'smtp.example.org'"
    if ":" in value:
        try:
            ipaddress.IPv6Address(value.strip("[]"))
        except ValueError:
            return "must be a host name or address alone: the port goes in delivery.smtp.port"
    return None


def _environment_name(value: str) -> str | None:
    if value and not _ENVIRONMENT_NAME.fullmatch(value):
        return (
            f"must be the name of an environment variable, e.g. 'PUBLISHER_PASSWORD', not {value!r}"
        )
    return None


def _not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL such as 'https://hub.example.org/'"
    return None


def _hubs(value: tuple[str, ...]) -> str | None:
    for hub in value:
        problem = _url(hub)
        if problem:
            return f"{hub!r}: {problem}"
    return None


def _dns_name(value: str) -> str | None:
    if value and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
        return f"must be a DNS name of letters, digits, dots and dashes, not {value!r}"
    return None


def _per_minute(value: dict[str, int]) -> str | None:
    for domain, limit in value.items():
        if domain != "*" and not re.fullmatch(r"[a-z0-9.-]+\.[a-z0-9-]+", domain):
            return f'{domain!r}: a receiving domain in lower case (qq.com), or "*"'
        if not 1 <= limit <= 1_000_000:
            return (
                f"{domain}: mails per minute must be from 1 to 1,000,000 (leave it out: no limit)"
            )
    return None


def _networks(value: tuple[str, ...]) -> str | None:
    for each in value:
        try:
            ipaddress.ip_network(each, strict=False)
        except ValueError:
            return f"{each!r} is not an IP address or network such as '10.0.0.0/8'"
    return None


def _terms(value: tuple[str, ...]) -> str | None:
    return None if all(term.strip() for term in value) else "terms must not be empty"


# A number's range is what makes sense for it, wide enough for any real use; past it a
# value is a typo (an extra digit) or would break something later: a timedelta that cannot
# be made, a feed of millions of entries held in memory, a lease that never ends.
CHECKS: dict[str, Check] = {
    "site.title": _not_blank,
    "site.base_url": _base_url,
    "site.timezone": _zone,
    "site.output_dir": _not_blank,
    "storage.url": check_storage,
    "storage.password_env": _environment_name,
    "storage.pool_size": _between(1, 100),
    "feeds.max_entries": _between(1, 10_000),  # feedgen holds a whole feed in memory
    "feeds.summary_chars": _between(1, 2_000),  # an excerpt: the whole text is the content
    "ingest.max_title_chars": _between(1, 100_000),
    "ingest.max_body_chars": _between(1, 10_000_000),
    "scripts.hant_variant": _choice(("tw", "hk", "generic")),
    "scripts.default": _choice(tuple(script.value for script in Script)),
    "scripts.protected_terms": _terms,
    "scripts.punctuation": _choice(("full-width", "as-is")),
    "scripts.phrases_file": _not_blank,
    "digest.from_address": _sender,
    "digest.reply_to": _reply_to,
    "digest.unsubscribe_mailto": _mailto,
    "digest.excerpt_chars": _between(1, 1_000),  # the mail must stay under Gmail's 102 KB
    "digest.weekly_per_day": _between(1, 100),
    "digest.secret_file": _not_blank,
    "delivery.backend": _choice(("outbox", "smtp")),
    "delivery.outbox_dir": _not_blank,
    "delivery.lease_seconds": _between(1, DAY),
    "delivery.smtp.host": _host,
    "delivery.smtp.port": _between(1, 65_535),
    "delivery.smtp.security": _choice(("none", "starttls", "tls")),
    "delivery.smtp.password_env": _environment_name,
    "delivery.smtp.timeout": _between(0.1, 3_600),
    "delivery.smtp.rate_per_second": _between(0.01, 100_000, zero=True),
    "delivery.smtp.max_attempts": _between(1, 100),
    "delivery.smtp.max_consecutive_failures": _between(1, 100_000),
    "delivery.smtp.max_wait_seconds": _between(0, DAY),
    "schedule.time": _time,
    "schedule.inbox_dir": _not_blank,
    "schedule.misfire_grace_seconds": _between(1, DAY),
    "bounces.soft_limit": _between(1, 1_000),
    "bounces.soft_days": _between(1, 3_650),
    "web.confirm_cooldown_seconds": _between(0, 30 * DAY),
    "web.subscribe_limit": _between(1, 1_000_000),
    "web.subscribe_window_seconds": _between(1, 30 * DAY),
    "web.report_limit": _between(1, 10_000),
    "web.report_window_seconds": _between(1, DAY),
    "web.reports_per_article_per_day": _between(1, 10_000),
    "web.confirm_expiry_days": _between(1, 3_650),
    "web.confirm_mails_per_hour": _between(1, 100_000),
    "web.trusted_proxies": _networks,
    "web.header_timeout_seconds": _between(0.1, 3_600),
    "web.body_timeout_seconds": _between(0.1, 3_600),
    "web.keep_alive_seconds": _between(1, 3_600),
    "web.max_connections": _between(1, 100_000),
    "web.backlog": _between(1, 65_535),
    "feeds.websub_hubs": _hubs,
    "telegram.api_url": _url,
    "telegram.per_channel_per_minute": _between(1, 60_000),
    "telegram.per_second": _between(1, 1_000),
    "telegram.timeout": _between(1, DAY),
    "telegram.max_wait_seconds": _between(0, DAY),
    "digest.cfbl_address": _mailto,
    "delivery.per_domain_per_minute": _per_minute,
    "delivery.daily_cap": _between(0, 100_000_000),  # 0: no cap
    "delivery.smtp.max_sender_refusals": _between(1, 1_000),
    "rates.complaint_warn": _between(0, 100),  # percent
    "rates.complaint_stop": _between(0, 100),
    "rates.bounce_warn": _between(0, 100),
    "rates.bounce_stop": _between(0, 100),
    "rates.days": _between(1, 366),
    "rates.min_mails": _between(0, 100_000_000),
    "dkim.selector": _dns_name,
    "dkim.domain": _dns_name,
}
