"""The settings of each part of publisher, one frozen record per config.toml table.

A module below the commands (store, articles, site, mail, delivery) takes the records it
reads, never the whole Config: publisher.config reads the file and builds them, once, at
the edge."""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SiteConfig:
    title: str = "科技新聞"
    base_url: str = "http://127.0.0.1:8080/"
    timezone: str = "Asia/Taipei"
    output_dir: str = "feeds"
    # Overrides the templates shipped with publisher; empty means the built-in ones.
    templates_dir: str = ""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"


@dataclass(frozen=True)
class StorageConfig:
    # sqlite:///PATH (relative to config.toml) or postgresql://USER@HOST[:PORT]/DATABASE
    url: str = "sqlite:///publisher.db"
    # PostgreSQL: the password comes from this environment variable, never from the file.
    password_env: str = "PUBLISHER_DATABASE_PASSWORD"
    # PostgreSQL: connections one `publisher serve` keeps open at most.
    pool_size: int = 4

    @property
    def engine(self) -> str:
        return "sqlite" if self.url.startswith("sqlite:") else "postgresql"

    @property
    def path(self) -> Path:
        """The SQLite file (an absolute path in a Config, which resolves it)."""
        return Path(self.url.removeprefix("sqlite:///"))

    # What the rest of publisher asks of a store's kind; which engine it is stays the
    # store's business (publisher.store), so no one else compares engine names.
    @property
    def file(self) -> Path | None:
        """The file the store lives in, to keep private and to resolve from the config's
        folder; None for a store on a database server."""
        return self.path if self.url.startswith("sqlite:") else None

    @property
    def shared(self) -> bool:
        """Whether processes on several machines may work on the store at once (a database
        server): they take turns through the database, not through a file beside it."""
        return self.file is None

    def exists(self) -> bool:
        """Whether there may be a store to read: a file that is there; a database server,
        which only connecting can tell."""
        return self.file is None or self.file.exists()

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    def __str__(self) -> str:
        return self.url if self.file is None else str(self.file)


@dataclass(frozen=True)
class FeedsConfig:
    max_entries: int = 50
    summary_chars: int = 120
    per_source: bool = True
    # WebSub hubs (https URLs): every subscription feed names them, and each build and
    # daily run tells them which feeds changed. Empty: none.
    websub_hubs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScriptsConfig:
    hant_variant: str = "tw"
    # Script assumed for text that reads the same in both (digits, Latin, shared characters).
    default: str = "zh-Hant"
    # Terms kept verbatim in both scripts: names OpenCC must not touch.
    protected_terms: tuple[str, ...] = ()
    # "full-width": converted texts take the edition's quotation marks (「」 or “”) and
    # half-width , : ; ? ! ( ) beside CJK are shown full-width; "as-is": as written.
    punctuation: str = "full-width"
    # The site's own phrase pairs (Traditional<TAB>Simplified), ahead of publisher's; where
    # `publisher conversions accept` writes. Relative to the config file's folder.
    phrases_file: str = "phrases.txt"
    # The note on converted entries, pages and digest items, in the script it is shown in.
    converted_note_hant: str = "由簡體原文自動轉換"
    converted_note_hans: str = "由繁体原文自动转换"


# The Traditional variant of `scripts.hant_variant` -> (OpenCC config to Simplified, from
# Simplified): what the two editions of a site without [[editions]] use.
CONVERSIONS: dict[str, tuple[str, str]] = {
    "tw": ("tw2sp", "s2twp"),
    "hk": ("hk2s", "s2hk"),
    "generic": ("t2s", "s2t"),
}


@dataclass(frozen=True)
class EditionConfig:
    """One [[editions]] table; empty values take defaults from the tag (publisher.editions)."""

    tag: str
    conversion: str = ""  # from the other script; default by scripts.hant_variant
    path: str = ""  # the folder below the site; default the tag
    label: str = ""  # on switchers; default 繁體中文版（香港） and the like


@dataclass(frozen=True)
class DigestConfig:
    from_address: str = "科技新聞 <digest@localhost>"
    reply_to: str = ""
    unsubscribe_mailto: str = "unsubscribe@localhost"
    excerpt_chars: int = 140
    # The weekly digest shows at most this many stories of each day (publisher.mail.weekly).
    weekly_per_day: int = 5
    # Where the HMAC key lives when PUBLISHER_SECRET is not set; created on first use.
    secret_file: str = "publisher.key"
    # RFC 9477: where receivers that take part send complaint reports (ARF); "" = none.
    cfbl_address: str = ""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"
    username: str = ""
    password_env: str = "PUBLISHER_SMTP_PASSWORD"
    timeout: float = 30.0
    rate_per_second: float = 0.0  # 0 means no limit
    max_attempts: int = 5
    max_consecutive_failures: int = 10
    # Seconds one run may spend waiting for the relay (back-off, and attempts that timed
    # out) before it leaves the rest queued: a relay that is down or hangs must not hold
    # the store lock for minutes.
    max_wait_seconds: float = 120.0
    # Refusals in a row that are the sender's problem (5.7.x: DKIM, SPF, DMARC, blocked)
    # before the run stops, leaving the rest queued (publisher.mail.refusals).
    max_sender_refusals: int = 3


