"""What a refusal means: one table of SMTP replies and enhanced status codes (RFC 3463),
read the same way at send (the relay's RCPT and DATA replies) and in bounce reports (a
DSN's Status). Pure: a code and a text in, a verdict out.

Who a refusal is about decides what happens, and a wrong guess costs readers for good: a
DKIM outage on our side answers `550 5.7.26` to every Gmail reader, and QQ Mail says
"slow down" with a 5xx. So the class digit alone never marks a reader:

- the address is bad (5.1.x, 5.2.1): bounce it, never mail it again;
- the mailbox is full (5.2.2, and every 4.x.x in a DSN): a soft bounce, counted;
- the sender has a problem (5.7.x, 5.3.x, 5.4.x, …): nobody is marked; the mail waits
  until the operator fixes it, and a send stops after a few in a row;
- the receiver says slow down (4.x.x, 421, the throttles that come as 5xx): defer, and
  back off from that domain.

The first row that matches wins: a text pattern (a provider's own words), then the
enhanced code, longest prefix first, then the basic reply code. README.md shows the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    BAD_ADDRESS = "bad address"  # bounce the reader: never mail them again
    MAILBOX_FULL = "soft bounce"  # count it; suppress after bounces.soft_limit in soft_days
    SENDER = "sender's problem"  # never mark a reader; the mail waits for the operator
    THROTTLE = "slow down"  # defer, backing off from the whole domain
    DEFER = "try again"  # defer this one mail
    FAILED = "refused"  # permanent, about this mail, and no row above says more


@dataclass(frozen=True)
class Rule:
    match: str  # an enhanced-code prefix ("5.7."), a basic code ("421"), or "~text"
    verdict: Verdict
    meaning: str  # what it usually means, for the operator
    source: str  # where the meaning comes from


# Where each meaning comes from, named once.
RFC3463 = "RFC 3463"
RFC5321 = "RFC 5321 4.2"
RFC7372 = "RFC 7372 (5.7.20-5.7.26)"
GMAIL = "Gmail SMTP error reference (support.google.com/a/answer/3726730)"
MICROSOFT = "Microsoft Exchange Online NDR list (learn.microsoft.com, non-delivery reports)"
YAHOO = "Yahoo Sender Hub SMTP error codes (senders.yahooinc.com/smtp-error-codes)"
QQ = "QQ Mail bounce explanations (service.mail.qq.com)"
NETEASE = "NetEase 163/126 bounce codes (help.mail.163.com)"

RULES: tuple[Rule, ...] = (
    # Throttles some providers send as 5xx: retrying later works; failing the row would not.
    Rule("~frequency limited", Verdict.THROTTLE, "QQ Mail: too many mails, slow down", QQ),
    Rule("~TSS04", Verdict.THROTTLE, "Yahoo: deferred for volume or complaints", YAHOO),
    Rule("~MI:STC", Verdict.THROTTLE, "NetEase: the sender's daily count is used up", NETEASE),
    Rule("~RP:TRC", Verdict.THROTTLE, "NetEase: the daily recipients are used up", NETEASE),
    Rule("~RP:QRC", Verdict.THROTTLE, "NetEase: too many recipients in a short time", NETEASE),
    Rule(
        "~receiving mail at a rate",
        Verdict.THROTTLE,
        "Gmail: this reader gets too much mail just now",
        GMAIL,
    ),
    Rule("~DT:SPM", Verdict.SENDER, "NetEase: the mail was judged spam (content)", NETEASE),
    # Microsoft answers a recipient it does not know with 5.4.1 (directory based blocking).
    Rule(
        "~Recipient address rejected: Access denied",
        Verdict.BAD_ADDRESS,
        "Microsoft: no such recipient",
        MICROSOFT,
    ),
    Rule("5.7.26", Verdict.SENDER, "DMARC: the mail failed SPF and DKIM alignment", GMAIL),
    Rule("5.7.25", Verdict.SENDER, "the sending IP has no PTR (reverse DNS) record", GMAIL),
    Rule("5.7.27", Verdict.SENDER, "SPF: the sender's domain does not allow this relay", GMAIL),
    Rule("5.7.515", Verdict.SENDER, "SPF, DKIM and DMARC are not all in place", MICROSOFT),
    Rule("5.7.20", Verdict.SENDER, "DKIM: no valid signature", RFC7372),
    Rule("5.7.21", Verdict.SENDER, "DKIM: no acceptable signature", RFC7372),
    Rule("5.7.22", Verdict.SENDER, "DKIM: no valid author-matched signature", RFC7372),
    Rule("5.7.23", Verdict.SENDER, "SPF validation failed", RFC7372),
    Rule("5.7.24", Verdict.SENDER, "SPF validation error (the record is broken)", RFC7372),
    Rule("5.7.1", Verdict.SENDER, "refused by policy: a blocklist, reputation, or spam", RFC3463),
    Rule("5.7.", Verdict.SENDER, "security or policy: authentication, DMARC, blocked", RFC3463),
    Rule("5.1.7", Verdict.SENDER, "the sender's address is malformed", RFC3463),
    Rule("5.1.8", Verdict.SENDER, "the sender's domain is refused (no MX/A, or bad)", RFC3463),
    Rule("5.1.", Verdict.BAD_ADDRESS, "no such mailbox or domain", RFC3463),
    Rule("5.2.1", Verdict.BAD_ADDRESS, "the mailbox is disabled", RFC3463),
    Rule("5.2.2", Verdict.MAILBOX_FULL, "the mailbox is full", RFC3463),
    Rule("5.2.3", Verdict.SENDER, "the mail is larger than the receiver takes", RFC3463),
    Rule("5.3.", Verdict.SENDER, "the receiving mail system has a problem with us", RFC3463),
    Rule("5.4.", Verdict.SENDER, "network or routing: the relay cannot reach them", RFC3463),
    Rule("5.5.", Verdict.SENDER, "a protocol error between our relay and theirs", RFC3463),
    Rule("5.6.", Verdict.SENDER, "the mail's content or encoding is refused", RFC3463),
    Rule("4.2.2", Verdict.DEFER, "the mailbox is full for now", RFC3463),
    Rule("4.7.", Verdict.THROTTLE, "policy: rate limited, or a reputation check", RFC3463),
    Rule("4.", Verdict.DEFER, "a temporary failure", RFC3463),
    Rule("5.", Verdict.FAILED, "a permanent failure of another kind", RFC3463),
    # Replies without an enhanced code: RFC 5321's basic codes.
    Rule("421", Verdict.THROTTLE, "the server is closing the connection", RFC5321),
    Rule("450", Verdict.DEFER, "the mailbox is unavailable for now", RFC5321),
    Rule("451", Verdict.DEFER, "a local error at the receiver", RFC5321),
    Rule("452", Verdict.DEFER, "insufficient storage, or too many recipients", RFC5321),
    Rule("550", Verdict.BAD_ADDRESS, "no such mailbox", RFC5321),
    Rule("551", Verdict.BAD_ADDRESS, "the user is not local", RFC5321),
    Rule("552", Verdict.DEFER, "too many recipients (to be treated as 452)", RFC5321),
    Rule("553", Verdict.BAD_ADDRESS, "the mailbox name is not allowed", RFC5321),
    Rule("554", Verdict.SENDER, "the transaction failed (usually policy or a block)", RFC5321),
)

_CODE = re.compile(r"^\s*(?:\d{3}[ -])?\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
# Longest code prefix first, after the text rules: "5.7.26" before "5.7." before "5.".
_BY_CODE = sorted((r for r in RULES if not r.match.startswith("~")), key=lambda r: -len(r.match))
_BY_TEXT = [(r.match[1:].lower(), r) for r in RULES if r.match.startswith("~")]


@dataclass(frozen=True)
class Refusal:
    """One reply or DSN status, read."""

    code: str  # the enhanced status code (5.7.26), else the basic one (550)
    verdict: Verdict
    meaning: str

    @property
    def permanent(self) -> bool:
        return self.verdict not in {Verdict.THROTTLE, Verdict.DEFER}

    def explain(self) -> str:
        return f"{self.code}: {self.meaning} ({self.verdict})"


def enhanced_code(text: str) -> str:
    """The RFC 3463 code a reply or Status holds ("5.1.1"), or ""."""
    found = _CODE.match(text)
    return ".".join(found.groups()) if found else ""


def classify(text: str, basic: int | None = None) -> Refusal:
    """What a reply (`basic` its three-digit code, `text` the rest) or a DSN Status with its
    diagnostic means. A reply of class 2 or 3 is no refusal; the caller does not ask."""
    lowered = text.lower()
    for words, rule in _BY_TEXT:
        if words in lowered:
            return Refusal(enhanced_code(text) or str(basic or ""), rule.verdict, rule.meaning)
    code = enhanced_code(text)
    if code.endswith(".0.0") and basic is not None:
        code = ""  # "other or undefined": the basic code says as much, and more precisely
    # A 4xx reply that carries a 5.x.x code (or the reverse) is read by its basic code's
    # class: the enhanced code then only says what kind of failure it is.
    if code and basic is not None and str(basic)[0] != code[0]:
        code = f"{str(basic)[0]}{code[1:]}"
    for rule in _BY_CODE:
        if code and _fits(rule.match, code):
            return Refusal(code, rule.verdict, rule.meaning)
        if not code and basic is not None and rule.match == str(basic):
            return Refusal(str(basic), rule.verdict, rule.meaning)
    permanent = basic is not None and basic >= 500
    return Refusal(
        code or str(basic or "?"),
        Verdict.FAILED if permanent else Verdict.DEFER,
        "a permanent failure" if permanent else "a temporary failure",
    )


def of_reply(reply: str) -> Refusal | None:
    """A stored reply ("550 5.7.26 Unauthenticated …") read again; None for a note that is
    no server reply (a lost connection, the operator's word)."""
    if not (reply[:3].isdigit() and reply[:1] in "45"):
        return None
    return classify(reply[3:].lstrip(" -"), int(reply[:3]))


def _fits(match: str, code: str) -> bool:
    """ "5.7." is a prefix of 5.7.26; "5.7.1" is one code, not a prefix of 5.7.15."""
    return code.startswith(match) if match.endswith(".") else code == match


def table() -> list[tuple[str, str, str, str]]:
    """The rules as rows (what matches, verdict, meaning, source): the README's table."""
    return [
        (rule.match.replace("~", "text: "), str(rule.verdict), rule.meaning, rule.source)
        for rule in RULES
    ]
