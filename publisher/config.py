"""Typed configuration, read once from config.toml and validated before any work starts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tomllib
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.errors import ConfigError
from publisher.files import unreadable
from publisher.records import Script

DEFAULT_PATH = Path("config.toml")


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

    def exists(self) -> bool:
        """Whether there may be a store to read: a SQLite file that is there; a PostgreSQL
        server, which only connecting can tell."""
        return self.engine != "sqlite" or self.path.exists()

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    def __str__(self) -> str:
        return str(self.path) if self.engine == "sqlite" else self.url


@dataclass(frozen=True)
class FeedsConfig:
    max_entries: int = 50
    summary_chars: int = 120
    per_source: bool = True


@dataclass(frozen=True)
class ScriptsConfig:
    hant_variant: str = "tw"
    # Script assumed for text that reads the same in both (digits, Latin, shared characters).
    default: str = "zh-Hant"
    # Terms kept verbatim in both scripts: names OpenCC must not touch.
    protected_terms: tuple[str, ...] = ()
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
_INTO = {"zh-Hant": ("s2twp", "s2hk", "s2tw", "s2t"), "zh-Hans": ("tw2sp", "hk2s", "tw2s", "t2s")}
_TAG = re.compile(r"zh-(Hant|Hans)(?:-([A-Z]{2}|\d{3}))?")


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
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    scripts: ScriptsConfig = field(default_factory=ScriptsConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    bounces: BouncesConfig = field(default_factory=BouncesConfig)
    dkim: DkimConfig = field(default_factory=DkimConfig)
    rates: RatesConfig = field(default_factory=RatesConfig)
    web: WebConfig = field(default_factory=WebConfig)
    # The site's editions ([[editions]] tables); none means today's zh-Hant and zh-Hans.
    editions: tuple[EditionConfig, ...] = ()
    # The folder relative paths in the file are taken from: the config file's own.
    root: Path = Path(".")

    def __post_init__(self) -> None:
        """A SQLite path in storage.url is taken from `root` (the config file's folder):
        made absolute once, here, so that `storage` names the one store wherever it is read."""
        if self.storage.engine == "sqlite":
            url = f"sqlite:///{self.path(str(self.storage.path))}"
            if url != self.storage.url:
                object.__setattr__(self, "storage", dataclasses.replace(self.storage, url=url))

    def now(self) -> dt.datetime:
        """The clock, read at the edges only (commands, the daemon, the web server), in the
        site's zone; everything below takes the time as an argument."""
        return dt.datetime.now(self.site.zone)

    def path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        return (self.root / value).resolve() if value else self.root.resolve()

    @property
    def output_dir(self) -> Path:
        return self.path(self.site.output_dir)


def _check_choice(allowed: tuple[str, ...]) -> typing.Callable[[Any], str | None]:
    named = f"{', '.join(allowed[:-1])} or {allowed[-1]}"

    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be {named}, not {value!r}"

    return check


def _check_zone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name such as 'Asia/Taipei')"
    return None


def _check_base_url(value: str) -> str | None:
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


