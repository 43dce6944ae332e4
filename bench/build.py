"""Ingest and build a synthetic archive made from the seed's sentences; print the figures.

    python bench/build.py                          # 10,000 articles, 100 a day
    python bench/build.py --articles 10000,100000  # both sizes and the growth between them
    python bench/build.py --articles 100000 --kept /tmp/a100k   # "add a day" on a kept archive
    python bench/build.py --ingest-only            # ingest of 10,000 beside its baseline, median
    python bench/build.py --ingest-only --tree ../old  # and the whole command beside that
                                                   # checkout's (e.g. an older release)
    python bench/build.py --profile                # each phase's share of a whole build
    python bench/build.py --tree /tmp/main-base --articles 10000,100000 --runs 3
        # whole re-render (build --full, output emptied) beside that checkout's, in turns

With --kept DIR, the archive is built once into DIR (and kept as DIR.first); each later
run puts DIR back as DIR.first left it (same path: the output folder is part of the build's
settings), ingests the extra day of 8 and builds it in a fresh process, median of --runs:
once with the search index's last ids kept (a day after a day), once without.
The outputs are put back as hard links: a build replaces each file it writes by rename, so
DIR.first keeps the old ones; the store, changed in place, is copied.

The archive is generated at run time from ../shared/seeds (nothing of the seed is stored).
Each timing is set beside a baseline measured in the same process: for ingest, parsing the
files and converting their text with OpenCC alone (the work ingest cannot avoid); for the
no-change rebuild, listing the store's articles and stat()ing every output file (what a
build that looks at its outputs cannot avoid). Each build runs in a fresh process that
reports its own peak RSS; times are those inside build(), without interpreter start-up.
--ingest-only also prints the share of the ingest spent in script detection, timed inside it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher import config  # noqa: E402
from publisher.articles import batch  # noqa: E402
from publisher.articles.conversion import Scripts  # noqa: E402
from publisher.articles.ingest import ingest_file, ingest_files  # noqa: E402
from publisher.files import FileBatch, cache_home  # noqa: E402
from publisher.site import build as site_build  # noqa: E402
from publisher.site import search  # noqa: E402
from publisher.site.build import build  # noqa: E402
from publisher.store import Store  # noqa: E402
from publisher.text import sentences  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"


def make_batches(folder: Path, articles: int, per_day: int, rng: random.Random) -> list[Path]:
    seed = next(iter(sorted(SEEDS.glob("*.txt"))))
    parsed = batch.parse(seed.read_bytes(), seed)
    pool = [s for article in parsed for s in sentences(article.body) if len(s) > 8]
    sources = [article.source for article in parsed]
    start = dt.date(2025, 1, 1)
    paths = []
    for day_number in range((articles + per_day - 1) // per_day):
        lines = []
        for n in range(min(per_day, articles - day_number * per_day)):
            title = f"{rng.choice(pool)[:28].strip()} 第{day_number * per_day + n}則"
            body = "".join(rng.choices(pool, k=rng.randint(8, 30)))
            lines += [title, f"{body} ({rng.choice(sources)})"]
        path = folder / f"{start + dt.timedelta(days=day_number)}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def baseline_ingest(paths: list[Path], scripts: Scripts) -> None:
    for path in paths:
        for item in batch.parse(path.read_bytes(), path):
            scripts.to_hans.convert(f"{item.title}\n{item.body}")


def baseline_rebuild(store: Store, output: Path) -> None:
    store.article_index()
    for path in output.rglob("*"):
        path.stat()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(config_path: Path, job: str, runs: int) -> None:
    """One build in a fresh process, so its peak RSS is the build's alone; prints JSON."""
    settings = config.load(config_path)
    now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
    with Store(settings.storage) as store:
        if job == "build":
            report = build(settings, store, now)
            figures = {"seconds": report.seconds, "written": report.written}
        else:  # a no-change rebuild, beside listing and stat()ing every output
            again = [build(settings, store, now).seconds for _ in range(runs)]
            stat = [
                timed(lambda: baseline_rebuild(store, settings.output_dir)) for _ in range(runs)
            ]
            figures = {"seconds": statistics.median(again), "baseline": statistics.median(stat)}
    print(json.dumps({**figures, "rss": peak_rss_mb()}))


