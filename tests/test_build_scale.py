"""What keeps a large archive fast: the store's generation, group-wise durable writes, and
the schema step that brought them. Real store, real files, a real SIGKILL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import itertools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import feedparser
import pytest

from conftest import NOW, make_config, store_day
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.errors import PublisherError
from publisher.files import cache_home
from publisher.mail.archive import build_site
from publisher.records import Rendition
from publisher.site import build as site_build
from publisher.site import feeds, reader, search
from publisher.site.build import build
from publisher.site.outputs import Output, Scope
from publisher.site.paths import Site
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


def test_an_unchanged_store_builds_nothing_but_what_was_deleted(
    config: Config, store: Store, news_path: Path
) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    first = build(config, store, NOW)
    assert build(config, store, NOW).written == 0
    feed = config.output_dir / "zh-Hant" / "atom.xml"
    page = next((config.output_dir / "zh-Hans" / "articles").rglob("*.html"))
    feed.unlink()
    page.unlink()
    again = build(config, store, NOW)
    assert (again.written, again.unchanged) == (2, first.written - 2)
    assert feed.exists() and page.exists()
    assert build(config, store, NOW).written == 0


def test_a_build_after_the_output_folder_was_deleted_writes_it_again(
    config: Config, store: Store, news_path: Path
) -> None:
    ingest_file(config, store, news_path, day=DAY, now=NOW)
    first = build(config, store, NOW)
    before = files_of(config.output_dir)
    shutil.rmtree(config.output_dir)
    again = build(config, store, NOW)
    assert (again.written, again.unchanged) == (first.written, 0)
    assert files_of(config.output_dir) == before


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
    old = SqliteDatabase(config.storage.path)
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
    with Store(config.storage) as store:
        assert store.schema_version == migrations.LATEST
        last = store.last_build()
        assert last is not None and (last.written, last.unchanged, last.generation) == (40, 2, -1)
        assert store.output_fingerprints(["index.html", "rss.xml"]) == {"index.html": "old"}
        ingest_file(config, store, news_path, day=DAY, now=NOW)
        assert build(config, store, NOW).written > 0
        assert build(config, store, NOW).written == 0
    assert (tmp_path / "publisher.db.schema-1.bak").exists()


# A build that SIGKILLs itself while the 20th output is being rendered: earlier commits are in
# place, the files staged since are in temporary files.
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
        yield dataclasses.replace(output, render=die, streamed=None) if n == 20 else output

site_build.GROUP_KEYS = site_build.COMMIT_FILES = 4
settings = config_module.load(Path(sys.argv[1]))
now = dt.datetime(2025, 12, 15, 8, tzinfo=settings.site.zone)
with Store(settings.storage) as store:
    site_build.build(settings, store, now, progress)
"""


def test_parts_the_index_split_anew_no_longer_names_are_removed(
    config: Config, store: Store, tmp_path: Path
) -> None:
    """Past part_count's step the index is written under search/terms/16/: the build then
    removes search/terms/8/, so the folder is what a clean build writes (issue 26.12)."""
    step = 8 * search.TARGET_PER_PART
    ingest_file(config, store, write_day(tmp_path, DAY, step, 0), now=NOW)
    build(config, store, NOW)
    assert (config.output_dir / "search" / "terms" / "8").is_dir()
    later = DAY + dt.timedelta(days=1)
    ingest_file(config, store, write_day(tmp_path, later, 5, step), now=NOW)
    build(config, store, NOW)
    assert sorted(p.name for p in (config.output_dir / "search" / "terms").iterdir()) == ["16"]
    assert files_of(config.output_dir) == made_whole(config, store)


# The same on the worker processes of a whole re-render: the worker rendering the first
# article page kills the build, and dies with it (its files staged, others' committed).
_KILLED_WORKERS = """
import dataclasses, datetime as dt, os, signal, sys
from pathlib import Path
from publisher import config as config_module
from publisher.site import build as site_build
from publisher.store import Store

def die(chosen):
    os.kill(os.getppid(), signal.SIGKILL)
    signal.pause()  # until the build's death ends this worker too

def dying_plan(config, site, index, extra):
    site_build.COMMIT_FILES = 4  # in the worker too: files go in place as they come
    outputs = site_build.plan(config, site, index, extra=extra)
    first = next(n for n, output in enumerate(outputs) if "/articles/" in output.path)
    outputs[first] = dataclasses.replace(outputs[first], render=die)
    return outputs

if __name__ == "__main__":
    site_build.GROUP_KEYS = site_build.COMMIT_FILES = 4
    site_build.PARALLEL_OUTPUTS = 1
    site_build.plan_whole = dying_plan  # the plan each worker makes
    settings = config_module.load(Path(sys.argv[1]))
    settings = dataclasses.replace(settings, build=config_module.BuildConfig(workers=2))
    now = dt.datetime(2025, 12, 15, 8, tzinfo=settings.site.zone)
    with Store(settings.storage) as store:
        site_build.build(settings, store, now)
"""


