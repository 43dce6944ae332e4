"""What a third edition costs a build: today's two editions (the baseline) against
Taiwan, Hong Kong and Simplified, on the same articles, in the same run.

    python bench/editions.py            # examples/ and tests/fixtures, median of 5 first builds
    python bench/editions.py --runs 3

Each run is a first build into an empty folder, the added edition's conversions included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher import config as config_module  # noqa: E402
from publisher.articles.ingest import ingest_file  # noqa: E402
from publisher.site.build import build  # noqa: E402
from publisher.store import Store  # noqa: E402

NOW = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
THREE = """
[[editions]]
tag = "zh-Hant-TW"
conversion = "s2twp"
[[editions]]
tag = "zh-Hant-HK"
conversion = "s2hk"
[[editions]]
tag = "zh-Hans-CN"
conversion = "tw2sp"
"""


def first_build(editions: str) -> tuple[float, int]:
    """Seconds of a first build and the files it wrote."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "config.toml").write_text(editions, encoding="utf-8")
        config = config_module.load(root / "config.toml")
        with Store(config.storage) as store:
            for batch in sorted((REPO / "examples").glob("*.txt")):
                ingest_file(config, store, batch, now=NOW)
            news = REPO / "tests" / "fixtures" / "news.txt"
            ingest_file(config, store, news, day=dt.date(2025, 12, 15), now=NOW)
            started = time.perf_counter()
            report = build(config, store, NOW)
            return time.perf_counter() - started, report.written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for name, text in (("two (baseline)", ""), ("three: TW, HK, CN", THREE)):
        runs = [first_build(text) for _ in range(args.runs)]
        results[name] = (statistics.median(s for s, _ in runs), runs[0][1])
    base = results["two (baseline)"][0]
    for name, (seconds, written) in results.items():
        print(f"{name:20} {seconds * 1000:8.0f} ms  {written:5} files  ×{seconds / base:.2f}")


if __name__ == "__main__":
    main()
