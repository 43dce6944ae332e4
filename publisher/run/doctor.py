"""`publisher doctor`: what the operator must have in place for mail to reach the inbox, checked
and explained, one finding per line. The configuration, the store and its schema, the files
that hold secrets, the https base URL one-click unsubscribe needs (RFC 8058), the relay (EHLO,
STARTTLS), and the sender's DNS (publisher.run.dnscheck). Reads, never changes anything.
"""

from __future__ import annotations

import os
import smtplib
import stat
from pathlib import Path
from urllib.parse import urlsplit

import dns.resolver

from publisher.config import Config
from publisher.errors import PublisherError
from publisher.mail.digest import dkim_signer
from publisher.mail.dkim import Signer
from publisher.mail.headers import envelope_sender
from publisher.mail.tokens import ENVIRONMENT_VARIABLE
from publisher.run.dnscheck import Sender, check_all
from publisher.run.findings import Finding, Level
from publisher.store import schema_status
from publisher.store.migrations import LATEST


def examine(config: Config, resolver: dns.resolver.Resolver) -> list[Finding]:
    """Every check, in the order an operator fixes things."""
    signer, key_findings = _dkim_key(config)
    domain = envelope_sender(config.digest).rpartition("@")[2]
    sender = Sender(
        domain,
        config.dkim.domain or domain,
        config.dkim.selector,
        signer.public_record().partition("p=")[2] if signer else "",
    )
    relay = config.delivery.smtp.host if config.delivery.backend == "smtp" else None
    return [
        Finding(Level.OK, "config", "read and valid"),
        *_store(config),
        *_secrets(config),
        *key_findings,
        _base_url(config),
        *_relay(config),
        *check_all(resolver, sender, relay),
    ]


def _store(config: Config) -> list[Finding]:
    storage = config.storage
    if not storage.exists():
        return [Finding(Level.WARN, "store", f"none yet at {storage}: publisher ingest makes it")]
    try:
        version, pending = schema_status(storage)
    except PublisherError as error:
        return [Finding(Level.FAIL, "store", str(error))]
    found = [
        Finding(Level.OK, "store", f"{storage}: schema version {version}")
        if not pending
        else Finding(
            Level.WARN,
            "store",
            f"{storage}: schema {version}, {LATEST} after the next command "
            "(or publisher db upgrade)",
        )
    ]
    if storage.file is not None:
        found.append(_private(storage.file, "store", "it holds the subscribers' addresses"))
    return found


def _private(path: Path, subject: str, why: str) -> Finding:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Finding(Level.FAIL, subject, f"{path} is mode {mode:04o}; {why}: chmod 600 {path}")
    return Finding(Level.OK, subject, f"{path} is private ({mode:04o})")


def _secrets(config: Config) -> list[Finding]:
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return [Finding(Level.OK, "link key", f"from ${ENVIRONMENT_VARIABLE}")]
    path = config.path(config.digest.secret_file)
    if not path.exists():
        text = f"{path} is made on first use (mode 0600); back it up then"
        return [Finding(Level.WARN, "link key", text)]
    return [_private(path, "link key", "it signs every unsubscribe link")]


def _dkim_key(config: Config) -> tuple[Signer | None, list[Finding]]:
    if not config.dkim.sign:
        return None, []
    try:
        signer = dkim_signer(config)
    except PublisherError as error:
        return None, [Finding(Level.FAIL, "DKIM key", str(error))]
    return signer, [Finding(Level.OK, "DKIM key", f"{config.path(config.dkim.key_file)}")]


def _base_url(config: Config) -> Finding:
    url = config.site.base_url
    if urlsplit(url).scheme == "https":
        return Finding(Level.OK, "base_url", f"{url}: one-click unsubscribe (RFC 8058) is offered")
    level = Level.FAIL if config.delivery.backend == "smtp" else Level.WARN
    text = f"{url} is not https: no one-click unsubscribe, which Gmail and Yahoo require"
    return Finding(level, "base_url", text)


def _relay(config: Config) -> list[Finding]:
    if config.delivery.backend != "smtp":
        return [Finding(Level.OK, "relay", "delivery.backend = outbox: no relay to check")]
    s = config.delivery.smtp
    where = f"{s.host}:{s.port}"
    try:
        kind = smtplib.SMTP_SSL if s.security == "tls" else smtplib.SMTP
        with kind(s.host, s.port, timeout=min(s.timeout, 10.0)) as conn:
            code, _ = conn.ehlo()
            starttls = conn.has_extn("starttls")
    except (OSError, smtplib.SMTPException) as error:
        return [Finding(Level.FAIL, "relay", f"{where} does not answer: {error}")]
    found = [Finding(Level.OK, "relay", f"{where} answers EHLO ({code})")]
    if s.security == "none" and starttls:
        text = "offers STARTTLS but delivery.smtp.security = none: set it to starttls"
        found.append(Finding(Level.WARN, "relay", text))
    elif s.security == "none" and s.host not in ("127.0.0.1", "localhost", "::1"):
        found.append(Finding(Level.WARN, "relay", "no STARTTLS: mail crosses the network in clear"))
    elif s.security == "starttls" and not starttls:
        found.append(Finding(Level.FAIL, "relay", "delivery.smtp.security = starttls, not offered"))
    return found