@pytest.mark.parametrize("killed_build", [_KILLED_BUILD, _KILLED_WORKERS], ids=["one", "workers"])
def test_a_build_killed_midway_leaves_whole_files_and_the_next_build_finishes(
    tmp_path: Path, news_path: Path, killed_build: str
) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "killed").mkdir()
    reference = make_config(tmp_path / "reference")
    with Store(reference.storage) as store:
        ingest_file(reference, store, news_path, day=DAY, now=NOW)
        build(reference, store, NOW)
    complete = files_of(reference.output_dir)

    config = make_config(tmp_path / "killed")
    with Store(config.storage) as store:
        ingest_file(config, store, news_path, day=DAY, now=NOW)
    # A file, so that the workers (fresh interpreters) can import its `dying_plan`.
    script = tmp_path / "killed_build.py"
    script.write_text(killed_build, encoding="utf-8")
    killed = subprocess.run(
        [sys.executable, str(script), str(config.root / "config.toml")],
        cwd=REPO,
        check=False,
    )
    assert killed.returncode == -9
    seen = files_of(config.output_dir)
    assert 0 < len(seen) < len(complete), "the kill did not land mid-build"
    # Every file a reader can see is whole: exactly what a complete build writes.
    assert {name: complete[name] for name in seen} == seen
    with Store(config.storage) as store:
        assert store.last_build() is None  # nothing recorded: the next build redoes it all
        build(config, store, NOW)
    assert files_of(config.output_dir) == complete
    assert not [path for path in config.output_dir.rglob("*.tmp")]


def write_day(folder: Path, day: dt.date, count: int, first: int) -> Path:
    """A batch of `count` articles of our own, numbered from `first` (each text differs)."""
    lines = []
    for n in range(first, first + count):
        lines += [
            f"第{n}則：新廠的晶片開始量產",
            f"第{n}則內文：記憶體價格連續上漲。 (來源{n % 3})",
        ]
    path = folder / f"{day.isoformat()}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def made_whole(config: Config, store: Store) -> dict[str, bytes]:
    """What a full build writes from nothing, the output folder emptied first."""
    shutil.rmtree(config.output_dir)
    build(config, store, NOW, full=True)
    return files_of(config.output_dir)


