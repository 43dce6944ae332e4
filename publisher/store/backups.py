"""The copy of a SQLite store kept before an upgrade changes it: publisher.db.schema-N.bak.

It is the only way back to the previous release, so it is made to be trusted: copied under a
temporary name, made durable, checked, then renamed into place. A copy found already there
(an earlier attempt's, whose upgrade failed) is trusted only when it reads whole
(`PRAGMA integrity_check`), is at the version being upgraded from and holds as many rows in
every table as the store; else it is made again. A copy killed halfway leaves only its
temporary name, which the next attempt removes: never a torn file under the backup's name.

The copy is made inside the upgrade's transaction (BEGIN IMMEDIATE holds every other writer
off), through a second connection that reads what is committed: so it is exactly the store
the steps then change, and two processes never copy at once. The copy itself is in rollback
journal mode: one self-contained file, which `sqlite3 publisher.db ".restore COPY"` puts back.

The site's phrase file (`phrases.txt`, publisher.articles.sitephrases) goes with the store
when it sits beside it, as it does by default: the store's accepted reports made its pairs,
so the copy is kept as publisher.db.schema-N.bak.phrases.txt and the undo puts both back.
"""

from __future__ import annotations

import logging
import os
import shlex
import sqlite3
from collections.abc import Callable
from pathlib import Path

from publisher.errors import StorageError
from publisher.files import sync, write_atomic
from publisher.store.database import SqliteDatabase, create_private

log = logging.getLogger(__name__)

_Execute = Callable[[str], sqlite3.Cursor]

_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


# Files beside the store that belong with it (see the module's docstring).
COMPANIONS = ("phrases.txt",)


def backup_path(store: Path, version: int) -> Path:
    return store.with_name(f"{store.name}.schema-{version}.bak")


def companion_path(store: Path, version: int, name: str) -> Path:
    return store.with_name(f"{backup_path(store, version).name}.{name}")


def restore_command(store: Path, version: int) -> str:
    """What puts the store back as it was (with the release that wrote it installed), and
    the files kept with it."""
    steps = [shlex.join(["sqlite3", str(store), f".restore '{backup_path(store, version)}'"])]
    for name in COMPANIONS:
        kept = companion_path(store, version, name)
        if kept.exists():
            steps.append(shlex.join(["cp", str(kept), str(store.with_name(name))]))
    return " && ".join(steps)


def keep(db: SqliteDatabase, version: int) -> Path | None:
    """A trusted copy of the store at `version`, made unless a good one is there already
    (none of an empty file: version 0). Call inside the upgrade's transaction, before any
    step has changed anything."""
    if version == 0:
        return None
    _keep_companions(db.path, version)
    target = backup_path(db.path, version)
    counts = row_counts(db.execute)
    if target.exists():
        problem = problem_with(target, version, counts)
        if problem is None:
            return target
        log.warning("%s: %s; making a new copy", target, problem)
    _copy(db.path, target, version, counts)
    return target


def _keep_companions(store: Path, version: int) -> None:
    """Copy each companion file there is beside the store, atomically (a copy from an
    earlier attempt is made again: the file may have changed since)."""
    for name in COMPANIONS:
        found = store.with_name(name)
        try:
            data = found.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as error:
            message = f"{found}: cannot copy it beside the store: {error.strerror}"
            raise StorageError(message) from None
        write_atomic(companion_path(store, version, name), data)


def row_counts(execute: _Execute) -> dict[str, int]:
    """Rows per table; the table names come from the database itself."""
    tables = [row[0] for row in execute(_TABLES).fetchall()]
    return {table: execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


def problem_with(path: Path, version: int, counts: dict[str, int]) -> str | None:
    """Why the file at `path` is not a whole copy of a store at `version` holding `counts`
    rows per table; None when it is. Read as the bytes are (immutable): a hot journal a
    killed copy left beside it must not be rolled back into an empty database first."""
    try:
        copy = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as error:
        return f"cannot be opened ({error})"
    try:
        checked = copy.execute("PRAGMA integrity_check").fetchall()
        if checked != [("ok",)]:
            return f"damaged ({checked[0][0]})"
        found = copy.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if found is None or found[0] != str(version):
            return f"not at schema version {version}"
        held = row_counts(copy.execute)
    except sqlite3.Error as error:
        return f"not a whole store ({error})"
    finally:
        copy.close()
    if held != counts:
        differ = sorted(t for t in counts.keys() | held.keys() if counts.get(t) != held.get(t))
        return f"holds other rows than the store (tables {', '.join(differ)})"
    return None


def _copy(store: Path, target: Path, version: int, counts: dict[str, int]) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    for leftover in (temporary, temporary.with_name(f"{temporary.name}-journal")):
        leftover.unlink(missing_ok=True)  # a killed copy's: nobody else copies meanwhile
    try:
        create_private(temporary)
        source, copy = sqlite3.connect(store), sqlite3.connect(temporary)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
            source.close()
        sync(temporary)
        problem = problem_with(temporary, version, counts)
        if problem is not None:
            raise StorageError(f"{target}: the copy just made is {problem}")
        os.replace(temporary, target)
        sync(target.parent)
    except sqlite3.Error as error:
        raise StorageError(f"{target}: cannot copy the store: {error}") from None
    except OSError as error:
        raise StorageError(f"{target}: cannot copy the store: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
