"""Configuration: the shipped file works, every key is documented, mistakes name their key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from publisher import config as config_module
from publisher.config import Config, StorageConfig
from publisher.errors import ConfigError


def keys_of(cls: type, prefix: str = "") -> set[str]:
    found = set()
    for field in dataclasses.fields(cls):
        if field.name == "root":
            continue
        name = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(field.default_factory):
            found |= keys_of(field.default_factory, f"{name}.")  # type: ignore[arg-type]
        else:
            found.add(name)
    return found


def flatten(table: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in table.items():
        if isinstance(value, dict) and value:
            found |= flatten(value, f"{prefix}{key}.")
        else:
            found.add(f"{prefix}{key}")
    return found


def test_shipped_config_is_the_starter_and_equals_the_defaults() -> None:
    shipped = REPO / "config.toml"
    assert shipped.read_bytes() == (REPO / "templates" / "config.toml").read_bytes()
    loaded = config_module.load(shipped)
    # The one difference: the store's SQLite path, taken from each one's folder.
    assert loaded.storage.path == REPO / "publisher.db"
    assert dataclasses.replace(loaded, root=Path("."), storage=Config().storage) == Config()


def test_every_key_is_in_the_shipped_config_with_a_comment() -> None:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    assert flatten(tomllib.loads(text)) == keys_of(Config)
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            above = lines[number - 1]
            key = line.split("=")[0].strip()
            assert above.startswith("#") or key in ("host", "port"), f"no comment above {key}"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[site]\ntitel = 'x'\n", "site.titel", "unknown key"),
        ("[sites]\n", "sites", "unknown key"),
        ("[feeds]\nmax_entries = '50'\n", "feeds.max_entries", "must be an integer"),
        ("[feeds]\nmax_entries = 0\n", "feeds.max_entries", "greater than 0"),
        ("[feeds]\nper_source = 1\n", "feeds.per_source", "true or false"),
        ("[site]\ntimezone = 'Mars/Olympus'\n", "site.timezone", "unknown time zone"),
        ("[site]\nbase_url = 'news.example.org'\n", "site.base_url", "absolute http"),
        (
            "[site]\nbase_url = 'https://新聞.example/'\n",
            "site.base_url",
            "'https://xn--efvv70d.example/'",
        ),
        ("[scripts]\nhant_variant = 'mo'\n", "scripts.hant_variant", "must be tw, hk or generic"),
        ("[scripts]\nprotected_terms = '米哈游'\n", "scripts.protected_terms", "list of strings"),
        ("[storage]\nurl = 'mysql://db/news'\n", "storage.url", "'sqlite:///PATH' or"),
        ("[storage]\nurl = 'postgresql://news:pw@db/news'\n", "storage.url", "password out"),
        ("[storage]\nurl = 'postgresql://db/'\n", "storage.url", "DATABASE"),
        ("[delivery.smtp]\nsecurity = 'ssl'\n", "delivery.smtp.security", "none, starttls or tls"),
        ("[delivery]\nsmtp = 3\n", "delivery.smtp", "must be a table"),
        ("[schedule]\ntime = '7am'\n", "schedule.time", "HH:MM"),
        ("[digest]\nfrom_address = '科技新聞'\n", "digest.from_address", "must hold an address"),
        ("[digest]\nfrom_address = 'a@例子.tw'\n", "digest.from_address", "a@xn--fsqu00a.tw"),
        ("[digest]\nfrom_address = '新聞@x.tw'\n", "digest.from_address", "must be ASCII"),
        ("[digest]\nunsubscribe_mailto = 'a b@x'\n", "digest.unsubscribe_mailto", "bare address"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert caught.value.key == key
    assert words in caught.value.problem
    assert str(caught.value).startswith(f"{path}: {key}: ")


def test_a_file_that_is_not_toml_is_named_with_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[site\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert caught.value.key is None
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "site" / "config.toml"
    path.parent.mkdir()
    path.write_text("[storage]\nurl = 'sqlite:///data/news.db'\n", encoding="utf-8")
    loaded = config_module.load(path)
    assert loaded.storage.path == (tmp_path / "site" / "data" / "news.db").resolve()
    assert loaded.output_dir == (tmp_path / "site" / "feeds").resolve()
    assert loaded.storage.url == f"sqlite:///{(tmp_path / 'site' / 'data' / 'news.db').resolve()}"


def test_a_config_built_in_code_takes_its_store_from_its_root(tmp_path: Path) -> None:
    assert Config(root=tmp_path).storage.path == (tmp_path / "publisher.db").resolve()
    moved = dataclasses.replace(Config(), storage=StorageConfig(url="sqlite:///a/b.db"))
    assert moved.storage.path == Path("a/b.db").resolve()
    elsewhere = StorageConfig(url="postgresql://news@db.example.org/news")
    assert Config(root=tmp_path, storage=elsewhere).storage == elsewhere


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        config_module.load(tmp_path / "missing.toml")
