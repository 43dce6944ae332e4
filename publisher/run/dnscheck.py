"""The sender's DNS as receivers read it: SPF, DKIM and DMARC for the From domain, and a PTR
for the relay's address. What Gmail and Yahoo require of bulk senders since February 2024;
the relay signs and sends, but the records are the operator's to publish.

Each check returns Findings (publisher.run.doctor). DNS goes through dnspython's resolver,
which the caller configures (the system's, or a given server).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.resolver
import dns.reversename

from publisher.run.findings import Finding, Level

Lookup = Callable[[str], list[str]]


def txt_lookup(resolver: dns.resolver.Resolver) -> Lookup:
    """The TXT strings at a name (each record's parts joined); [] when there is none."""

    def lookup(name: str) -> list[str]:
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]

    return lookup


@dataclass(frozen=True)
class Sender:
    from_domain: str  # the From address's domain: what DMARC aligns with
    dkim_domain: str  # d= (dkim.domain, else the From domain)
    selector: str  # "" when none is configured
    public_key: str  # the p= our own key gives, when the program signs; "" otherwise


def check_spf(lookup: Lookup, domain: str) -> Finding:
    records = [r for r in lookup(domain) if r.lower().startswith("v=spf1")]
    if not records:
        return Finding(Level.FAIL, "SPF", f'no record at {domain} (TXT "v=spf1 … -all")')
    if len(records) > 1:
        return Finding(Level.FAIL, "SPF", f"{len(records)} records at {domain}: keep one")
    if "+all" in records[0].split():
        return Finding(Level.WARN, "SPF", f"{domain}: '+all' lets anyone send as you")
    return Finding(Level.OK, "SPF", f"{domain}: {records[0]}")


def check_dkim(lookup: Lookup, sender: Sender) -> list[Finding]:
    found = []
    if not _aligned(sender.dkim_domain, sender.from_domain):
        text = f"d={sender.dkim_domain} does not align with the From domain {sender.from_domain}"
        found.append(Finding(Level.FAIL, "DKIM", text + " (DMARC needs it)"))
    if not sender.selector:
        text = "no dkim.selector: the relay's record cannot be checked (set the selector)"
        return [*found, Finding(Level.WARN, "DKIM", text)]
    name = f"{sender.selector}._domainkey.{sender.dkim_domain}"
    records = [r for r in lookup(name) if "p=" in r]
    if not records:
        return [*found, Finding(Level.FAIL, "DKIM", f"no record at {name} (TXT v=DKIM1; p=…)")]
    tags = dict(part.strip().split("=", 1) for part in records[0].split(";") if "=" in part)
    key = "".join(tags.get("p", "").split())
    if not key:
        found.append(Finding(Level.FAIL, "DKIM", f"{name}: the key is revoked (empty p=)"))
    elif sender.public_key and key != sender.public_key:
        text = f"{name}: the published key is not the one in dkim.key_file"
        found.append(Finding(Level.FAIL, "DKIM", text))
    else:
        found.append(Finding(Level.OK, "DKIM", f"{name}: a key is published"))
    return found


def check_dmarc(lookup: Lookup, domain: str) -> Finding:
    """DMARC at the From domain, else at its organisational domain (approximated as the
    last two labels: no public suffix list here)."""
    for name in dict.fromkeys((domain, ".".join(domain.split(".")[-2:]))):
        records = [r for r in lookup(f"_dmarc.{name}") if r.lower().startswith("v=dmarc1")]
        if records:
            tags = dict(p.strip().split("=", 1) for p in records[0].split(";") if "=" in p)
            policy = tags.get("p", "?")
            return Finding(Level.OK, "DMARC", f"_dmarc.{name}: p={policy} ({records[0]})")
    return Finding(Level.FAIL, "DMARC", f'no record at _dmarc.{domain} (TXT "v=DMARC1; p=none")')


def check_ptr(resolver: dns.resolver.Resolver, host: str) -> Finding:
    """A PTR for the relay: receivers refuse a sender whose address has none (5.7.25)."""
    try:
        address = ipaddress.ip_address(socket.gethostbyname(host))
    except OSError as error:
        return Finding(Level.FAIL, "PTR", f"{host}: cannot resolve the relay ({error})")
    if address.is_loopback or address.is_private:
        text = (
            f"{host} ({address}) is on this machine or network: if it delivers to readers "
            "itself, its public address needs a PTR naming it (not checked from here)"
        )
        return Finding(Level.WARN, "PTR", text)
    try:
        names = [str(r).rstrip(".") for r in resolver.resolve_address(str(address))]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.exception.Timeout):
        names = []
    if not names:
        return Finding(Level.WARN, "PTR", f"{address} has no PTR: a direct sender needs one")
    return Finding(Level.OK, "PTR", f"{address}: {', '.join(names)}")


def _aligned(one: str, other: str) -> bool:
    """Relaxed DMARC alignment, approximated: the same domain or one under the other."""
    one, other = one.lower(), other.lower()
    return one == other or one.endswith("." + other) or other.endswith("." + one)


def check_all(resolver: dns.resolver.Resolver, sender: Sender, relay: str | None) -> list[Finding]:
    lookup = txt_lookup(resolver)
    try:
        found = [
            check_spf(lookup, sender.from_domain),
            *check_dkim(lookup, sender),
            check_dmarc(lookup, sender.from_domain),
        ]
    except dns.exception.DNSException as error:
        return [Finding(Level.FAIL, "DNS", f"cannot ask the DNS: {error}")]
    return found + ([check_ptr(resolver, relay)] if relay else [])
