"""Download my data, erase me: the CLI commands and what they leave in the store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import DAY, NOW, make_config, store_day
from publisher.cli import main
from publisher.config import Config
from publisher.delivery.engine import send_day
from publisher.mail import preferences, subscribers
from publisher.records import Frequency, Script
from publisher.store import Pool, Store

pytestmark = pytest.mark.engines

SECRET = "a fixed secret for the privacy tests"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        subscribers.add(store, "ann@example.org", Script.HANS, NOW, name="Ann Lee")
        subscribers.add(store, "bo@example.org", Script.HANT, NOW)
        store_day(config, store, [("測試標題一", "這是一段測試內文。", "範例報")])
        send_day(config, store, DAY, NOW)
    return config


def cli(config: Config, *args: str) -> int:
    return main(["--config", str(config.root / "config.toml"), *args])


def test_export_prints_everything_about_one_subscriber(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(config, "subscribers", "export", "Ann@Example.org") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["address"] == "ann@example.org"
    assert data["edition"] == "zh-Hans" and data["name"] == "Ann Lee"
    assert data["signed_up"] == data["confirmed"] == NOW.isoformat()
    assert [(d["date"], d["status"]) for d in data["deliveries"]] == [(DAY.isoformat(), "sent")]


def test_erase_keeps_nothing_but_a_keyed_hash_and_imports_never_bring_it_back(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(config, "subscribers", "erase", "ann@example.org") == 0
    if config.storage.engine == "sqlite":
        # Not in any row, nor in the file's bytes (free pages, journal) once it is closed. A
        # PostgreSQL server's files are its operator's (VACUUM; docs/deploy.md).
        folder = config.storage.path.parent
        raw = b"".join(p.read_bytes() for p in folder.glob("publisher.db*"))
        assert b"ann@example.org" not in raw.lower() and b"Ann Lee" not in raw
        assert b"bo@example.org" in raw, "only the one person is forgotten"

    people = tmp_path / "old-list.csv"
    people.write_text("ANN@example.org,zh-Hant\nnew@example.org,zh-Hant\n", encoding="utf-8")
    capsys.readouterr()
    assert cli(config, "subscribers", "import", str(people)) == 0
    assert "1 added" in capsys.readouterr().out
    with Store(config.storage) as store:
        assert {p.email for p in store.subscribers()} == {"bo@example.org", "new@example.org"}
    assert cli(config, "subscribers", "export", "ann@example.org") == 1


def test_import_never_brings_back_a_bounced_address(config: Config, tmp_path: Path) -> None:
    # The fixture returns subscriber 1's zh-Hant mail; this list's first reader has zh-Hans.
    fixture = Path(__file__).parent / "data" / "bounces" / "postfix-hard.eml"
    bounce = tmp_path / "bounce.eml"
    bounce.write_bytes(fixture.read_bytes().replace(b"zh-Hant.1@", b"zh-Hans.1@"))
    assert cli(config, "bounces", str(bounce)) == 0
    people = tmp_path / "list.csv"
    people.write_text("ann@example.org,zh-Hans\n", encoding="utf-8")
    assert cli(config, "subscribers", "import", str(people)) == 0
    with Store(config.storage) as store:
        statuses = {p.email: p.status for p in store.subscribers()}
    assert statuses["ann@example.org"] == "bounced"


def test_erase_leaves_the_address_in_no_file_while_serve_holds_the_store(
    config: Config, engine: str
) -> None:
    """As in real life: the reader signed up on the form, confirmed, changed their choices
    (each change rewrote their row, leaving its old bytes behind), was mailed; and
    `publisher serve` holds a connection to the store the whole time, so no close of the
    last connection ever folds the write-ahead log away."""
    if engine != "sqlite":
        pytest.skip("a PostgreSQL server's files are its own: see the README's erasure note")
    address = "cleo.erasure@example.org"
    serving = Pool(config.storage)
    try:
        with serving.store() as store:
            expiry = dt.timedelta(days=2)
            person = subscribers.subscribe_pending(store, address, Script.HANT, NOW, expiry)
            stamp = int(person.signed_up.timestamp()) if person.signed_up else 0
            person = subscribers.confirm(store, person.id, stamp, NOW, expiry)
            weekly = preferences.Change(frequency=Frequency.WEEKLY, weekday=2)
            person = preferences.apply(store, person, weekly, DAY)
            preferences.apply(store, person, preferences.Change(resume=True), DAY)
        assert cli(config, "subscribers", "erase", address) == 0
        folder = config.storage.path.parent
        files = [path for path in folder.rglob("*") if path.is_file()]
        assert any(path.name == "publisher.db-wal" for path in files), "serve holds the store"
        holding = [p.name for p in files if address.encode() in p.read_bytes().lower()]
        assert holding == []
        assert any(b"bo@example.org" in path.read_bytes() for path in files)
    finally:
        serving.close()
