"""What keeps a large archive fast: the store's generation, group-wise durable writes, and
the schema step that brought them. Real store, real files, a real SIGKILL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from conftest import NOW, make_config
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.site.build import build
from publisher.store import Store, migrations
from publisher.store.database import SqliteDatabase

DAY = dt.date(2025, 12, 14)
REPO = Path(__file__).resolve().parents[1]


def files_of(root: Path) -> dict[str, bytes]:
    """The output files a reader can see (a killed write leaves only a hidden .tmp)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".tmp")
    }


def test_an_unchanged_store_builds_nothing_until_full_is_asked(
    config: Config, store: Store, news_path: Path
) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    first = build(config, store, NOW)
    feed = config.output_dir / "zh-Hant" / "atom.xml"
    feed.unlink()
    again = build(config, store, NOW)
    assert (again.written, again.unchanged) == (0, first.written)
    assert not feed.exists()  # trusted, not looked at: the check costs a stat per output
    assert build(config, store, NOW, full=True).written == 1
    assert feed.exists()


def test_a_new_article_moves_the_generation_a_duplicate_does_not(
    config: Config, store: Store, news_path: Path
) -> None:
    before = store.generation()
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    after = store.generation()
    assert after == before + 1
    ingest_file(config, store, news_path, day=DAY, now=NOW)  # all eight already stored
    assert store.generation() == after


def test_a_store_at_version_1_upgrades_keeping_its_rows(tmp_path: Path, news_path: Path) -> None:
    config = make_config(tmp_path)
    old = SqliteDatabase(config.database.path)
    with old.transaction():
        for statement in migrations.STEPS[0].statements("sqlite"):
            old.execute(statement)
        old.execute("INSERT INTO meta (name, value) VALUES ('schema_version', '1')")
        old.execute(
            "INSERT INTO builds (finished, written, unchanged, seconds)"
            " VALUES ('2025-12-13T08:00:00+08:00', 40, 2, 1.5)"
        )
        old.execute("INSERT INTO outputs (path, fingerprint) VALUES ('index.html', 'old')")
    old.close()
    with Store(config.database) as store:
        assert store.schema_version == migrations.LATEST
        last = store.last_build()
        assert last is not None and (last.written, last.unchanged, last.generation) == (40, 2, -1)
        assert store.output_fingerprints() == {"index.html": "old"}
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        assert build(config, store, NOW).written > 0
        assert build(config, store, NOW).written == 0
    assert (tmp_path / "publisher.db.schema-1.bak").exists()


# A build that SIGKILLs itself while the 20th output is being rendered: earlier groups are in
# place, the group in hand is staged in temporary files.
_KILLED_BUILD = """
import dataclasses, datetime as dt, os, signal, sys
from pathlib import Path
from publisher import config as config_module
from publisher.site import build as site_build
from publisher.store import Store

def die(chosen):
    os.kill(os.getpid(), signal.SIGKILL)

def progress(todo):
    for n, output in enumerate(todo):
        yield dataclasses.replace(output, render=die) if n == 20 else output

site_build.GROUP_KEYS = 4
settings = config_module.load(Path(sys.argv[1]))
now = dt.datetime(2025, 12, 15, 8, tzinfo=settings.site.zone)
with Store(settings.database) as store:
    site_build.build(settings, store, now, progress)
"""


def test_a_build_killed_midway_leaves_whole_files_and_the_next_build_finishes(
    tmp_path: Path, news_path: Path
) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "killed").mkdir()
    reference = make_config(tmp_path / "reference")
    with Store(reference.database) as store:
        ingest_file(reference, store, news_path, day=DAY, now=NOW)
        build(reference, store, NOW)
    complete = files_of(reference.output_dir)

    config = make_config(tmp_path / "killed")
    with Store(config.database) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, str(config.root / "config.toml")],
        cwd=REPO,
        check=False,
    )
    assert killed.returncode == -9
    seen = files_of(config.output_dir)
    assert 0 < len(seen) < len(complete), "the kill did not land mid-build"
    # Every file a reader can see is whole: exactly what a complete build writes.
    assert {name: complete[name] for name in seen} == seen
    with Store(config.database) as store:
        assert store.last_build() is None  # nothing recorded: the next build redoes it all
        build(config, store, NOW)
    assert files_of(config.output_dir) == complete
