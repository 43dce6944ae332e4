"""Script detection against conversion, the news phrase scores and the seed's round trip.

    python bench/conversion.py                 # 10,000 articles, median of 5 runs
    python bench/conversion.py --articles 2000 --runs 3
    python bench/conversion.py --startup       # converter set-up: empty cache, then filled

The articles are made at run time from the phrase lists in tests/data (half Traditional, half
Simplified). Detection is timed beside the conversion ingest makes anyway, and beside the
detection publisher used before (a Python Counter over every character), in the same process.
`--startup` times making the site's two converters in fresh processes, each with an empty
cache folder of config files and then with the one the first process filled.
The seed (../shared/seeds) is read at run time; its line is skipped when it is absent.
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import opencc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher.articles.conversion import Converter, Scripts  # noqa: E402

DATA = REPO / "tests" / "data"
SEEDS = REPO.parent / "shared" / "seeds"


def phrases(config: str) -> list[tuple[str, str]]:
    lines = (DATA / f"news_{config}.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")[:2]) for line in lines if line and line[0] != "#"]  # type: ignore[misc]


def make_articles(count: int, rng: random.Random) -> list[str]:
    pools = [[text for text, _ in phrases("tw2sp")], [text for text, _ in phrases("s2twp")]]
    return [
        "，".join(rng.choices(pools[n % 2], k=rng.randint(40, 120))) + "。" for n in range(count)
    ]


@cache
def _changes(config: str, char: str) -> bool:
    return _ENGINES[config].convert(char) != char


_ENGINES = {"t2s": opencc.OpenCC("t2s"), "s2t": opencc.OpenCC("s2t")}


def counter_detect(text: str) -> bool:
    """The detection publisher used before: a Python Counter, a cached lookup per character."""
    counts = Counter(char for char in text if ord(char) > 0x2E7F)
    traditional = sum(n for char, n in counts.items() if _changes("t2s", char))
    simplified = sum(n for char, n in counts.items() if _changes("s2t", char))
    return traditional > simplified


def median_time(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def detection(articles: list[str], runs: int) -> None:
    scripts = Scripts.for_site()
    scripts.detect("預熱")  # the character sets are computed once per process
    detect = median_time(lambda: [scripts.detect(text) for text in articles], runs)
    convert = median_time(lambda: [scripts.to_hans.convert(text) for text in articles], runs)
    before = median_time(lambda: [counter_detect(text) for text in articles], runs)
    chars = sum(map(len, articles))
    print(f"{len(articles):,} articles, {chars:,} characters, median of {runs} runs")
    print(f"  detection      {detect * 1000:9.1f} ms   {detect / convert:6.1%} of conversion")
    print(f"  conversion     {convert * 1000:9.1f} ms")
    print(f"  old detection  {before * 1000:9.1f} ms   {before / convert:6.1%} (Counter per char)")


def scores() -> None:
    for config in ("tw2sp", "s2twp"):
        rows = phrases(config)
        plain, ours = opencc.OpenCC(config), Converter(config)
        right_plain = sum(plain.convert(text) == want for text, want in rows)
        right_ours = sum(ours.convert(text) == want for text, want in rows)
        print(f"  {config}: plain OpenCC {right_plain}/{len(rows)}, ours {right_ours}/{len(rows)}")


def round_trip() -> None:
    paths = sorted(SEEDS.glob("*.txt"))
    if not paths:
        print(f"  (no seed at {SEEDS}: skipped)")
        return
    seed = paths[0].read_text(encoding="utf-8")
    engines = {
        "plain OpenCC": (opencc.OpenCC("tw2sp"), opencc.OpenCC("s2twp")),
        "ours": (Converter("tw2sp"), Converter("s2twp")),
    }
    for name, (there, back) in engines.items():
        again = back.convert(there.convert(seed))
        matcher = difflib.SequenceMatcher(None, seed, again, autojunk=False)
        same = sum(block.size for block in matcher.get_matching_blocks())
        print(f"  {name}: {same / len(seed):.2%} of the seed's characters come back in place")


_SET_UP = (
    "import time; from publisher.articles.conversion import Scripts;"
    " started = time.perf_counter(); Scripts.for_site();"
    " print(time.perf_counter() - started)"
)


def _set_up_seconds(cache: Path) -> float:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _SET_UP], cwd=REPO, env=environment, capture_output=True, check=True
    )
    return float(done.stdout)


def startup(runs: int) -> None:
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            cold.append(_set_up_seconds(Path(folder)))
            warm.append(_set_up_seconds(Path(folder)))
    first, second = statistics.median(cold), statistics.median(warm)
    print(f"converter set-up, median of {runs} fresh processes:")
    print(f"  empty cache {first:.3f} s, filled cache {second:.3f} s (ratio {second / first:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--startup", action="store_true", help="time the converters' set-up")
    options = parser.parse_args()
    if options.startup:
        startup(options.runs)
        return
    detection(make_articles(options.articles, random.Random(11)), options.runs)
    print("news phrases right (tests/data):")
    scores()
    print("seed round trip, tw2sp then s2twp:")
    round_trip()


if __name__ == "__main__":
    main()
