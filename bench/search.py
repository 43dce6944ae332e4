"""Size and query time of the static search index at 10,000 and 100,000 articles.

    python bench/search.py                    # 10k and 100k
    python bench/search.py --articles 20000

Articles are made at run time from a word list written here (Taiwan-phrased Traditional,
converted to Simplified by OpenCC as ingest does), 80 a day, 16 sources. The index is built
by publisher.site.search and written to a temporary folder; each query then reads the same
files search.js fetches (meta.json, one postings part per term, the document chunks of the
first 20 results) and intersects the postings as search.js does. Query time is measured in
Python over those files (json.loads + gap decoding + intersection), not in a browser.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import opencc  # noqa: E402

from publisher.editions import HANS, HANT  # noqa: E402
from publisher.records import Article, ArticleRef, Rendition, Script, Text  # noqa: E402
from publisher.site import search  # noqa: E402
from publisher.site.paths import Site  # noqa: E402

# One string per line reads as the word list it is; split() makes it the list.
WORDS = (  # noqa: SIM905
    "記憶體 晶片 半導體 供應 價格 上漲 下跌 廠商 市場 需求 伺服器 人工智慧 資料中心 "
    "電動車 電池 疫苗 試驗 藥廠 政府 政策 投資 營收 季度 成長 出口 關稅 工廠 產能 "
    "軟體 網路 手機 螢幕 顯示卡 雲端 平台 使用者 隱私 資安 攻擊 漏洞 更新 發表 宣布 "
    "表示 預計 今年 明年 全球 台灣 美國 日本 歐洲 研究 團隊 大學 模型 訓練 推論 "
    "DRAM NAND GPU Moderna NVIDIA TSMC Apple 5G 3奈米 衛星 火箭 發射 能源 太陽能 風電"
).split()
SOURCES = [f"來源{n:02d}" for n in range(16)]
QUERIES = ["記憶體", "内存", "DRAM 供應", "Moderna", "人工智慧 模型", "量子糾纏"]
PER_DAY = 80
ZONE = zoneinfo.ZoneInfo("Asia/Taipei")


def articles(count: int, rng: random.Random) -> list[tuple[Rendition, Rendition]]:
    to_hans = opencc.OpenCC("tw2sp")
    start = dt.date(2020, 1, 1)
    made = []
    for n in range(count):
        day = start + dt.timedelta(days=n // PER_DAY)
        title = "".join(rng.choices(WORDS, k=6))
        body = "，".join("".join(rng.choices(WORDS, k=8)) for _ in range(6)) + "。"
        source = SOURCES[n % len(SOURCES)]
        original = Text(title, body, source)
        key = hashlib.sha256(f"{n}{title}".encode()).hexdigest()
        published = dt.datetime.combine(day, dt.time(8), dt.UTC)
        article = Article(key, day, n % PER_DAY, published, Script.HANT, original)
        hans = Text(*(to_hans.convert(part) for part in (title, body, source)))
        made.append((Rendition(article, HANT, original), Rendition(article, HANS, hans)))
    return made


def write_index(folder: Path, made: list[tuple[Rendition, Rendition]]) -> dict[str, int]:
    """Write every file of the index; the sizes (bytes) by kind."""
    titles = {HANT: "bench", HANS: "bench"}
    site = Site(titles, base_url="https://example.org/", zone=ZONE, domain="example.org")
    rows = [ArticleRef(h.article.key, h.article.batch_date, h.text.source, 0) for h, _ in made]
    by_key = {hant.article.key: pair for pair in made for hant in pair[:1]}
    sizes = {"terms": 0, "docs": 0, "terms_gzip": 0}
    for output in search.outputs(site, rows[::-1]):
        pairs = [by_key[key] for key in output.keys if key in by_key]
        own = [pair[0] if output.edition is HANT else pair[1] for pair in pairs]
        twin = [pair[1] if output.edition is HANT else pair[0] for pair in pairs]
        data = output.render(own + twin)
        path = folder / output.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        kind = "terms" if "/terms/" in output.path else "docs"
        sizes[kind] += len(data)
        if kind == "terms":
            sizes["terms_gzip"] += len(gzip.compress(data))
    return sizes


def query(folder: Path, text: str) -> tuple[int, int, float]:
    """(results, bytes read, seconds) for one query, as search.js runs it."""
    started = time.perf_counter()
    read = 0

    def load(path: str) -> object:
        nonlocal read
        data = (folder / "search" / path).read_bytes()
        read += len(data)
        return json.loads(data)

    meta = load("meta.json")
    assert isinstance(meta, dict)
    lists = []
    for term in search.terms(text):
        part = load(f"terms/{meta['parts']}/{search.fnv1a(term) % meta['parts']}.json")
        assert isinstance(part, dict)
        ids, total = [], 0
        for i, gap in enumerate(part.get(term, [])):
            total = total + gap if i else gap
            ids.append(total)
        lists.append(ids)
    lists.sort(key=len)
    found = set(lists[0]).intersection(*lists[1:]) if lists else set()
    newest = sorted(found, reverse=True)[:20]
    for chunk in {n // meta["chunk"] for n in newest}:
        load(f"zh-Hans/docs/{chunk}.json")
    return len(found), read, time.perf_counter() - started


def run(count: int) -> None:
    rng = random.Random(count)
    started = time.perf_counter()
    made = articles(count, rng)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sizes = write_index(folder, made)
        built = time.perf_counter() - started
        parts = search.part_count(count)
        print(f"\n{count:,} articles: index built in {built:.0f} s (text generation included)")
        print(
            f"  postings: {sizes['terms'] / 1e6:.1f} MB in {parts} parts "
            f"(avg {sizes['terms'] / parts / 1e3:.0f} KB, gzip total "
            f"{sizes['terms_gzip'] / 1e6:.1f} MB); documents, both scripts: "
            f"{sizes['docs'] / 1e6:.1f} MB"
        )
        for text in QUERIES:
            times = []
            for _ in range(5):
                found, read, seconds = query(folder, text)
                times.append(seconds)
            print(
                f"  {text!r:>16}: {found:6,} results, {read / 1e3:6.0f} KB read, "
                f"median {statistics.median(times) * 1000:5.1f} ms (Python)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, action="append")
    for count in parser.parse_args().articles or [10_000, 100_000]:
        run(count)


if __name__ == "__main__":
    main()
