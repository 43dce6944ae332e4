"""Typed configuration, read once from config.toml and validated before any work starts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.config_checks import CHECKS, one_line
from publisher.errors import ConfigError
from publisher.files import unreadable
from publisher.settings import (
    CONVERSIONS as CONVERSIONS,
)
from publisher.settings import (
    BouncesConfig as BouncesConfig,
)
from publisher.settings import (
    BuildConfig as BuildConfig,
)
from publisher.settings import (
    DeliveryConfig as DeliveryConfig,
)
from publisher.settings import (
    DigestConfig as DigestConfig,
)
from publisher.settings import (
    DkimConfig as DkimConfig,
)
from publisher.settings import (
    EditionConfig as EditionConfig,
)
from publisher.settings import (
    FeedsConfig as FeedsConfig,
)
from publisher.settings import (
    IngestConfig as IngestConfig,
)
from publisher.settings import (
    RatesConfig as RatesConfig,
)
from publisher.settings import (
    ScheduleConfig as ScheduleConfig,
)
from publisher.settings import (
    ScriptsConfig as ScriptsConfig,
)
from publisher.settings import (
    SiteConfig as SiteConfig,
)
from publisher.settings import (
    SmtpConfig as SmtpConfig,
)
from publisher.settings import (
    StorageConfig as StorageConfig,
)
from publisher.settings import (
    TelegramConfig as TelegramConfig,
)
from publisher.settings import (
    WebConfig as WebConfig,
)

DEFAULT_PATH = Path("config.toml")
# Fields of Config that say where the file was, not what it says.
NOT_KEYS = frozenset({"root", "file"})


_INTO = {"zh-Hant": ("s2twp", "s2hk", "s2tw", "s2t"), "zh-Hans": ("tw2sp", "hk2s", "tw2s", "t2s")}
_TAG = re.compile(r"zh-(Hant|Hans)(?:-([A-Z]{2}|\d{3}))?")


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
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