def _check_time(value: str) -> str | None:
    match = re.fullmatch(r"(\d{2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return "must be a time of day as 'HH:MM', e.g. '07:00'"
    return None


def _check_from(value: str) -> str | None:
    address = parseaddr(value)[1]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "must hold an address, e.g. '科技新聞 <digest@news.example.org>'"
    if not address.isascii():
        # Relays without SMTPUTF8 refuse a non-ASCII sender for every mail of the run.
        ascii_domain = domain.encode("idna").decode("ascii") if local.isascii() else domain
        return f"the address must be ASCII (a domain in its xn-- form: {local}@{ascii_domain})"
    return None


def _check_mailto(value: str) -> str | None:
    if value and ("@" not in value or any(char in value for char in " <>?\r\n")):
        return "must be a bare address such as 'unsubscribe@news.example.org', or \"\""
    return None


def _check_label(value: str) -> str | None:
    if value and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
        return f"must be a DNS name of letters, digits, dots and dashes, not {value!r}"
    return None


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else "must not be negative"


def _not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _per_minute(value: dict[str, int]) -> str | None:
    for domain, limit in value.items():
        if domain != "*" and not re.fullmatch(r"[a-z0-9.-]+\.[a-z0-9-]+", domain):
            return f'{domain!r}: a receiving domain in lower case (qq.com), or "*"'
        if limit <= 0:
            return f"{domain}: mails per minute must be greater than 0 (leave it out: no limit)"
    return None


def _terms(value: tuple[str, ...]) -> str | None:
    return None if all(term.strip() for term in value) else "terms must not be empty"


_CHECKS: dict[str, typing.Callable[[Any], str | None]] = {
    "site.title": _not_blank,
    "site.base_url": _check_base_url,
    "site.timezone": _check_zone,
    "site.output_dir": _not_blank,
    "storage.url": check_storage,
    "storage.pool_size": _positive,
    "feeds.max_entries": _positive,
    "feeds.summary_chars": _positive,
    "ingest.max_title_chars": _positive,
    "ingest.max_body_chars": _positive,
    "scripts.hant_variant": _check_choice(("tw", "hk", "generic")),
    "scripts.default": _check_choice(tuple(script.value for script in Script)),
    "scripts.protected_terms": _terms,
    "digest.from_address": _check_from,
    "digest.unsubscribe_mailto": _check_mailto,
    "digest.cfbl_address": _check_mailto,
    "digest.excerpt_chars": _positive,
    "digest.weekly_per_day": _positive,
    "delivery.backend": _check_choice(("outbox", "smtp")),
    "delivery.lease_seconds": _positive,
    "delivery.per_domain_per_minute": _per_minute,
    "delivery.daily_cap": _not_negative,
    "delivery.smtp.port": _positive,
    "delivery.smtp.security": _check_choice(("none", "starttls", "tls")),
    "delivery.smtp.timeout": _positive,
    "delivery.smtp.rate_per_second": _not_negative,
    "delivery.smtp.max_attempts": _positive,
    "delivery.smtp.max_consecutive_failures": _positive,
    "delivery.smtp.max_wait_seconds": _not_negative,
    "delivery.smtp.max_sender_refusals": _positive,
    "schedule.time": _check_time,
    "schedule.misfire_grace_seconds": _positive,
    "rates.complaint_warn": _not_negative,
    "rates.complaint_stop": _not_negative,
    "rates.bounce_warn": _not_negative,
    "rates.bounce_stop": _not_negative,
    "rates.days": _positive,
    "rates.min_mails": _not_negative,
    "dkim.selector": _check_label,
    "dkim.domain": _check_label,
    "bounces.soft_limit": _positive,
    "bounces.soft_days": _positive,
    "web.confirm_cooldown_seconds": _not_negative,
    "web.subscribe_limit": _positive,
    "web.subscribe_window_seconds": _positive,
    "web.confirm_expiry_days": _positive,
}


def _check_edition(value: EditionConfig) -> tuple[str, str] | None:
    """(key, problem) of one edition, or None."""
    match = _TAG.fullmatch(value.tag)
    if match is None:
        return "tag", f"must be a BCP 47 tag such as zh-Hant-TW or zh-Hans, not {value.tag!r}"
    allowed = _INTO[f"zh-{match[1]}"]
    if value.conversion and value.conversion not in allowed:
        return "conversion", f"{value.tag} is made with one of {', '.join(allowed)}"
    if value.path and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", value.path):
        return "path", "must be one folder name of letters, digits, - and _"
    return None


def _check_editions(path: Path, editions: tuple[EditionConfig, ...]) -> None:
    for number, each in enumerate(editions, start=1):
        problem = _check_edition(each)
        if problem:
            raise ConfigError(path, f"editions[{number}].{problem[0]}", problem[1])
    for name, values in (
        ("tag", [each.tag.lower() for each in editions]),
        ("path", [(each.path or each.tag).lower() for each in editions]),
    ):
        twice = next((v for n, v in enumerate(values) if v in values[:n]), None)
        if twice:
            raise ConfigError(path, f"editions.{name}", f"{twice!r} is listed twice")
    scripts = {each.tag[:7] for each in editions}
    if editions and scripts != {"zh-Hant", "zh-Hans"}:
        raise ConfigError(
            path,
            "editions",
            "list at least one zh-Hant and one zh-Hans edition (originals "
            "come in both scripts, and each needs an edition to be read in)",
        )


# Keys people may write where they are not (or no longer) read, with where they went.
_MOVED = {
    "scripts.editions": "editions are [[editions]] tables at the top level of the file",
    "editions.lang": "an edition's language is its `tag`",
    "editions.script": "an edition's script is named by its `tag` (zh-Hant-…, zh-Hans-…)",
    "editions.opencc": "an edition's OpenCC config is its `conversion`",
}


def _type_name(kind: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    if typing.get_origin(kind) is tuple:
        return "a list of strings"
    return names.get(kind, "a table")


def _convert(path: Path, key: str, kind: Any, value: Any) -> Any:
    """Check one value against its declared type; ints pass where floats are asked."""
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"must be a table [{key}]")
        return _build(path, key, kind, value)
    if typing.get_origin(kind) is tuple and dataclasses.is_dataclass(typing.get_args(kind)[0]):
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise ConfigError(path, key, f"must be [[{key}]] tables")
        item = typing.get_args(kind)[0]
        return tuple(_build(path, f"{key}[{n}]", item, each) for n, each in enumerate(value, 1))
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(path, key, "must be a list of strings")
        return tuple(value)
    if typing.get_origin(kind) is dict:
        if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        ):
            raise ConfigError(path, key, f"must be a table of integers [{key}]")
        return dict(value)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ConfigError(path, key, f"must be {_type_name(kind)}, not {value!r}")
    return value