def rewritten(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {name for name in before if after.get(name) != before[name]}


def test_added_days_rewrite_what_shows_them_and_equal_a_full_build(
    config: Config, store: Store, tmp_path: Path
) -> None:
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    first = files_of(config.output_dir)
    ingest_file(config, store, write_day(tmp_path, DAY + dt.timedelta(days=1), 3, 40), now=NOW)
    build(config, store, NOW)
    newer = files_of(config.output_dir)
    changed = rewritten(first, newer)
    assert not {name for name in changed if "/2025-12-14/" in name}  # the older day's pages
    # Search ids follow the order articles were stored: the first chunk of 32 stays.
    assert "search/zh-Hant/docs/0.json" not in changed
    assert "search/zh-Hant/docs/1.json" in changed
    # An older day, added later, is numbered after them all: the same chunks stay.
    ingest_file(config, store, write_day(tmp_path, dt.date(2025, 11, 20), 2, 43), now=NOW)
    build(config, store, NOW)
    older = files_of(config.output_dir)
    changed = rewritten(newer, older)
    assert "search/zh-Hant/docs/0.json" not in changed
    assert not {name for name in changed if "/2025-12-15/" in name}
    assert "zh-Hant/archive/2025-11.xml" in set(older) - set(newer)
    assert made_whole(config, store) == older


def test_a_month_given_more_articles_makes_only_their_entries_and_equals_a_full_build(
    config: Config, store: Store, tmp_path: Path
) -> None:
    """A month's archive documents (a busy month's hold thousands of entries) and the Atom
    feeds take the new entries, made, among the others, kept as the last build wrote them."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    later = tmp_path / "later"
    later.mkdir()
    ingest_file(config, store, write_day(later, DAY, 3, 40), now=NOW)  # among the old ones
    ingest_file(config, store, write_day(tmp_path, DAY + dt.timedelta(days=1), 2, 43), now=NOW)
    planned: list[Output] = []

    def plan(todo: list[Output]) -> list[Output]:
        planned.extend(todo)
        return todo

    build(config, store, NOW, plan)
    atom = [
        output
        for output in planned
        if re.fullmatch(r"zh-Han[st]/(atom|archive/.*|sources/[^/]*)\.xml", output.path)
    ]
    assert {
        "zh-Hant/archive/2025-12.xml",
        "zh-Hans/archive/2025-12.xml",
        "zh-Hant/atom.xml",
        "zh-Hant/sources/" + Site.source_slug("來源0") + ".xml",
    } <= {output.path for output in atom}
    # The new articles and, for a source's document, the one that names it; the links.
    assert max(len(output.keys) for output in atom) <= 5 + 2
    added = files_of(config.output_dir)
    assert len(feedparser.parse(added["zh-Hant/archive/2025-12.xml"]).entries) == 45
    assert made_whole(config, store) == added


def test_a_build_leaves_the_cycle_collector_as_it_found_it(
    config: Config, store: Store, tmp_path: Path
) -> None:
    """The plan is made with the collector paused and its objects frozen until the render
    is done: a daemon that builds again and again must get both back, whether the build
    made its outputs or failed on a file the last one wrote."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (config.output_dir / "zh-Hans/archive/2025-12.xml").write_bytes(b"edited by hand")
    ingest_file(config, store, write_day(tmp_path, DAY + dt.timedelta(days=1), 2, 40), now=NOW)
    with pytest.raises(PublisherError, match="not as the last build wrote it"):
        build(config, store, NOW)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_document_the_last_build_wrote_gone_is_made_whole_by_the_next(
    config: Config, store: Store, tmp_path: Path
) -> None:
    """A build that would add entries to a document deleted by hand notices it is gone
    (its folder changed) and makes it whole instead."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    month = config.output_dir / "zh-Hans/archive/2025-12.xml"
    month.unlink()
    ingest_file(config, store, write_day(tmp_path, DAY + dt.timedelta(days=1), 2, 40), now=NOW)
    build(config, store, NOW)
    assert len(feedparser.parse(month.read_bytes()).entries) == 42


def test_a_sources_page_not_as_the_last_build_wrote_it_is_named(
    config: Config, store: Store, tmp_path: Path
) -> None:
    """A source's page that a build adds entries to, edited since the last build (an entry
    gone), is named with the command that makes it whole, and nothing is half-written."""
    ingest_file(config, store, write_day(tmp_path, DAY, 12, 0), now=NOW)
    build(config, store, NOW)
    page = config.output_dir / "zh-Hant/sources" / f"{Site.source_slug('來源0')}.html"
    lines = page.read_bytes().splitlines(keepends=True)
    gone = "第3則：".encode()
    edited = b"".join(line for line in lines if gone not in line)
    assert len(edited) < len(page.read_bytes())
    page.write_bytes(edited)
    before = files_of(config.output_dir)
    ingest_file(config, store, write_day(tmp_path, DAY + dt.timedelta(days=1), 3, 12), now=NOW)
    with pytest.raises(PublisherError, match=r"\.html: not as the last build wrote it.*--full"):
        build(config, store, NOW)
    assert files_of(config.output_dir) == before
    build(config, store, NOW, full=True)
    assert gone in page.read_bytes()
    assert files_of(config.output_dir) == made_whole(config, store)


# A source's page: past SOURCE_NEWEST from the start, or going past it on the second day.
# The search index: one segment, or a base and a recent one from the first day on.
@pytest.mark.parametrize(("newest", "recent"), [(5, 4096), (9, 8)])
def test_days_added_within_the_months_plan_only_their_outputs_and_equal_a_full_build(
    config: Config,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    newest: int,
    recent: int,
) -> None:
    """A build that adds articles inside the archive's month range, to sources it has,
    plans the outputs of their days, months and sources alone (at 100,000 articles the rest
    is most of the plan); a source's pages get the new articles' editions alone, their
    other entries kept from the files; what it writes is what a full build writes, and it
    counts every output the site has."""
    monkeypatch.setattr(reader, "SOURCE_NEWEST", newest)  # past it, a page per month
    monkeypatch.setattr(search, "RECENT_SPAN", recent)
    scopes: list[Scope | None] = []
    real = Scope.of

    def of(index: Any, added: Any) -> Scope | None:
        scopes.append(real(index, added))
        return scopes[-1]

    monkeypatch.setattr(Scope, "of", of)
    october, december = dt.date(2025, 10, 5), dt.date(2025, 12, 14)
    ingest_file(config, store, write_day(tmp_path, october, 12, 0), now=NOW)
    ingest_file(config, store, write_day(tmp_path, december, 12, 12), now=NOW)
    build(config, store, NOW)
    steps = [
        (december, 2, 24),  # more on the newest day
        (december + dt.timedelta(days=1), 3, 26),  # the next day
        (october + dt.timedelta(days=3), 2, 29),  # an older day, in an older month
    ]
    planned: list[Output] = []

    def seen(todo: list[Output]) -> Iterable[Output]:
        planned[:] = todo
        return todo

    for n, (day, count, first) in enumerate(steps):
        folder = tmp_path / str(n)
        folder.mkdir()
        ingest_file(config, store, write_day(folder, day, count, first), now=NOW)
        before = files_of(config.output_dir)
        report = build(config, store, NOW, seen)
        scope = scopes[-1]
        assert scope is not None and scope.days == {day}, day
        assert not [output for output in planned if "/2025-10-05/" in output.path]
        # A source's month page that was there gets the new articles' editions alone.
        months = [
            output
            for output in planned
            if re.search(r"/sources/.+/.+\.html$", output.path) and output.path in before
        ]
        assert all(len(output.keys) <= count for output in months), day
        made_again = set(rewritten(before, files_of(config.output_dir)))
        assert {output.path for output in planned} >= made_again, day
        added = files_of(config.output_dir)
        # What it recorded is what a plan of whole outputs gives: nothing is left to do.
        build(config, store, NOW, seen, full=True)
        assert planned == [], day
        shutil.rmtree(config.output_dir)
        whole = build(config, store, NOW, full=True)
        assert files_of(config.output_dir) == added, day
        assert report.written + report.unchanged == whole.written + whole.unchanged, day
    # A month that had no article yet gets its first archive documents, and the months
    # beside them links to them: the whole site is planned, and reads as a full build.
    ingest_file(config, store, write_day(tmp_path, dt.date(2025, 11, 2), 2, 31), now=NOW)
    build(config, store, NOW)
    assert scopes[-1] is None
    added = files_of(config.output_dir)
    assert made_whole(config, store) == added


# A build after one more day that SIGKILLs itself once the search index's first parts are
# in place (the day's postings appended) and a later output is staged in a temporary file.
_KILLED_ADDING = """
import dataclasses, datetime as dt, os, signal, sys
from pathlib import Path
from publisher import config as config_module
from publisher.site import build as site_build
from publisher.store import Store

