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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.config_checks import CHECKS, one_line
from publisher.errors import ConfigError
from publisher.files import unreadable

DEFAULT_PATH = Path("config.toml")
# Fields of Config that say where the file was, not what it says.
NOT_KEYS = frozenset({"root", "file"})


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
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    # The site's editions ([[editions]] tables); none means today's zh-Hant and zh-Hans.
    editions: tuple[EditionConfig, ...] = ()
    # The folder relative paths in the file are taken from: the config file's own.
    root: Path = Path(".")
    # The config file itself, when one was read: private like the store (`private_paths`).
    file: Path | None = None

    def __post_init__(self) -> None:
        """A SQLite path in storage.url is taken from `root` (the config file's folder):
        made absolute once, here, so that `storage` names the one store wherever it is read."""
        if self.storage.file is not None:
            url = f"sqlite:///{self.path(str(self.storage.file))}"
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

    def private_paths(self) -> dict[str, Path]:
        """What the site must never hold or serve, by the key that names it: the store,
        the link-signing key, the config file, the folders of batches and mail, the log."""
        found = {}
        if self.storage.file is not None:
            found["storage.url"] = self.storage.file
        found["digest.secret_file"] = self.path(self.digest.secret_file)
        if self.file is not None:
            found["the config file"] = self.file.resolve()
        for key, value in (
            ("schedule.inbox_dir", self.schedule.inbox_dir),
            ("delivery.outbox_dir", self.delivery.outbox_dir),
            ("bounces.maildir", self.bounces.maildir),
            ("schedule.log_file", self.schedule.log_file),
        ):
            if value:
                found[key] = self.path(value)
        return found


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


def _check_paths(path: Path, config: Config) -> None:
    """Files are not folders and folders not files, where they are there already: a folder
    as digest.secret_file was a traceback at the first `send`."""
    files = {
        "digest.secret_file": config.digest.secret_file,
        "schedule.log_file": config.schedule.log_file,
    }
    folders = {
        "site.output_dir": config.site.output_dir,
        "schedule.inbox_dir": config.schedule.inbox_dir,
        "delivery.outbox_dir": config.delivery.outbox_dir,
        "bounces.maildir": config.bounces.maildir,
    }
    if config.storage.file is not None:
        files["storage.url"] = str(config.storage.file)
    for key, value in files.items():
        if value and config.path(value).is_dir():
            raise ConfigError(path, key, f"{config.path(value)} is a folder, not a file")
    for key, value in folders.items():
        if value and config.path(value).exists() and not config.path(value).is_dir():
            raise ConfigError(path, key, f"{config.path(value)} is a file, not a folder")
    templates = config.site.templates_dir  # read at start-up: it must be there
    if templates and not config.path(templates).is_dir():
        raise ConfigError(path, "site.templates_dir", f"no such folder: {config.path(templates)}")


def _check_output_dir(path: Path, config: Config) -> None:
    """The output folder is served as it is (`publisher serve`, nginx) and swept of a killed
    build's temporaries: it must hold nothing private, so it may not be, or lie above, the
    store, the key, the config or the folders of mail and batches."""
    output = config.output_dir
    if output == Path(output.anchor):
        raise ConfigError(path, "site.output_dir", "must not be the root folder: use e.g. 'feeds'")
    for key, private in config.private_paths().items():
        if private == output or output in private.parents:
            what = f"is {private}" if private == output else f"holds {private}"
            raise ConfigError(
                path,
                "site.output_dir",
                f"{output} {what} ({key}), which would be served with the site: give the site "
                "a folder of its own, e.g. 'feeds'",
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


def _item_problem(kind: Any, item: Any) -> str | None:
    """What is wrong with one value of a table of strings or of integers."""
    if kind is str:
        return None if isinstance(item, str) and item.strip() else f"must be a string, not {item!r}"
    if isinstance(item, int) and not isinstance(item, bool):
        return None
    return f"must be an integer, not {item!r}"


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
        problem = next(filter(None, map(one_line, value)), None)
        if problem:
            raise ConfigError(path, key, problem)
        return tuple(value)
    if typing.get_origin(kind) is dict:
        item_kind = typing.get_args(kind)[1]
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"must be a table [{key}]")
        for name, item in value.items():
            problem = _item_problem(item_kind, item)
            if problem:
                raise ConfigError(path, f'{key}."{name}"', problem)
        return dict(value)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ConfigError(path, key, f"must be {_type_name(kind)}, not {value!r}")
    problem = one_line(value) if kind is str else None
    if problem:
        raise ConfigError(path, key, problem)
    return value


def _build(path: Path, prefix: str, cls: Any, table: dict[str, Any], **fixed: Any) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name not in NOT_KEYS}
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
        problem = CHECKS.get(key, lambda _: None)(values[name])
        if problem:
            raise ConfigError(path, key, problem)
    return cls(**values, **fixed)


def parse(text: str, path: Path) -> Config:
    """Build a Config from TOML text; `path` names the file in errors and anchors relative paths."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, None, f"not valid TOML: {error}") from None
    config: Config = _build(path, "", Config, table, root=path.parent, file=path)
    _check_editions(path, config.editions)
    _check_channels(path, config)
    _check_paths(path, config)
    _check_output_dir(path, config)
    if config.dkim.sign and not config.dkim.selector:
        raise ConfigError(path, "dkim.selector", "must be set when dkim.sign = true")
    return config


def _check_channels(path: Path, config: Config) -> None:
    """Each telegram.channels key names an edition (its tag or path)."""
    tables = config.editions or (EditionConfig("zh-Hant"), EditionConfig("zh-Hans"))
    names = {name.lower() for each in tables for name in (each.tag, each.path or each.tag)}
    for name in config.telegram.channels:
        if name.lower() not in names:
            known = ", ".join(each.tag for each in tables)
            raise ConfigError(path, f'telegram.channels."{name}"', f"names no edition ({known})")


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
