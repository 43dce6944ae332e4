"""The records publisher passes between its stages. Pure data: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Script(StrEnum):
    HANT = "zh-Hant"
    HANS = "zh-Hans"

    @property
    def twin(self) -> Script:
        return Script.HANS if self is Script.HANT else Script.HANT

    @classmethod
    def named(cls, value: str) -> Script:
        """The script a person typed, in any case (zh-hans too); ValueError in their words."""
        for script in cls:
            if value.strip().lower() == script.value.lower():
                return script
        raise ValueError(f"{value!r}: must be {SCRIPT_CHOICES}")


SCRIPTS: tuple[Script, ...] = (Script.HANT, Script.HANS)
SCRIPT_CHOICES = "zh-Hant or zh-Hans"


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One article as read from a batch file, before it has a date or an identity."""

    title: str
    body: str
    source: str
    line: int  # the title's line number in its file, for error messages


@dataclass(frozen=True, slots=True)
class Text:
    """The user-visible text of an article in one script."""

    title: str
    body: str
    source: str


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article: the original text verbatim plus its identity and date."""

    key: str  # sha256 hex of the normalised original title + body
    batch_date: dt.date
    position: int  # order within its batch, from 0
    published: dt.datetime  # tz-aware, site time zone
    script: Script  # the script the article was written in
    original: Text


@dataclass(frozen=True, slots=True)
class Edition:
    """An article as readers of one script see it."""

    article: Article
    script: Script
    text: Text


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # the address is dead or its owner complained: never mailed again


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    script: Script
    status: SubscriberStatus
    name: str
    created: dt.datetime
    confirmed: dt.datetime | None
    unsubscribed: dt.datetime | None
    bounced: dt.datetime | None = None


class BounceKind(StrEnum):
    HARD = "hard"  # RFC 3463 class 5: permanent
    SOFT = "soft"  # class 4: temporary, counted
    COMPLAINT = "complaint"  # an ARF report: the reader marked the mail as spam


@dataclass(frozen=True, slots=True)
class BounceRecord:
    """A bounce or complaint as the store keeps it, per subscriber."""

    report: str  # the report's own identity, so reading it twice counts it once
    kind: BounceKind
    status: str  # the RFC 3463 code, e.g. 5.1.1; "" for a complaint
    message_id: str  # of our mail it is about
    received: dt.datetime


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One line of a subscriber's delivery history."""

    day: dt.date
    script: Script
    status: str
    attempts: int
    message_id: str
    updated: dt.datetime


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class Letter:
    """One finished mail, ready for a transport."""

    recipient: str  # envelope RCPT TO
    sender: str  # envelope MAIL FROM (bare address)
    message_id: str  # with angle brackets
    data: bytes  # the whole RFC 5322 message, CRLF line ends


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one delivery ended in this run, to be recorded."""

    delivery_id: int
    status: DeliveryStatus
    error: str = ""


# -- what the store reports -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """Enough of an article to plan a build: its key, date and source."""

    key: str
    day: dt.date
    source: str


@dataclass(frozen=True, slots=True)
class Tally:
    """How many articles one date (YYYY-MM-DD) or one source has."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class SubscriberTally:
    status: SubscriberStatus
    script: Script
    count: int


@dataclass(frozen=True, slots=True)
class UncertainDelivery:
    """A mail whose fate cannot be known: look its Message-ID up in the relay's log."""

    email: str
    message_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """One build; `generation` is the store's article generation it showed (-1 for builds
    older than schema 2) and `settings` the fingerprint of the settings and templates."""

    finished: dt.datetime
    written: int
    unchanged: int
    seconds: float
    generation: int = -1
    settings: str = ""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One day's daily run; `finished` is None while the day is unfinished."""

    day: dt.date
    started: dt.datetime
    finished: dt.datetime | None
    summary: str