def in_child(
    config_path: Path, job: str, runs: int = 1, cache: Path | None = None
) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", job, "--runs", str(runs), str(config_path)]
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)} if cache else None
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def one_size(folder: Path, articles: int, per_day: int, runs: int) -> dict[str, float]:
    """Ingest, first build, no-change rebuild, one more day: figures for one archive size."""
    folder.mkdir()
    config_path = folder / "config.toml"
    config_path.write_text("", encoding="utf-8")
    settings = config.load(config_path)
    paths = make_batches(folder, articles + per_day, per_day, random.Random(1))
    extra = paths.pop()  # the day added after the first build
    if len(paths) * per_day > articles:  # keep exactly `articles` before the extra day
        paths = paths[: articles // per_day]
    now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
    figures: dict[str, float] = {}
    sample = paths[: 10_000 // per_day]  # ingest is timed on the first 10,000 articles
    figures["ingest_base"] = timed(lambda: baseline_ingest(sample, Scripts.from_config(settings)))
    with Store(settings.storage) as store:
        figures["ingest"] = timed(lambda: [*ingest_files(settings, store, sample, now=now)])
        [*ingest_files(settings, store, paths[len(sample) :], now=now)]
    first = in_child(config_path, "build")
    figures.update(first_s=first["seconds"], first_rss=first["rss"], files=first["written"])
    again = in_child(config_path, "rebuild", runs)
    figures.update(again_s=again["seconds"], again_base=again["baseline"])
    extra_day = [*batch.parse(extra.read_bytes(), extra)][:8]
    lines = [line for item in extra_day for line in (item.title, f"{item.body} ({item.source})")]
    extra.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store(settings.storage) as store:
        ingest_file(settings, store, extra, now=now)
    day = in_child(config_path, "build")
    figures.update(day_s=day["seconds"], day_written=day["written"])
    return figures


ROWS = (
    ("ingest of 10,000 (s)", "ingest", "ingest_base", "parse+convert"),
    ("first build (s)", "first_s", "", ""),
    ("first build peak RSS (MB)", "first_rss", "", ""),
    ("files written", "files", "", ""),
    ("no-change rebuild (s)", "again_s", "again_base", "list+stat"),
    ("one more day of 8: build (s)", "day_s", "", ""),
    ("one more day: files written", "day_written", "", ""),
)


def report(sizes: list[int], results: list[dict[str, float]]) -> None:
    head = "".join(f"{size:>14,}" for size in sizes)
    growth = f"{'growth':>10}" if len(sizes) > 1 else ""
    print(f"{'articles':32}{head}{growth}   baseline (same run)")
    for label, key, base, base_name in ROWS:
        cells = "".join(f"{r[key]:14.2f}" for r in results)
        if len(results) > 1:
            cells += f"{results[-1][key] / max(results[0][key], 1e-9):9.1f}x"
        if base:
            cells += "   " + ", ".join(
                f"{base_name} {r[base]:.2f} (ratio {r[key] / r[base]:.2f})" for r in results
            )
        print(f"{label:32}{cells}")


def prepare(folder: Path, articles: int, per_day: int) -> None:
    """Ingest and build an archive into `folder`, the extra day kept aside; copy it to
    `folder`.first."""
    folder.mkdir(parents=True)
    config_path = folder / "config.toml"
    config_path.write_text("", encoding="utf-8")
    settings = config.load(config_path)
    days = folder / "days"
    days.mkdir()
    paths = make_batches(days, articles + per_day, per_day, random.Random(1))
    extra = paths.pop()
    parsed = [*batch.parse(extra.read_bytes(), extra)][:8]
    lines = [line for item in parsed for line in (item.title, f"{item.body} ({item.source})")]
    (folder / f"extra-{extra.name}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    extra.unlink()
    now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
    with Store(settings.storage) as store:
        [*ingest_files(settings, store, paths, now=now)]
    print("first build:", in_child(config_path, "build"))
    put_back(folder, folder.with_name(folder.name + ".first"))


def put_back(source: Path, target: Path) -> None:
    """`target` as `source` is: outputs hard-linked (6 GB at 100k), the rest copied."""
    if target.exists():
        shutil.rmtree(target)
    output = config.load(source / "config.toml").output_dir.name

    def link_outputs(file: str, into: str) -> object:
        if Path(file).relative_to(source).parts[0] == output:
            os.link(file, into)
            return into
        return shutil.copy2(file, into)

    shutil.copytree(source, target, symlinks=True, copy_function=link_outputs)
    # The copied store is durable before the build, as a store in use is: else the build's
    # one syncfs writes out the copy's hundreds of megabytes and is timed for it.
    os.sync()


def add_a_day(folder: Path, articles: int, per_day: int, runs: int) -> None:
    """Each run builds the day twice, from the same archive: with the last ids of the
    search index's terms kept, as every day after another finds them, and with none kept,
    as the first day after the index was made whole does (the kept archive's case)."""
    if not folder.exists():
        prepare(folder, articles, per_day)
    first = folder.with_name(folder.name + ".first")
    figures: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for _ in range(runs):
        for kept in (True, False):
            put_back(first, folder)
            settings = config.load(folder / "config.toml")
            now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
            with Store(settings.storage) as store:
                for extra in folder.glob("extra-*.txt"):
                    ingest_file(settings, store, extra, now=now)
            with tempfile.TemporaryDirectory() as cache:
                # The other caches as this user has them (compiled templates, OpenCC's
                # dictionaries), so that both builds are timed as a day's build runs.
                if cache_home().is_dir():
                    ignore = shutil.ignore_patterns("search-lasts")
                    shutil.copytree(cache_home(), Path(cache) / "publisher", ignore=ignore)
                if kept:
                    keep_last_ids(settings.output_dir / "search", Path(cache))
                figures[kept].append(in_child(folder / "config.toml", "build", cache=Path(cache)))
    for kept, label in ((True, "last ids kept"), (False, "none kept")):
        seconds = statistics.median(figure["seconds"] for figure in figures[kept])
        written = statistics.median(figure["written"] for figure in figures[kept])
        each = " ".join(f"{figure['seconds']:.2f}" for figure in figures[kept])
        print(
            f"one more day of 8 at {articles:,}, {label}: build {seconds:.2f} s, "
            f"{written:.0f} files written; each run (s): {each}"
        )


def keep_last_ids(index: Path, cache: Path) -> None:
    """Fill the cache folder `cache` as days of adding builds fill it: the last id of every
    term of each part of the segment a day adds to (the days before kept those of the terms
    they added to, which the often-used terms, those of long lists, are)."""
    meta = json.loads((index / "meta.json").read_bytes())
    segment = index / (
        f"recent/{meta['recent']['parts']}" if "recent" in meta else f"terms/{meta['parts']}"
    )
    parts = sorted(segment.glob("*.json"))
    with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": str(cache)}):  # as the child's
        lasts = search._Lasts.kept(segment, len(parts))
    assert lasts is not None
    for part in parts:
        written = part.read_bytes()
        lasts.keep(part, written, {term: sum(gaps) for term, gaps in json.loads(written).items()})


def ingest_once(per_day: int) -> tuple[float, float, float]:
    """Seconds to ingest 10,000 articles into a new store, to parse and convert them, and
    spent in script detection during the ingest."""
    detecting = [0.0]
    detect = Scripts.detect

    def timed_detect(scripts: Scripts, text: str) -> object:
        started = time.perf_counter()
        try:
            return detect(scripts, text)
        finally:
            detecting[0] += time.perf_counter() - started

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "config.toml").write_text("", encoding="utf-8")
        settings = config.load(folder / "config.toml")
        paths = make_batches(folder, 10_000, per_day, random.Random(1))
        now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
        base = timed(lambda: baseline_ingest(paths, Scripts.from_config(settings)))
        with Store(settings.storage) as store, mock.patch.object(Scripts, "detect", timed_detect):
            # As `publisher ingest FILE…` does: the files' outcomes, committed in groups.
            seconds = timed(lambda: [*ingest_files(settings, store, paths, now=now)])
    return seconds, base, detecting[0]


def ingest_only(runs: int, per_day: int) -> None:
    figures = [ingest_once(per_day) for _ in range(runs)]
    seconds = statistics.median(each[0] for each in figures)
    base = statistics.median(each[1] for each in figures)
    ratio = statistics.median(each[0] / each[1] for each in figures)
    share = statistics.median(each[2] / each[0] for each in figures)
    print(f"ingest of 10,000: {seconds:.2f} s, parse+convert alone {base:.2f} s,", end=" ")
    print(f"ratio {ratio:.2f}; script detection {share:.1%} of the ingest (median of {runs})")


def ingest_command(code: Path, paths: list[str]) -> float:
    """Seconds of `publisher ingest` of `paths` by the checkout `code`: the whole command,
    in a fresh process with a new store."""
    with tempfile.TemporaryDirectory() as work:
        command = [sys.executable, "-m", "publisher", "ingest", *paths]
        # PYTHONPATH comes before the installed (editable) publisher.
        environment = {**os.environ, "PYTHONPATH": str(code)}
        return timed(
            lambda: subprocess.run(
                command, cwd=work, env=environment, check=True, capture_output=True
            )
        )


def ingest_beside(tree: Path, runs: int, per_day: int) -> None:
    """`publisher ingest` of the same 10,000 articles by the checkout `tree` and by this
    one, in turns. The ratio carries a figure measured on another machine over to this one."""
    with tempfile.TemporaryDirectory() as name:
        paths = [str(path) for path in make_batches(Path(name), 10_000, per_day, random.Random(1))]
        seconds: dict[Path, list[float]] = {tree: [], REPO: []}
        for _ in range(runs):
            for code, each in seconds.items():
                each.append(ingest_command(code, paths))
    before, now = (statistics.median(seconds[code]) for code in (tree, REPO))
    print(f"publisher ingest of 10,000, the whole command: {tree} {before:.2f} s,", end=" ")
    print(f"this checkout {now:.2f} s, ratio {now / before:.2f} (median of {runs})")


# The phases of a build, each the functions whose time is its own (a phase's time leaves
# out the phases it calls: a streamed output reads the store while it renders).
PHASES = {
    "planning": [(site_build, "plan")],
    "reading the store": [
        (site_build, "_renditions_for"),
        (site_build, "convert_missing"),
        (Store, "article_index"),
        (Store, "corrections"),
        (Store, "output_fingerprints"),
    ],
    "rendering": [(site_build, "_render")],
    "fingerprinting": [(site_build._Fingerprints, "__call__")],
    "writing": [(FileBatch, "write_if_changed")],
    "syncing": [(FileBatch, "commit"), (Store, "record_build")],
}


class Phases:
    """Time spent in each phase, exclusive of the phases nested in it."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(PHASES, 0.0)
        self.stack: list[tuple[str, float]] = []

    def timed(self, phase: str, function: Callable[..., object]) -> Callable[..., object]:
        def wrapped(*args: object, **kwargs: object) -> object:
            now = time.perf_counter()
            if self.stack:  # the enclosing phase pauses
                outer, since = self.stack[-1]
                self.spent[outer] += now - since
            self.stack.append((phase, now))
            try:
                return function(*args, **kwargs)
            finally:
                now = time.perf_counter()
                _, since = self.stack.pop()
                self.spent[phase] += now - since
                if self.stack:
                    self.stack[-1] = (self.stack[-1][0], now)

        return wrapped


def profile(articles: int, per_day: int) -> None:
    """A whole build of `articles` in this process, on one core (build.workers = 1): the
    share of each phase; what no phase holds is 'other' (opening, the sweep of the search
    index's old parts)."""
    phases = Phases()
    with tempfile.TemporaryDirectory() as name, contextlib.ExitStack() as patches:
        folder = Path(name)
        settings = archive(folder, articles, per_day)
        if hasattr(settings, "build"):  # a checkout before build.workers has one process
            settings = dataclasses.replace(settings, build=config.BuildConfig(workers=1))
        for phase, places in PHASES.items():
            for owner, attribute in places:
                wrapped = phases.timed(phase, getattr(owner, attribute))
                patches.enter_context(mock.patch.object(owner, attribute, wrapped))
        now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
        with Store(settings.storage) as store:
            started = time.perf_counter()
            report = build(settings, store, now)
            seconds = time.perf_counter() - started
    print(f"whole build of {articles:,} articles on one core: {seconds:.2f} s, ", end="")
    print(f"{report.written:,} files")
    for phase, spent in [*phases.spent.items(), ("other", seconds - sum(phases.spent.values()))]:
        print(f"  {phase:20} {spent:8.2f} s {spent / seconds:7.1%}")


def archive(folder: Path, articles: int, per_day: int) -> config.Config:
    """A store of `articles` generated articles in `folder`, with an empty config.toml."""
    config_path = folder / "config.toml"
    config_path.write_text("", encoding="utf-8")
    settings = config.load(config_path)
    paths = make_batches(folder, articles, per_day, random.Random(1))
    now = dt.datetime(2026, 12, 31, tzinfo=settings.site.zone)
    with Store(settings.storage) as store:
        [*ingest_files(settings, store, paths, now=now)]
    return settings


def rerender_command(code: Path, folder: Path, *, whole: bool = True) -> tuple[float, float]:
    """Seconds of `publisher build --full` by the checkout `code` of the archive in `folder`
    from an empty output folder (every output made anew, as after a change to a template
    every page uses), and the peak RSS in MB of its largest process (workers included).
    Not `whole`: `publisher build` of the folder as it is."""
    if whole:
        shutil.rmtree(folder / "feeds", ignore_errors=True)
        os.sync()  # the removal's writes are not the next build's to pay
    build_command = [sys.executable, "-m", "publisher", "--config", "config.toml", "build"]
    measured = (
        "import resource, subprocess, sys, time; started = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
        "print(time.perf_counter() - started, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    command = [sys.executable, "-c", measured, *build_command, *(["--full"] if whole else [])]
    seconds, rss = run_checkout(code, folder, command).split()
    return float(seconds), float(rss)


def checkout_archive(code: Path, folder: Path, paths: list[Path], text: str) -> None:
    """`folder` made a site of the checkout `code`: its config and its own store of the
    batches in `paths`, ingested by that checkout's `publisher ingest` (an older checkout
    cannot open a store of a newer schema, so each has its own)."""
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "publisher", "--config", "config.toml", "ingest", *paths]
    run_checkout(code, folder, [str(each) for each in command])


def run_checkout(code: Path, folder: Path, command: list[str]) -> str:
    """`command`'s output, run in `folder` with the checkout `code` first on the path; a
    failure says what the command printed."""
    # PYTHONPATH comes before the installed (editable) publisher.
    environment = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{code}: {' '.join(command[:6])} …: {done.stderr.strip()[-2000:]}")
    return done.stdout


def rerender_beside(tree: Path, sizes: list[int], runs: int, per_day: int) -> None:
    """The whole re-render of each size by the checkout `tree` and by this one, in turns,
    each on its own store of the same batches; then, by this one, the build after
    `search.html` is edited in the site's own templates folder."""
    for size in sizes:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            batches = folder / "batches"
            batches.mkdir()
            paths = make_batches(batches, size, per_day, random.Random(1))
            text = '[site]\ntemplates_dir = "own"\n'
            search_page = (REPO / "templates" / "search.html").read_text(encoding="utf-8")
            sites = {tree: folder / "tree", REPO: folder / "this"}
            for code, site in sites.items():
                # Before the ingest: a configured templates_dir must exist.
                (site / "own").mkdir(parents=True)
                (site / "own" / "search.html").write_text(search_page, encoding="utf-8")
                checkout_archive(code, site, paths, text)
            figures: dict[Path, list[tuple[float, float]]] = {tree: [], REPO: []}
            for _ in range(runs):
                for code, each in figures.items():
                    each.append(rerender_command(code, sites[code]))
            edited = search_page.replace("{% block main %}", "{% block main %}<p>搜尋</p>", 1)
            (sites[REPO] / "own" / "search.html").write_text(edited, encoding="utf-8")
            search_edit, _ = rerender_command(REPO, sites[REPO], whole=False)
        before, now = (statistics.median(s for s, _ in figures[code]) for code in (tree, REPO))
        rss = {code: max(r for _, r in figures[code]) for code in figures}
        print(
            f"whole re-render of {size:,} (build --full, output folder emptied): {tree} "
            f"{before:.2f} s ({rss[tree]:.0f} MB), this checkout {now:.2f} s "
            f"({rss[REPO]:.0f} MB per process at most), ratio {now / before:.2f} "
            f"(median of {runs}, in turns); then search.html edited: {search_edit:.2f} s, "
            f"{search_edit / now:.2f} of the whole re-render"
        )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument(
        "--articles", default="10000", help="archive sizes, comma-separated (e.g. 10000,100000)"
    )
    options.add_argument("--per-day", type=int, default=100)
    options.add_argument("--runs", type=int, default=5, help="runs of the no-change rebuild")
    options.add_argument("--kept", type=Path, help="time 'add a day' on an archive kept here")
    options.add_argument("--ingest-only", action="store_true", help="time only the ingest")
    options.add_argument(
        "--tree",
        type=Path,
        help="time that checkout's ingest command (with --ingest-only) or whole re-render "
        "(else) beside this one's, in turns",
    )
    options.add_argument(
        "--profile", action="store_true", help="the share of each phase of a whole build"
    )
    options.add_argument("--child", choices=("build", "rebuild"), help=argparse.SUPPRESS)
    options.add_argument("config", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.child:
        child(args.config, args.child, args.runs)
        return
    sizes = [int(each) for each in args.articles.split(",")]
    if args.ingest_only:
        ingest_only(args.runs, args.per_day)
        if args.tree:
            ingest_beside(args.tree.resolve(), args.runs, args.per_day)
        return
    if args.profile:
        profile(sizes[0], args.per_day)
        return
    if args.tree:
        rerender_beside(args.tree.resolve(), sizes, args.runs, args.per_day)
        return
    if args.kept:
        add_a_day(args.kept, sizes[0], args.per_day, args.runs)
        return
    with tempfile.TemporaryDirectory() as folder:
        results = [
            one_size(Path(folder) / str(size), size, args.per_day, args.runs) for size in sizes
        ]
    report(sizes, results)


if __name__ == "__main__":
    main()
