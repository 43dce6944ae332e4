"""Peak memory of `ingest` against the size of the batch file; print the figures.

    python bench/ingest_memory.py                   # batches of 10, 50 and 200 MB
    python bench/ingest_memory.py --megabytes 206   # the 330,000-article file of issue 7

Each batch is made at run time from our own fixture's sentences (tests/fixtures/news.txt),
then ingested into a new SQLite store by a fresh process that reports its peak RSS. The
baseline, measured the same way in the same run, is a process that loads the converters and
converts one article: what any ingest costs before the file's size counts. Flat memory means
the peak minus that baseline does not grow with the file. The peak of the worker process a
big ingest converts in is printed beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
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
from publisher.records import Script, Text  # noqa: E402
from publisher.store import Store  # noqa: E402
from publisher.text import sentences  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "news.txt"
DAY = dt.date(2025, 3, 1)


def make_batch(path: Path, megabytes: float, rng: random.Random) -> int:
    """A batch of about `megabytes` MB, articles of 8–30 sentences; how many it holds."""
    parsed = batch.parse(FIXTURE.read_bytes(), FIXTURE)
    pool = [s for article in parsed for s in sentences(article.body) if len(s) > 8]
    sources = [article.source for article in parsed]
    target = int(megabytes * 1_000_000)
    written = count = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            title = f"{rng.choice(pool)[:28].strip()} 第{count}則"
            body = "".join(rng.choices(pool, k=rng.randint(8, 30)))
            line = f"{title}\n{body} ({rng.choice(sources)})\n"
            handle.write(line)
            written += len(line.encode())
            count += 1
    return count


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def child(folder: Path, batch_path: Path | None) -> None:
    """In a fresh process: ingest `batch_path` (or only load the converters) and report."""
    settings = config.load(folder / "config.toml")
    started = time.perf_counter()
    if batch_path is None:
        first = batch.parse(FIXTURE.read_bytes(), FIXTURE)[0]
        text = Text(first.title, first.body, first.source)
        Scripts.from_config(settings).converter_to(Script.HANS).convert_text(text)
        added = 0
    else:
        with Store(settings.storage) as store:
            outcome = ingest_file(settings, store, batch_path, day=DAY, now=settings.now())
        if outcome.error is not None:
            raise SystemExit(str(outcome.error))
        added = outcome.added
    seconds = time.perf_counter() - started
    # The conversion worker a big ingest starts has ended by now: its peak is the children's.
    worker = peak_mb(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "added": added, "peak_mb": peak_mb(), "worker": worker}))


def run_child(folder: Path, batch_path: Path | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(folder)]
    if batch_path is not None:
        command.append(str(batch_path))
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def measure(megabytes: float, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix="ingest-memory-") as temp:
        folder = Path(temp)
        (folder / "config.toml").write_text('[storage]\nurl = "sqlite:///publisher.db"\n')
        path = folder / "batch.txt"
        articles = make_batch(path, megabytes, rng)
        size = path.stat().st_size / 1_000_000
        baseline = run_child(folder, None)
        result = run_child(folder, path)
        assert result["added"] == articles, (result, articles)
        print(
            f"{size:8.1f} MB {articles:9,d} articles  ingest {result['seconds']:7.1f} s  "
            f"peak {result['peak_mb']:6.1f} MB  baseline {baseline['peak_mb']:6.1f} MB  "
            f"above baseline {result['peak_mb'] - baseline['peak_mb']:6.1f} MB  "
            f"conversion worker {result['worker']:6.1f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, nargs="+", default=[10, 50, 200])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]) if len(args.child) > 1 else None)
        return
    rng = random.Random(7)
    for megabytes in args.megabytes:
        measure(megabytes, rng)


if __name__ == "__main__":
    main()
