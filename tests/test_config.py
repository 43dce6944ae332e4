"""Configuration: the shipped file works, every key is documented, mistakes name their key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from publisher import config as config_module
from publisher.cli import main
from publisher.config import Config, StorageConfig
from publisher.errors import ConfigError


def keys_of(cls: type, prefix: str = "") -> set[str]:
    found = set()
    for field in dataclasses.fields(cls):
        if field.name in config_module.NOT_KEYS:
            continue
        name = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(field.default_factory):
            found |= keys_of(field.default_factory, f"{name}.")
        else:
            found.add(name)
    return found


def flatten(table: dict[str, object], prefix: str = "") -> set[str]:
    found = set()
    for key, value in table.items():
        if isinstance(value, dict) and value:  # an empty table ({}) is a value
            found |= flatten(value, f"{prefix}{key}.")
        else:
            found.add(f"{prefix}{key}")
    return found


def test_shipped_config_is_the_starter_and_equals_the_defaults() -> None:
    shipped = REPO / "config.toml"
    assert shipped.read_bytes() == (REPO / "templates" / "config.toml").read_bytes()
    loaded = config_module.load(shipped)
    # The one difference: the store's SQLite path, taken from each one's folder (and the
    # file it was read from).
    assert loaded.storage.path == REPO / "publisher.db"
    defaults = dataclasses.replace(loaded, root=Path("."), storage=Config().storage, file=None)
    assert defaults == Config()


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
        ("[feeds]\nmax_entries = 0\n", "feeds.max_entries", "from 1 to 10,000, not 0"),
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
        ("[digest]\nfrom_address = '科技新聞'\n", "digest.from_address", "must hold one address"),
        ("[digest]\nfrom_address = 'a@例子.tw'\n", "digest.from_address", "a@xn--fsqu00a.tw"),
        ("[digest]\nfrom_address = '新聞@x.tw'\n", "digest.from_address", "must be ASCII"),
        ("[digest]\nunsubscribe_mailto = 'a b@x'\n", "digest.unsubscribe_mailto", "bare address"),
        # Issue 26.8: every value is checked for its range and shape.
        ("[delivery.smtp]\nport = 70000\n", "delivery.smtp.port", "from 1 to 65,535, not 70000"),
        ("[digest]\nfrom_address = 'garbage x@y'\n", "digest.from_address", "one address"),
        ("[digest]\nfrom_address = 'x@y, z@w'\n", "digest.from_address", "one address"),
        ("[digest]\nfrom_address = 'news <x@y'\n", "digest.from_address", "one address"),
        ('[digest]\nfrom_address = "x@y\\nBcc: z@w"\n', "digest.from_address", "U+000A"),
        ("[digest]\nreply_to = 'the editors'\n", "digest.reply_to", "one address"),
        ("[digest]\nunsubscribe_mailto = 'a@b@c'\n", "digest.unsubscribe_mailto", "bare"),
        ("[feeds]\nsummary_chars = 1000000000\n", "feeds.summary_chars", "from 1 to 2,000"),
        ("[digest]\nexcerpt_chars = 50000\n", "digest.excerpt_chars", "from 1 to 1,000"),
        ("[delivery.smtp]\nhost = 'smtp.example.org:587'\n", "delivery.smtp.host", "the port"),
        ("[delivery.smtp]\nhost = ''\n", "delivery.smtp.host", "host name or address"),
        ("[delivery.smtp]\ntimeout = inf\n", "delivery.smtp.timeout", "from 0.1 to 3,600"),
        ("[delivery.smtp]\ntimeout = nan\n", "delivery.smtp.timeout", "not nan"),
        ("[delivery.smtp]\nrate_per_second = 1e-9\n", "delivery.smtp.rate_per_second", "0 or"),
        ("[delivery.smtp]\npassword_env = 'MY PASS'\n", "delivery.smtp.password_env", "name"),
        ("[storage]\npool_size = 100000\n", "storage.pool_size", "from 1 to 100"),
        ("[web]\nconfirm_expiry_days = 1000000000\n", "web.confirm_expiry_days", "3,650"),
        ("[delivery]\nlease_seconds = 0.001\n", "delivery.lease_seconds", "from 1 to 86,400"),
        ('[site]\ntitle = "科技\\n新聞"\n', "site.title", "control character U+000A"),
        ('[scripts]\nprotected_terms = ["A\\tB"]\n', "scripts.protected_terms", "U+0009"),
        ("[digest]\nsecret_file = ''\n", "digest.secret_file", "must not be empty"),
        # Issue 26.6 and 26.7: the server's limits and whom it trusts.
        ("[web]\ntrusted_proxies = ['nginx']\n", "web.trusted_proxies", "'nginx' is not an IP"),
        ("[web]\ntrusted_proxies = '127.0.0.1'\n", "web.trusted_proxies", "list of strings"),
        ("[web]\nheader_timeout_seconds = 0\n", "web.header_timeout_seconds", "from 0.1"),
        ("[web]\nmax_connections = 0\n", "web.max_connections", "from 1 to 100,000"),
        ("[web]\nbacklog = 100000\n", "web.backlog", "from 1 to 65,535"),
        ("[web]\nconfirm_mails_per_hour = 0\n", "web.confirm_mails_per_hour", "from 1"),
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


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[site]\noutput_dir = '.'\n", "holds {root}/publisher.db (storage.url)"),
        ("[site]\noutput_dir = '..'\n", "holds {root}/publisher.db (storage.url)"),
        ("[site]\noutput_dir = '/'\n", "must not be the root folder"),
        ("[storage]\nurl = 'sqlite:///feeds/news.db'\n", "holds {root}/feeds/news.db"),
        ("[digest]\nsecret_file = 'feeds/site.key'\n", "(digest.secret_file)"),
        ("[site]\noutput_dir = 'inbox'\n", "is {root}/inbox (schedule.inbox_dir)"),
        ("[delivery]\noutbox_dir = 'feeds/mail'\n", "(delivery.outbox_dir)"),
        ("[schedule]\nlog_file = 'feeds/run.log'\n", "(schedule.log_file)"),
        (
            "[storage]\nurl = 'postgresql://db/news'\n[site]\noutput_dir = '.'\n",
            "holds {root}/",
        ),
    ],
)
def test_an_output_folder_that_holds_what_is_private_is_refused(
    tmp_path: Path, text: str, words: str
) -> None:
    """The output folder is served and swept: the store, the key, the config, the log and
    the mail and batch folders must not be in it (issue 26.2)."""
    root = tmp_path / "site"
    root.mkdir()
    path = root / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert caught.value.key == "site.output_dir"
    assert words.format(root=root.resolve()) in caught.value.problem
    assert "\n" not in str(caught.value)


def test_a_config_in_a_folder_the_output_folder_holds_is_refused(tmp_path: Path) -> None:
    """The config itself is private: an output folder above it would serve it."""
    path = tmp_path / "site" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        "[site]\noutput_dir = '..'\n[storage]\nurl = 'postgresql://db/news'\n"
        "[digest]\nsecret_file = '/elsewhere/publisher.key'\n"
        "[schedule]\ninbox_dir = '/elsewhere/inbox'\n"
        "[delivery]\noutbox_dir = '/elsewhere/outbox'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"holds .*config.toml \(the config file\)"):
        config_module.load(path)


@pytest.mark.parametrize(
    ("text", "made", "key", "words"),
    [
        ("[digest]\nsecret_file = 'keys'\n", "keys/", "digest.secret_file", "is a folder"),
        ("[schedule]\nlog_file = 'logs'\n", "logs/", "schedule.log_file", "is a folder"),
        ("[storage]\nurl = 'sqlite:///data'\n", "data/", "storage.url", "is a folder"),
        ("[schedule]\ninbox_dir = 'in.txt'\n", "in.txt", "schedule.inbox_dir", "is a file"),
        ("[site]\ntemplates_dir = 'mine'\n", "", "site.templates_dir", "no such folder"),
    ],
)
def test_a_folder_where_a_file_goes_or_a_file_where_a_folder_goes_is_named(
    tmp_path: Path, text: str, made: str, key: str, words: str
) -> None:
    if made.endswith("/"):
        (tmp_path / made).mkdir()
    elif made:
        (tmp_path / made).write_text("x", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert (caught.value.key, words in caught.value.problem) == (key, True)


def test_a_folder_as_the_key_file_is_one_line_at_any_command_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keys").mkdir()
    path = tmp_path / "config.toml"
    path.write_text("[digest]\nsecret_file = 'keys'\n", encoding="utf-8")
    assert main(["--config", str(path), "send", "--date", "2025-12-14"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "digest.secret_file" in error and "is a folder" in error


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


def test_the_storage_says_what_it_can_do(tmp_path: Path) -> None:
    """What the code outside the store asks instead of the engine's name."""
    local = Config(root=tmp_path).storage
    assert (local.file, local.shared) == ((tmp_path / "publisher.db").resolve(), False)
    assert local.exists() is False and str(local) == str(local.file)
    server = StorageConfig(url="postgresql://news@db.example.org/news")
    assert (server.file, server.shared, str(server)) == (None, True, server.url)
    assert server.exists(), "only connecting can tell"