settings = config_module.load(Path(sys.argv[1]))

def die_when_staged(render):
    def dying(chosen):
        if any(settings.output_dir.rglob("*.tmp")):
            os.kill(os.getpid(), signal.SIGKILL)
        return render(chosen)
    return dying

def progress(todo):
    parts = [output for output in todo if output.path.startswith("search/terms/")]
    start = next(n for n, output in enumerate(todo) if output is parts[3])
    for n, output in enumerate(todo):
        dying = dataclasses.replace(output, render=die_when_staged(output.render))
        yield dying if n >= start else output

site_build.GROUP_KEYS = site_build.COMMIT_FILES = 20
now = dt.datetime(2025, 12, 15, 8, tzinfo=settings.site.zone)
with Store(settings.storage) as store:
    site_build.build(settings, store, now, progress)
"""


def test_a_killed_build_of_a_new_day_is_finished_by_the_next(
    config: Config, store: Store, tmp_path: Path
) -> None:
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    before = files_of(config.output_dir)
    ingest_file(config, store, write_day(tmp_path, DAY + dt.timedelta(days=1), 8, 40), now=NOW)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_ADDING, str(config.root / "config.toml")],
        cwd=REPO,
        check=False,
    )
    assert killed.returncode == -9
    midway = files_of(config.output_dir)
    assert rewritten(before, midway), "the kill did not land mid-build"
    assert [path for path in config.output_dir.rglob("*.tmp")], "nothing was in hand"
    build(config, store, NOW)
    assert not [path for path in config.output_dir.rglob("*.tmp")]
    finished = files_of(config.output_dir)
    assert made_whole(config, store) == finished


def articles_read(
    monkeypatch: pytest.MonkeyPatch, **kinds: Callable[[list[str]], bool]
) -> dict[str, list[int]]:
    """How many articles each load of a group of outputs reads, for each kind of group
    (told by its outputs' paths), GROUP_KEYS being 8."""
    loads: dict[str, list[int]] = {kind: [] for kind in kinds}
    load = site_build._renditions_for

    def counted(store: Store, scripts: Scripts, outputs: Iterable[Output]) -> object:
        outputs = list(outputs)
        found = load(store, scripts, outputs)
        paths = [output.path for output in outputs]
        for kind, among in kinds.items():
            if found and among(paths):
                loads[kind].append(len({key for _, key in found}))
        return found

    monkeypatch.setattr(site_build, "_renditions_for", counted)
    monkeypatch.setattr(site_build, "GROUP_KEYS", 8)
    return loads


def test_outputs_of_many_articles_read_them_a_slice_at_a_time_and_write_the_same_bytes(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search index is made from every article and a source's page lists all of the
    source's: they load them GROUP_KEYS at a time (and the index sets its postings aside on
    disk every SPILL_POSTINGS), so memory does not grow with the archive; the files are
    those of a build that held it all."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    whole = files_of(config.output_dir)
    shutil.rmtree(config.output_dir)
    loads = articles_read(
        monkeypatch,
        index=lambda paths: any(path.startswith("search/terms/") for path in paths),
        sources=lambda paths: all(re.fullmatch(r"zh-Han[st]/sources/\w+\.html", p) for p in paths),
    )
    monkeypatch.setattr(search, "SPILL_POSTINGS", 500)
    build(config, store, NOW, full=True)
    assert loads["index"] == [8] * 5  # the index's parts show all 40 articles
    # 3 sources of 13 or 14 articles, in 2 editions: 2 slices each
    assert sorted(loads["sources"]) == [5] * 4 + [6] * 2 + [8] * 6
    assert files_of(config.output_dir) == whole


def test_the_digests_read_their_articles_a_slice_at_a_time_and_a_week_only_what_it_shows(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weekly digest feed shows 50 weeks, at 100 articles a day some 35,000 articles
    (200 MB held at once by a 100,000-article build): its days and weeks are made as their
    articles come, GROUP_KEYS at a time, into the same bytes. A week's page and entry read
    the stories they show (digest.weekly_per_day a day), not every article of the week."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build_site(config, store, NOW)
    whole = files_of(config.output_dir)
    shutil.rmtree(config.output_dir)
    feeds = r"zh-Han[st]/digests/(weekly/)?(atom\.xml|feed\.json)"
    weeks = r"zh-Han[st]/digests/weekly/\d{4}-W\d\d\.html"
    loads = articles_read(
        monkeypatch,
        feeds=lambda paths: all(re.fullmatch(feeds, path) for path in paths),
        weeks=lambda paths: all(re.fullmatch(weeks, path) for path in paths),
    )
    build_site(config, store, NOW, full=True)
    # In 2 editions, the daily feed's 40 articles 8 at a time, the weekly feed's 5; the
    # JSON Feed file takes the entries its Atom twin made, without reading them again
    assert loads["feeds"] == ([8] * 5 + [5]) * 2
    assert loads["weeks"] == [5] * 2
    assert files_of(config.output_dir) == whole
    assert any("/digests/weekly/" in path for path in whole), "the week has ended"


def test_a_days_digest_page_is_read_with_the_days_pages(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day's digest page shows the day's articles, as the day's page does: it is planned
    beside it, so that the group of outputs that reads them for the day's pages reads them
    for the digest's page too, not once more."""
    for back in range(3):
        batch = write_day(tmp_path, DAY - dt.timedelta(days=back), 5, 5 * back)
        ingest_file(config, store, batch, now=NOW)
    build_site(config, store, NOW)
    whole = files_of(config.output_dir)
    shutil.rmtree(config.output_dir)
    loads: list[set[str]] = []
    load = site_build._renditions_for

    def counted(store: Store, scripts: Scripts, outputs: Iterable[Output]) -> object:
        outputs = list(outputs)
        loads.append({output.path for output in outputs})
        return load(store, scripts, outputs)

    monkeypatch.setattr(site_build, "_renditions_for", counted)
    monkeypatch.setattr(site_build, "GROUP_KEYS", 16)  # a day's pages: 5 + 5 × 1 + 5 + 1
    build_site(config, store, NOW, full=True)
    digest_days = {
        path: path.replace("/digests/", "/days/")
        for paths in loads
        for path in paths
        if re.fullmatch(r"zh-Han[st]/digests/\d{4}-\d\d-\d\d\.html", path)
    }
    assert len(digest_days) == 3 * 2
    for digest, day in digest_days.items():
        assert [day in paths for paths in loads if digest in paths] == [True]
    assert files_of(config.output_dir) == whole


def test_a_months_archive_documents_read_its_articles_once_and_make_each_entry_once(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month's archive document of an edition and its sources' documents of that month
    hold the same entries: the month's articles are read once for all of them (with the
    articles that name the sources) and for the sources' pages of the month, and each entry
    is made once; the bytes stay the same."""
    monkeypatch.setattr(reader, "SOURCE_NEWEST", 2)  # past it, a source has a page per month
    ingest_file(config, store, write_day(tmp_path, DAY - dt.timedelta(days=40), 12, 0), now=NOW)
    ingest_file(config, store, write_day(tmp_path, DAY, 12, 12), now=NOW)
    build(config, store, NOW)
    whole = files_of(config.output_dir)
    shutil.rmtree(config.output_dir)
    month_page = r"zh-Han[st]/sources/[0-9a-f]+/\d{4}-\d\d\.html"
    loads = articles_read(
        monkeypatch,
        archives=lambda paths: all("/archive/" in path for path in paths),
        pages=lambda paths: all(re.fullmatch(month_page, path) for path in paths),
    )
    made: list[tuple[str, str]] = []
    making = [False]
    entry = feeds.article_entry

    def counted(site: Site, rendition: Rendition, *args: Any, **named: Any) -> feeds.FeedEntry:
        if making[0]:
            made.append((rendition.edition.tag, rendition.article.key))
        return entry(site, rendition, *args, **named)

    def archive(output: Output) -> Output:
        def render(chosen: Sequence[Rendition]) -> bytes:
            making[0] = True
            try:
                return output.render(chosen)
            finally:
                making[0] = False

        return dataclasses.replace(output, render=render) if "/archive/" in output.path else output

    plan = site_build._render
    monkeypatch.setattr(feeds, "article_entry", counted)
    monkeypatch.setattr(
        site_build,
        "_render",
        lambda store, scripts, root, todo, batch=None: plan(
            store, scripts, root, map(archive, todo), batch
        ),
    )
    build(config, store, NOW, full=True)
    # Per edition, the older month's 12 articles (they name the 3 sources), then the newer
    # month's 12 and the 3 that name the sources; the sources' documents and pages of the
    # month read nothing more.
    assert loads["archives"] == [12, 15] * 2
    assert loads["pages"] == []
    assert any(re.fullmatch(month_page, path) for path in whole)
    assert sorted(made) == sorted(set(made)) and len(made) == 24 * 2
    assert files_of(config.output_dir) == whole


def test_the_search_documents_of_both_scripts_compare_each_article_s_texts_once(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's documents in zh-Hant and in zh-Hans hold the edits of the same texts,
    each way: the first makes both, so each text is split into clauses once (it was twice);
    each document's edits turn its text into the other's."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    split: list[str] = []
    clauses = search._clause_lengths

    def counted(text: str) -> list[int]:
        split.append(text)
        return clauses(text)

    monkeypatch.setattr(search, "_clause_lengths", counted)
    build(config, store, NOW)
    # Each article's title and body, in both scripts (every text differs)
    assert len(split) == 40 * 2 * 2 and len(set(split)) == len(split)
    folder = config.output_dir / "search"
    for chunk in range(2):  # 32 articles, then 8
        hant, hans = (
            json.loads((folder / f"{tag}/docs/{chunk}.json").read_bytes())
            for tag in ("zh-Hant", "zh-Hans")
        )
        assert len(hant) == len(hans) == (32, 8)[chunk]
        for mine, theirs in ((hant, hans), (hans, hant)):
            for doc, twin in zip(mine, theirs, strict=True):
                assert edited(doc[1], doc[5]) == twin[1] and edited(doc[4], doc[6]) == twin[4]
                assert doc[1] != twin[1] and doc[6]
    # Made without its twin's chunk before it (as a worker may be given it), a chunk
    # computes its edits: the same bytes.
    made = (folder / "zh-Hans/docs/0.json").read_bytes()
    (folder / "zh-Hans/docs/0.json").unlink()
    split.clear()
    assert build(config, store, NOW, full=True).written == 1
    assert (folder / "zh-Hans/docs/0.json").read_bytes() == made
    assert len(split) == 32 * 2 * 2


def test_search_documents_of_three_editions_edit_each_text_into_its_twin_editions(
    tmp_path: Path,
) -> None:
    """Taiwan, Hong Kong and Simplified editions: Hong Kong's documents hold the edits into
    the Simplified text, as Taiwan's do, and the Simplified ones those into Taiwan's."""
    tables = "".join(
        f'[[editions]]\ntag = "{tag}"\nconversion = "{conversion}"\npath = "{path}"\n'
        for tag, conversion, path in (
            ("zh-Hant-TW", "s2twp", "tw"),
            ("zh-Hant-HK", "s2hk", "hk"),
            ("zh-Hans-CN", "tw2sp", "cn"),
        )
    )
    config = make_config(tmp_path, tables)
    with Store(config.storage) as store:
        ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
        # Simplified originals: Taiwan says 軟體 for 软件, Hong Kong 軟件
        simplified = [
            (f"第{n}版办公软件上线", f"用户可免费升级软件，内存用得更少。{n}", "范例日报")
            for n in range(8)
        ]
        store_day(config, store, simplified, DAY)
        build(config, store, NOW)
    folder = config.output_dir / "search"
    for chunk in range(2):  # 32 articles, then 16
        docs = {
            path: json.loads((folder / f"{path}/docs/{chunk}.json").read_bytes())
            for path in ("tw", "hk", "cn")
        }
        for path, twin in (("tw", "cn"), ("hk", "cn"), ("cn", "tw")):
            for doc, other in zip(docs[path], docs[twin], strict=True):
                assert edited(doc[1], doc[5]) == other[1] and edited(doc[4], doc[6]) == other[4]


def edited(text: str, edits: list[list[Any]]) -> str:
    """`text` with a search document's edits (start, end, replacement) made."""
    made, at = "", 0
    for start, end, replacement in edits:
        made, at = made + text[at:start] + replacement, end
    return made + text[at:]


# A first build that SIGKILLs itself once the search index has set postings aside on disk.
_KILLED_INDEXING = """
import datetime as dt, os, signal, sys
from pathlib import Path
from publisher import config as config_module
from publisher.site import build as site_build, search
from publisher.store import Store

spill = search._Postings._spill

def spill_and_die(self, split):
    spill(self, split)
    os.kill(os.getpid(), signal.SIGKILL)

search._Postings._spill = spill_and_die
search.SPILL_POSTINGS = 500
settings = config_module.load(Path(sys.argv[1]))
now = dt.datetime(2025, 12, 15, 8, tzinfo=settings.site.zone)
with Store(settings.storage) as store:
    site_build.build(settings, store, now)
"""


def test_postings_a_killed_build_set_aside_are_swept_by_the_next_build(
    config: Config, store: Store, tmp_path: Path
) -> None:
    """The index's batches wait in a temporary folder of the output folder (up to ~400 MB at
    100,000 articles): a build killed while they wait leaves them to the next build."""
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_INDEXING, str(config.root / "config.toml")],
        cwd=REPO,
        check=False,
    )
    assert killed.returncode == -9
    (left,) = config.output_dir.glob(".search-postings.*.tmp")
    assert [path for path in left.iterdir()]
    build(config, store, NOW)
    assert not left.exists()
    finished = files_of(config.output_dir)
    assert made_whole(config, store) == finished


def postings_of(root: Path) -> dict[str, list[int]]:
    """Every term's article ids, read back from the index's parts of all segments."""
    meta = json.loads((root / "search" / "meta.json").read_bytes())
    folders = [root / "search" / "terms" / str(meta["parts"])]
    if "recent" in meta:
        folders.append(root / "search" / "recent" / str(meta["recent"]["parts"]))
    found: dict[str, list[int]] = {}
    for folder in folders:
        for part in sorted(folder.glob("*.json")):
            for term, gaps in json.loads(part.read_bytes()).items():
                found.setdefault(term, []).extend(itertools.accumulate(gaps))
    return {term: sorted(ids) for term, ids in found.items()}


def test_new_days_go_to_the_recent_segment_and_equal_a_full_build(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past two spans of RECENT_SPAN articles, new articles are indexed in the small recent
    segment: a day added rewrites its parts and none of the base's, until a whole span
    joins the base. Each time the files are those of a full build, and the index holds
    what one undivided index holds."""
    monkeypatch.setattr(search, "RECENT_SPAN", 16)
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)  # 40 articles: a base of 32, 8 recent
    meta = json.loads((config.output_dir / "search" / "meta.json").read_bytes())
    assert meta["recent"] == {"from": 32, "parts": 8}
    before = files_of(config.output_dir)
    for day, count, base_changes in ((1, 3, False), (2, 10, True)):  # 43, then 53 articles
        first = len(store.articles())
        path = write_day(tmp_path, DAY + dt.timedelta(days=day), count, first)
        ingest_file(config, store, path, now=NOW)
        build(config, store, NOW)
        after = files_of(config.output_dir)
        changed = rewritten(before, after)
        assert any(name.startswith("search/recent/8/") for name in changed)
        assert any(name.startswith("search/terms/") for name in changed) is base_changes
        before = after
    segmented = postings_of(config.output_dir)
    assert made_whole(config, store) == before
    monkeypatch.setattr(search, "RECENT_SPAN", 1 << 30)  # one undivided index of the same store
    shutil.rmtree(config.output_dir)
    build(config, store, NOW, full=True)
    assert "recent" not in json.loads((config.output_dir / "search" / "meta.json").read_bytes())
    assert postings_of(config.output_dir) == segmented


def test_the_last_ids_kept_for_a_day_s_build_are_a_cache_it_can_do_without(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that appends to the search index keeps last ids of a part's terms for the
    next (so that it need not read their lists): they are the part's own, and a kept file
    that is damaged, or was made from other bytes (a killed build's, a file edited), is not
    used."""
    monkeypatch.setattr(search, "RECENT_SPAN", 16)
    ingest_file(config, store, write_day(tmp_path, DAY, 40, 0), now=NOW)
    build(config, store, NOW)
    kept = cache_home() / "search-lasts"
    for day in range(1, 5):  # 41 to 44 articles: the recent segment takes them
        first = len(store.articles())
        path = write_day(tmp_path, DAY + dt.timedelta(days=day), 1, first)
        ingest_file(config, store, path, now=NOW)
        build(config, store, NOW)
        segment = config.output_dir / "search" / "recent" / "8"
        cache = kept / f"{_digest(str(segment).encode())}.json"
        held = _kept(cache)
        made = 0
        for part in sorted(segment.glob("*.json")):
            entry = held.get(part.name, {})
            if entry.get("of") == _digest(part.read_bytes()):
                gaps = json.loads(part.read_bytes())
                assert entry["lasts"] == {term: sum(gaps[term]) for term in entry["lasts"]}
                made += 1
        assert made, day
        # Day 2 finds them as they were; day 3, made from other bytes; day 4, damaged.
        if day == 2:
            wrong = {
                name: {"of": _digest(b"{}"), "lasts": dict.fromkeys(entry["lasts"], 0)}
                for name, entry in held.items()
            }
            cache.write_bytes(json.dumps(wrong).encode())
        elif day == 3:
            cache.write_bytes(cache.read_bytes()[:-9])
    assert made_whole(config, store) == files_of(config.output_dir)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kept(cache: Path) -> dict[str, Any]:
    """What a cache file holds; nothing if it is missing or damaged (as the test left it)."""
    try:
        held = json.loads(cache.read_bytes())
    except (OSError, ValueError):
        return {}
    return held if isinstance(held, dict) else {}


def test_a_big_sources_page_lists_the_newest_and_a_page_per_month(
    config: Config, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past SOURCE_NEWEST articles a source's page lists the newest and links a page per
    month (in the other edition too): together they list every article once, and a day
    added rewrites the source's page and its month's, not the older months'."""
    monkeypatch.setattr(reader, "SOURCE_NEWEST", 4)
    days = [dt.date(2025, 10, 30), dt.date(2025, 11, 3), dt.date(2025, 11, 20)]
    for n, day in enumerate(days):
        lines = [f"同一來源第{n}{m}則標題\n第{n}{m}則內文，說明經過。 (甲報)" for m in range(3)]
        (tmp_path / f"{day}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        ingest_file(config, store, tmp_path / f"{day}.txt", now=NOW)
    build(config, store, NOW)
    sources = config.output_dir / "zh-Hant" / "sources"
    (page,) = sources.glob("*.html")
    listed = re.findall(r'<li><a href="[^"]+">(同一來源第\d+則標題)</a>', page.read_text())
    assert listed == [f"同一來源第{n}則標題" for n in (20, 21, 22, 10)]  # the newest 4
    months = re.findall(
        r'<li><a href="([^"]+)">(\d{4}-\d{2})</a> <span class="meta">· (\d+) 篇', page.read_text()
    )
    assert [(month, count) for _, month, count in months] == [("2025-11", "6"), ("2025-10", "3")]
    every = []
    for href, month, _ in months:
        month_page = (page.parent / href).resolve()
        assert month_page == sources / page.stem / f"{month}.html"
        html = month_page.read_text()
        every += re.findall(r"<li><a href=\"[^\"]+\">(同一來源第\d+則標題)</a>", html)
        assert f'href="../{page.name}"' in html  # back to the source's page
        twin = config.output_dir / "zh-Hans" / "sources" / page.stem / f"{month}.html"
        assert "同一来源" in twin.read_text()
    assert sorted(every) == sorted(f"同一來源第{n}{m}則標題" for n in range(3) for m in range(3))
    before = files_of(config.output_dir)
    (tmp_path / "more.txt").write_text("同一來源第30則標題\n第30則內文。 (甲報)\n", "utf-8")
    ingest_file(config, store, tmp_path / "more.txt", day=dt.date(2025, 11, 21), now=NOW)
    build(config, store, NOW)
    changed = rewritten(before, files_of(config.output_dir))
    pages = {name for name in changed if "/sources/" in name and name.endswith(".html")}
    assert pages == {
        f"{script}/sources/{page.stem}{rest}"
        for script in ("zh-Hant", "zh-Hans")
        for rest in (".html", "/2025-11.html")
    }
