"""The copy an upgrade keeps of a SQLite store (publisher.db.schema-N.bak) can be trusted:
a torn, empty or stale file under its name is replaced by a whole copy, a killed copy never
leaves one, and the command `db upgrade` shows puts the old store back."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from test_migrations import first_release_store, rows_of

from conftest import make_config
from publisher.cli import main
from publisher.store import Store, migrations


def schema_version(path: Path) -> str:
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    db.close()
    return str(found[0])


def torn(good: Path, target: Path) -> None:
    """What a copy killed halfway left: the first pages of the file and a journal beside it
    that SQLite takes as hot (it would roll the file back to the empty one it was)."""
    data = good.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    target.with_name(f"{target.name}-journal").write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7")


@pytest.mark.parametrize("left", ["empty", "torn", "stale"])
def test_a_backup_that_is_not_a_whole_copy_of_the_store_is_made_again(
    tmp_path: Path, left: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path)
    path = config.storage.path
    before = first_release_store(path)
    backup = path.with_name("publisher.db.schema-1.bak")
    if left == "empty":
        backup.touch()
    elif left == "torn":
        whole = tmp_path / "whole.db"
        shutil.copyfile(path, whole)
        torn(whole, backup)
    else:  # a good copy of the store as it was before a row was added
        shutil.copyfile(path, backup)
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM runs WHERE finished IS NULL")
        db.close()
        before = rows_of(path)

    Store(config.storage).close()

    assert rows_of(backup) == before, "the copy holds the store as it was"
    assert schema_version(backup) == "1"
    assert f"{backup}: " in caplog.text and "making a new copy" in caplog.text
    with Store(config.storage) as store:
        assert store.schema_version == migrations.LATEST


def test_a_good_backup_from_an_earlier_attempt_is_kept(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    path = config.storage.path
    first_release_store(path)
    backup = path.with_name("publisher.db.schema-1.bak")
    shutil.copyfile(path, backup)
    made = backup.stat().st_mtime_ns
    Store(config.storage).close()
    assert backup.stat().st_mtime_ns == made


def test_what_a_killed_copy_leaves_is_removed_and_never_taken_for_the_backup(
    tmp_path: Path,
) -> None:
    """A copy killed halfway leaves only its temporary name (and the journal of the copy
    being written), never a file under the backup's own name; the next attempt removes
    them and makes the copy whole."""
    config = make_config(tmp_path)
    path = config.storage.path
    before = first_release_store(path)
    backup = path.with_name("publisher.db.schema-1.bak")
    temporary = backup.with_name(f".{backup.name}.tmp")
    torn(path, temporary)

    Store(config.storage).close()

    assert rows_of(backup) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_db_upgrade_shows_the_command_that_undoes_it_and_that_command_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command is not installed")
    config = make_config(tmp_path)
    path = config.storage.path
    before = first_release_store(path)
    assert main(["--config", str(config.root / "config.toml"), "db", "upgrade"]) == 0
    shown = capsys.readouterr().out
    backup = path.with_name("publisher.db.schema-1.bak")
    assert f"the store as it was is kept in {backup}" in shown
    command = shown.split("to undo: ", 1)[1].split("run: ", 1)[1].strip()

    subprocess.run(command, shell=True, check=True, cwd=tmp_path)

    assert schema_version(path) == "1"
    assert rows_of(path) == before


def test_the_sites_phrase_file_is_kept_with_the_backup_and_put_back_by_the_undo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command is not installed")
    config = make_config(tmp_path)
    path = config.storage.path
    first_release_store(path)
    phrases = tmp_path / "phrases.txt"
    phrases.write_text("吊車\t起重机\n", encoding="utf-8")
    assert main(["--config", str(config.root / "config.toml"), "db", "upgrade"]) == 0
    kept = path.with_name("publisher.db.schema-1.bak.phrases.txt")
    assert kept.read_text(encoding="utf-8") == "吊車\t起重机\n"
    command = capsys.readouterr().out.split("to undo: ", 1)[1].split("run: ", 1)[1].strip()
    phrases.write_text("吊車\t吊车\n", encoding="utf-8")  # an editor's later change

    subprocess.run(command, shell=True, check=True, cwd=tmp_path)

    assert schema_version(path) == "1"
    assert phrases.read_text(encoding="utf-8") == "吊車\t起重机\n"