@dataclass(frozen=True)
class DeliveryConfig:
    backend: str = "outbox"
    outbox_dir: str = "outbox"
    # PostgreSQL, several senders: how long a sender holds the rows it claimed without
    # renewing; a sender that dies leaves them to the others after this long.
    lease_seconds: float = 120.0
    # Mails per minute at most to a receiving domain ("*": any other); none: no limit.
    per_domain_per_minute: dict[str, int] = field(default_factory=dict)
    # Mails a day at most, all digests together (0: no cap): a new sending domain warms
    # up; the rest stays queued for the next day's run.
    daily_cap: int = 0
    smtp: SmtpConfig = field(default_factory=SmtpConfig)


@dataclass(frozen=True)
class RatesConfig:
    # Complaints (ARF reports) and hard bounces, in percent of a digest day's mail: over a
    # warning level `send` warns, over a stop level it sends nothing new until
    # `send --accept-rates`. Gmail and Yahoo want complaints under 0.3%, better 0.1%.
    complaint_warn: float = 0.1
    complaint_stop: float = 0.3
    bounce_warn: float = 2.0
    bounce_stop: float = 5.0
    # Digest days judged, back from the day sent; a day with fewer mails is not judged.
    days: int = 7
    min_mails: int = 100


@dataclass(frozen=True)
class DkimConfig:
    # Sign each digest mail with DKIM here. Most relays sign for you: turn it on only when
    # yours does not (publisher doctor tells). Needs pip install 'publisher[dkim]'.
    sign: bool = False
    # The selector: the key's record is the TXT at <selector>._domainkey.<domain>. Also
    # what `publisher doctor` checks when the relay signs.
    selector: str = ""
    # The signing domain (d=); "" = the domain of digest.from_address (DMARC alignment).
    domain: str = ""
    # The private key (PEM, RSA 2048), readable by its owner only (mode 0600).
    key_file: str = "dkim.key"


@dataclass(frozen=True)
class IngestConfig:
    # Far beyond any headline or article: past these a line is a mistake (files joined
    # without line breaks) or an attack, and the batch is refused at that line.
    max_title_chars: int = 1000
    max_body_chars: int = 200_000


@dataclass(frozen=True)
class BuildConfig:
    # Processes a whole re-render (a first build, `build --full`, a template or setting
    # every page uses) renders on: 0 is one per core; 1 renders in the build's own process.
    # A build that adds a day stays in one process whatever this says.
    workers: int = 0


@dataclass(frozen=True)
class WebConfig:
    # The subscribe form mails whatever address a stranger types in: at most one
    # confirmation mail per address per cool-down, and so many form posts per client
    # address per window (then 429 with Retry-After). Both are counted in the store, so
    # they hold across several `publisher serve` processes.
    confirm_cooldown_seconds: int = 3600
    subscribe_limit: int = 10
    subscribe_window_seconds: int = 600
    # A confirm link is good for the sign-up it was mailed for, for this many days.
    confirm_expiry_days: int = 7
    # Confirmation mails per hour at most, all clients together: spread over many
    # addresses, the per-client limit alone still lets a botnet mail thousands.
    confirm_mails_per_hour: int = 300
    # Addresses (or networks, "10.0.0.0/8") of the reverse proxies whose X-Forwarded-For
    # names the client. None by default: the connection's own address is the client's.
    trusted_proxies: tuple[str, ...] = ()
    # The server's limits (uvicorn, publisher.web.server): a request's headers must arrive
    # within header_timeout_seconds and its body within body_timeout_seconds of them; an
    # idle kept-alive connection closes after keep_alive_seconds; past max_connections
    # open at once, requests get 503; `backlog` connections may wait to be accepted.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    keep_alive_seconds: int = 5
    max_connections: int = 1000
    backlog: int = 2048
    # The "wrong conversion?" form: so many reports per client address per window (then
    # 429), and at most so many per article a day, counted in the store like the above.
    report_limit: int = 10
    report_window_seconds: int = 600
    reports_per_article_per_day: int = 20


@dataclass(frozen=True)
class ScheduleConfig:
    time: str = "07:00"
    inbox_dir: str = "inbox"
    misfire_grace_seconds: int = 3600
    log_file: str = ""

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.time.split(":")
        return int(hour), int(minute)


@dataclass(frozen=True)
class BouncesConfig:
    # A Maildir the relay delivers returned mail to; each daily run reads its new mail.
    # Empty: not read (run `publisher bounces PATH` yourself).
    maildir: str = ""
    # Envelope sender bounce+<token>@<domain of digest.from_address>: the relay must deliver
    # those addresses to `maildir`.
    verp: bool = False
    # This many temporary (4.x.x) bounces within soft_days days mark a subscriber bounced.
    soft_limit: int = 3
    soft_days: int = 15


@dataclass(frozen=True)
class TelegramConfig:
    # The Bot API's address; a test or a local Bot API server (telegram-bot-api) sets its own.
    api_url: str = "https://api.telegram.org"
    # Edition (its tag or path) → the chat its articles are posted to: "@channel" or the
    # channel's numeric id ("-100…"). The bot must be an administrator of each channel.
    # The bot's token comes from $PUBLISHER_TELEGRAM_TOKEN, never from this file.
    channels: dict[str, str] = field(default_factory=dict)
    # Telegram's limits for bots: some 20 messages a minute to one chat, 30 a second in all.
    per_channel_per_minute: float = 20.0
    per_second: float = 30.0
    timeout: float = 30.0  # seconds to wait for one answer
    # Seconds one run may wait (rate limits, 429s, a Bot API that is down) before it leaves
    # the rest queued for the next run.
    max_wait_seconds: float = 900.0
