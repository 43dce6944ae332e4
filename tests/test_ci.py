""".ci/has-postgres: how CI decides to install PostgreSQL (apt-get) before the tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / ".ci" / "has-postgres"


def has_postgres(tmp_path: Path, *bindirs: Path) -> bool:
    """Run the check with a PATH holding no initdb and only `bindirs` to search."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    environment = {
        "PATH": str(empty),  # the script needs no program, only bash's builtins
        "PUBLISHER_PG_BINDIRS": " ".join(map(str, bindirs)) or str(tmp_path / "none"),
    }
    return subprocess.run(["/bin/bash", str(SCRIPT)], env=environment).returncode == 0


def fake_bindir(folder: Path, *programs: str) -> Path:
    folder.mkdir(parents=True)
    for name in programs:
        (folder / name).write_text("#!/bin/sh\n", encoding="utf-8")
        os.chmod(folder / name, 0o755)
    return folder


def test_a_machine_without_postgresql_is_told_to_install_it(tmp_path: Path) -> None:
    assert not has_postgres(tmp_path)
    half = fake_bindir(tmp_path / "15" / "bin", "initdb")  # a client-only install
    assert not has_postgres(tmp_path, half)


def test_debians_versioned_server_folder_counts(tmp_path: Path) -> None:
    server = fake_bindir(tmp_path / "16" / "bin", "initdb", "pg_ctl")
    assert has_postgres(tmp_path, tmp_path / "15" / "bin", server)
