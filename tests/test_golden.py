"""Golden files: the whole site built from examples/, the digest's web archive with it, must
match tests/golden/site/ byte for byte.

After an intended change to feeds or pages, regenerate and review the diff:

    PUBLISHER_REGENERATE=1 python -m pytest tests/test_golden.py
    git diff tests/golden/
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import EXAMPLES, NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.mail.archive import build_site
from publisher.store import Store

GOLDEN = Path(__file__).parent / "golden" / "site"


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_site_matches_golden_files(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        for batch in sorted(EXAMPLES.glob("*.txt")):
            assert ingest_file(config, store, batch, now=NOW).error is None
        build_site(config, store, NOW)
    if os.environ.get("PUBLISHER_REGENERATE"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(config.output_dir, GOLDEN)
    built, golden = files(config.output_dir), files(GOLDEN)
    assert sorted(built) == sorted(golden)
    for name, data in built.items():
        assert data.decode() == golden[name].decode(), f"{name} differs from its golden file"
