"""Site search in a real browser: headless Chromium loads a search page served by
`publisher serve`, search.js fetches the static index, and the results must be in the DOM.
Skipped, saying why, where /usr/bin/chromium is not installed."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from test_browser import CHROMIUM, chromium
from test_web import serving

from conftest import NOW, make_config, store_day
from publisher.config import Config
from publisher.site import search
from publisher.site.build import build
from publisher.store import Store
from publisher.web import app as web

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed")

# Our own sentences: Taiwan-phrased Traditional (記憶體 becomes 内存 in Simplified), a
# Simplified original, and a Latin name.
ARTICLES = [
    ("記憶體報價連三月走高", "業者表示 DRAM 供應仍然吃緊，記憶體報價可能續漲到明年。", "甲報"),
    ("Moderna 發表新疫苗試驗結果", "美國藥廠 Moderna 週二公布第三期試驗數據。", "乙社"),
    ("新款笔记本电脑开卖", "厂商称这款笔记本电脑的电池可用一整天。", "丙网"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config: Config = make_config(tmp_path_factory.mktemp("search"))
    with Store(config.storage) as store:
        for offset, item in enumerate(ARTICLES):
            store_day(config, store, [item], NOW.date() - dt.timedelta(days=offset))
        build(config, store, NOW)
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        yield f"http://127.0.0.1:{port}/"


def results(base: str, tmp_path: Path, script: str, query: str) -> str:
    """The DOM of the search page for `query`, once search.js has finished."""
    url = f"{base}{script}/search.html?q={quote(query)}"
    dom = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", url)
    assert 'data-state="done"' in dom or 'data-state="empty"' in dom, dom[-1500:]
    return dom


def titles(dom: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", title) for title in re.findall(r'<li><a href="[^"]+">(.*?)</a>', dom)
    ]


def test_either_script_finds_the_same_article_with_the_match_marked(
    base: str, tmp_path: Path
) -> None:
    hant_query = results(base, tmp_path, "zh-Hans", "記憶體")
    hans_query = results(base, tmp_path, "zh-Hans", "内存")
    assert titles(hant_query) == titles(hans_query) == ["内存报价连三月走高"]
    # Shown in the page's script, the words matched marked even when typed in the other
    # (there, the mark may cover the whole phrase the conversion rewrote: 内存报价).
    assert "<mark>内存</mark>" in hans_query
    assert re.search(r"<mark>[^<]*内存[^<]*</mark>", hant_query)
    assert "甲报" in hant_query and "2025-12-14" in hant_query
    assert 'href="http://127.0.0.1' in hant_query  # a link to the article's page


def test_a_simplified_article_is_found_from_the_traditional_edition(
    base: str, tmp_path: Path
) -> None:
    dom = results(base, tmp_path, "zh-Hant", "笔记本电脑")
    assert titles(dom) == ["新款筆記型電腦開賣"]


def test_mixed_latin_and_chinese_queries(base: str, tmp_path: Path) -> None:
    assert titles(results(base, tmp_path, "zh-Hant", "DRAM 供應")) == ["記憶體報價連三月走高"]
    assert titles(results(base, tmp_path, "zh-Hant", "moderna")) == ["Moderna 發表新疫苗試驗結果"]
    assert "<mark>Moderna</mark>" in results(base, tmp_path, "zh-Hans", "Moderna")


def test_no_results_and_an_empty_query(base: str, tmp_path: Path) -> None:
    nothing = results(base, tmp_path, "zh-Hant", "量子電腦")
    assert "找到 0 篇文章" in nothing and titles(nothing) == []
    empty = results(base, tmp_path, "zh-Hans", "")
    assert '<div id="results" aria-live="polite" data-state="empty"><p></p></div>' in empty
    # A single character is too short to look up: the reader is told so.
    assert "请至少输入两个汉字" in results(base, tmp_path, "zh-Hans", "存").split("</form>")[1]


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site whose index has a recent segment: RECENT_SPAN of 2, five articles, the last alone
    in the recent segment."""
    config: Config = make_config(tmp_path_factory.mktemp("segmented"))
    more = [
        ("颱風路徑偏北", "氣象署表示颱風可能在週末接近北部海面。", "丁台"),
        ("記憶體大廠宣布擴產", "新廠明年投產，記憶體供給可望增加。", "戊報"),
    ]
    with pytest.MonkeyPatch.context() as patch, Store(config.storage) as store:
        patch.setattr(search, "RECENT_SPAN", 2)
        for offset, item in enumerate([*ARTICLES, *more]):
            store_day(config, store, [item], NOW.date() - dt.timedelta(days=10 - offset))
        build(config, store, NOW)
    meta = json.loads((config.output_dir / "search" / "meta.json").read_bytes())
    assert meta["recent"]["from"] == 4
    with serving(web.create_app(config, now=lambda: NOW)) as port:
        yield f"http://127.0.0.1:{port}/"


def test_a_query_finds_articles_in_both_segments(segmented: str, tmp_path: Path) -> None:
    dom = results(segmented, tmp_path, "zh-Hant", "記憶體")
    assert titles(dom) == ["記憶體大廠宣布擴產", "記憶體報價連三月走高"]  # newest first
    assert titles(results(segmented, tmp_path, "zh-Hans", "台风")) == ["台风路径偏北"]
