"""Ingest and build a synthetic archive made from the seed's sentences; print the figures.

    python bench/build.py                 # 10,000 articles over 100 days
    python bench/build.py --articles 2000 --runs 3

The archive is generated at run time from ../shared/seeds (nothing of the seed is stored).
Each timing is set beside a baseline measured in the same process: for ingest, parsing the
files and converting their text with OpenCC alone (the work ingest cannot avoid); for the
no-change rebuild, listing the store's articles and stat()ing every output file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher import config  # noqa: E402
from publisher.articles import batch  # noqa: E402
from publisher.articles.conversion import Scripts  # noqa: E402
from publisher.articles.ingest import ingest_file  # noqa: E402
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


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def baseline_ingest(paths: list[Path], scripts: Scripts) -> None:
    for path in paths:
        for item in batch.parse(path.read_bytes(), path):
            scripts.to_hans.convert(f"{item.title}\n{item.body}")


def baseline_rebuild(store: Store, output: Path) -> None:
    store.article_index()
    for path in output.rglob("*"):
        path.stat()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--articles", type=int, default=10_000)
    options.add_argument("--per-day", type=int, default=100)
    options.add_argument("--runs", type=int, default=5, help="runs of the no-change rebuild")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "config.toml").write_text("", encoding="utf-8")
        settings = config.load(root / "config.toml")
        paths = make_batches(root, args.articles, args.per_day, random.Random(1))
        size = sum(path.stat().st_size for path in paths) / 1e6
        print(f"archive: {args.articles} articles in {len(paths)} files, {size:.1f} MB")
        now = dt.datetime(2025, 12, 31, tzinfo=settings.site.zone)
        base = timed(lambda: baseline_ingest(paths, Scripts.from_config(settings)))
        with Store(settings.database) as store:
            ingest = timed(lambda: [ingest_file(settings, store, p, now=now) for p in paths])
            print(
                f"ingest:            {ingest:7.2f} s  ({args.articles / ingest:,.0f} articles/s;"
                f" baseline parse+convert {base:.2f} s, ratio {ingest / base:.2f})"
            )
            first = timed(lambda: build(settings, store, now))
            files = sum(1 for p in settings.output_dir.rglob("*") if p.is_file())
            print(f"first build:       {first:7.2f} s  ({files:,} files)")
            again = [timed(lambda: build(settings, store, now)) for _ in range(args.runs)]
            stat = [
                timed(lambda: baseline_rebuild(store, settings.output_dir))
                for _ in range(args.runs)
            ]
            median, base_median = statistics.median(again), statistics.median(stat)
            print(
                f"no-change rebuild: {median:7.2f} s  (median of {args.runs}; baseline "
                f"list+stat {base_median:.2f} s, ratio {median / base_median:.2f})"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory:       {peak:7.0f} MB (max RSS of this process)")


if __name__ == "__main__":
    main()
