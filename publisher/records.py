"""The records publisher passes between its stages. Pure data: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


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
class Edition:
    """One of the site's editions (config `[[editions]]`): a script in one region's words,
    with its own feeds, pages and digest. (A `Rendition` is one article as its readers see it.)

    Today's sites have two, zh-Hant and zh-Hans; a site may list more (zh-Hant-TW, zh-Hant-HK,
    zh-Hans-CN), each derived from the original with its own OpenCC config."""

    tag: str  # BCP 47: lang, xml:lang, hreflang; the name subscribers' choice is stored by
    script: Script
    conversion: str  # the OpenCC config from the other script
    path: str  # the folder below the site: URLs and Atom ids
    name: str  # in its own script: 繁體中文, 繁體中文（香港）; feeds' link titles, forms
    label: str  # on switchers: 繁體中文版, 繁體中文版（香港）

    def __str__(self) -> str:
        return self.path

    def __fspath__(self) -> str:
        """The edition is a folder of the output: `output_dir / edition`."""
        return self.path


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
class Rendition:
    """An article as the readers of one edition see it."""

    article: Article
    edition: Edition
    text: Text
    # When a correction (a new protected term, a fixed dictionary entry, the punctuation
    # setting) last changed this text; None for a text never corrected.
    corrected: dt.datetime | None = None

    @property
    def script(self) -> Script:
        return self.edition.script

    @property
    def converted(self) -> bool:
        """Whether this text was converted from the original in the other script."""
        return self.script is not self.article.script

    @property
    def updated(self) -> dt.datetime:
        """What readers see as the last change: the publication, or a later correction."""
        latest = max(self.article.published, self.corrected or self.article.published)
        return latest.astimezone(self.article.published.tzinfo)  # in the site's offset


class ReportStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ConversionReport:
    """A reader's report of a wrongly converted phrase in one edition of an article. It
    holds what the form asks and nothing about who sent it."""

    id: int
    article: str  # the article's key
    edition: str  # the edition's tag
    phrase: str  # as the edition showed it
    suggestion: str  # the reader's right form, or ""
    reported: dt.datetime
    status: ReportStatus = ReportStatus.OPEN
    accepted_as: str = ""


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # the address is dead or its owner complained: never mailed again


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


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
    # The reader's own choices (publisher.mail.preferences), all honoured by sending; the
    # sources they opted out of are kept apart (Store.opted_out_sources).
    frequency: Frequency = Frequency.DAILY
    weekday: int | None = None  # 0 = Monday, with weekly
    paused_until: dt.date | None = None  # mail resumes with this day's digest
    link_generation: int = 0  # preferences links carry it; raising it revokes them
    # The web sign-up now pending or last confirmed: its confirm link carries this time, so
    # a link from an earlier sign-up confirms nothing. Whole seconds, each later than the last.
    signed_up: dt.datetime | None = None
    confirm_mailed: dt.datetime | None = None  # the last confirmation mail, for the cool-down
    # The edition chosen, by its tag; "" (and an edition since removed): the script's first.
    edition: str = ""


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


class DigestKind(StrEnum):
    """Which digest a delivery row is of: the day's, or the week's (keyed by its Monday)."""

    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One line of a subscriber's delivery history."""

    day: dt.date
    script: Script
    status: str
    attempts: int
    message_id: str
    updated: dt.datetime
    kind: DigestKind = DigestKind.DAILY


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    SKIPPED = "skipped"  # final: the reader's sources published nothing in the digest


class PostStatus(StrEnum):
    """A Telegram post's states: a mail's (DeliveryStatus), but for skipped."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class Post:
    """One article to post to one chat, as the store keeps it."""

    id: int
    day: dt.date
    position: int
    article: str  # its key
    edition: str  # the edition's tag
    chat: str
    status: PostStatus
    attempts: int = 0
    message_id: str = ""  # Telegram's, once sent
    error: str = ""


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


class ArticleRef(NamedTuple):
    """Enough of an article to plan a build: its key, date and source, and the store
    generation that stored it (the search index numbers articles in that order). A named
    tuple, not a frozen dataclass: a build reads one per article, and a tuple is made in
    half the time (0.15 against 0.35 s at 100,000)."""

    key: str
    day: dt.date
    source: str
    generation: int = 0


@dataclass(frozen=True, slots=True)
class Conversion:
    """One stored conversion of an article: `made` when it was stored (None before schema
    version 5), `corrected` when its text last differed from the conversion before it."""

    key: str
    signature: str
    text: Text
    made: dt.datetime | None
    corrected: dt.datetime | None


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
    edition: str = ""  # the edition's tag they chose; "" for their script's first


@dataclass(frozen=True, slots=True)
class OutcomeTally:
    """What became of one digest day's mail to the readers of one script and edition."""

    day: dt.date
    script: Script
    edition: str  # the tag they chose; "" for their script's first
    sent: int
    failed: int  # refused at send for good
    hard: int  # hard bounces that came back about the mail sent
    complaints: int


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery row a sender has claimed (queued → sending, under its lease)."""

    delivery_id: int
    subscriber_id: int


@dataclass(frozen=True, slots=True)
class UncertainDelivery:
    """A mail whose fate cannot be known: look its Message-ID up in the relay's log. Or,
    with `failed`, one the server refused for good, which the operator may send again
    once they fixed the cause."""

    email: str
    message_id: str
    reason: str
    failed: bool = False


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """One build; `generation` is the store's article generation it showed (-1 for builds
    older than schema version 3) and `settings` the fingerprint of the settings and templates."""

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


@dataclass(frozen=True, slots=True)
class QueuedConfirmation:
    """A confirmation mail a sender claimed; `queued` (seconds since the epoch) is when the
    reader asked for it, and the mail's Date."""

    id: int
    subscriber_id: int
    queued: float
    attempts: int


@dataclass(frozen=True, slots=True)
class ConfirmationBacklog:
    """The confirmation mails not sent yet, and the latest reason why."""

    waiting: int  # queued or being sent
    oldest: float | None  # when the oldest of them was asked for
    last_error: str  # of the waiting ones, the most recent attempt's ('' before any)
    uncertain: int  # handed over when the connection broke: never sent again on their own
