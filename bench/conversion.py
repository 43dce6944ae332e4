"""Script detection against conversion, the news phrase scores and the seed's round trip.

    python bench/conversion.py                 # 10,000 articles, median of 5 runs
    python bench/conversion.py --articles 2000 --runs 3
    python bench/conversion.py --scores        # the phrase scores and the round trip only
    python bench/conversion.py --startup       # converter set-up: empty cache, then filled

The scores: per phrase set (tests/data/news_*.tsv of issue 10; tests/data/phrases: general and
tech news, each a tuned and a held-out part) and direction, the share of rows plain OpenCC
gets right, then ours. The articles are made at run time from issue 10's phrase lists (half
Traditional, half Simplified). Detection is timed beside the conversion ingest makes anyway,
and beside the detection publisher used before (a Python Counter over every character), in
the same process.
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
sys.path.insert(0, str(REPO / "tests"))

import phrasesets  # noqa: E402

from publisher.articles.conversion import Converter, Scripts  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
CONFIGS = phrasesets.CONFIGS


def make_articles(count: int, rng: random.Random) -> list[str]:
    pools = [[text for text, _, _ in phrasesets.news(config)] for config in ("tw2sp", "s2twp")]
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


def _phrase_sets() -> list[tuple[str, dict[str, list[tuple[str, str]]]]]:
    """(name, rows per config) of every set, issue 10's first."""
    issue_10 = {config: [row[:2] for row in phrasesets.news(config)] for config in CONFIGS}
    ours = [
        (f"{topic}, {part}", {config: phrasesets.rows(topic, part, config) for config in CONFIGS})
        for topic in phrasesets.TOPICS
        for part in phrasesets.PARTS
    ]
    return [("issue 10 news", issue_10), *ours]


def scores() -> None:
    plain = {config: opencc.OpenCC(config).convert for config in CONFIGS}
    ours = {config: Converter(config).convert for config in CONFIGS}
    print(f"  {'set':18}" + "".join(f"{config + ': plain → ours':>27}" for config in CONFIGS))
    for name, rows in _phrase_sets():
        cells = [
            f"{phrasesets.share_right(plain[config], rows[config]):7.1%} →"
            f"{phrasesets.share_right(ours[config], rows[config]):7.1%} ({len(rows[config])})"
            for config in CONFIGS
        ]
        print(f"  {name:18}" + "".join(f"{cell:>27}" for cell in cells))


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
    parser.add_argument("--scores", action="store_true", help="the phrase scores only, no timing")
    options = parser.parse_args()
    if options.startup:
        startup(options.runs)
        return
    if not options.scores:
        detection(make_articles(options.articles, random.Random(11)), options.runs)
    print("news phrases right (share of rows; tests/data):")
    scores()
    print("seed round trip, tw2sp then s2twp:")
    round_trip()


if __name__ == "__main__":
    main()