def _build(path: Path, prefix: str, cls: Any, table: dict[str, Any], **fixed: Any) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "root"}
    for name in table:
        key = f"{prefix}.{name}" if prefix else name
        moved = _MOVED.get(re.sub(r"\[\d+\]", "", key))
        if moved:
            raise ConfigError(path, key, moved)
        if name not in known:
            raise ConfigError(path, key, f"unknown key (known here: {', '.join(sorted(known))})")
    for each in dataclasses.fields(cls):
        if each.name not in table and each.default is each.default_factory is dataclasses.MISSING:
            raise ConfigError(path, f"{prefix}.{each.name}", "is required here")
    values = {}
    for name in known & table.keys():
        key = f"{prefix}.{name}" if prefix else name
        kind = hints[name]
        if isinstance(kind, types.UnionType):
            kind = typing.get_args(kind)[0]
        values[name] = _convert(path, key, kind, table[name])
        problem = _CHECKS.get(key, lambda _: None)(values[name])
        if problem:
            raise ConfigError(path, key, problem)
    return cls(**values, **fixed)


def parse(text: str, path: Path) -> Config:
    """Build a Config from TOML text; `path` names the file in errors and anchors relative paths."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, None, f"not valid TOML: {error}") from None
    config: Config = _build(path, "", Config, table, root=path.parent)
    _check_editions(path, config.editions)
    if config.dkim.sign and not config.dkim.selector:
        raise ConfigError(path, "dkim.selector", "must be set when dkim.sign = true")
    return config


def load(path: Path = DEFAULT_PATH) -> Config:
    """Read and validate a config file; a missing file at the default path means all defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path == DEFAULT_PATH:
            return Config()
        raise ConfigError(path, None, "no such file") from None
    except OSError as error:
        raise ConfigError(path, None, unreadable(error)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(path, None, f"not UTF-8: {error}") from None
    return parse(text, path)
