"""Both senses right: general news keeps its words, tech news takes the tech ones (issue 27).

The phrase sets live in tests/data/phrases (see tests/phrasesets.py); each expected form cites
its source. The held-out parts were written apart from the tuning of the word lists.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import opencc
import phrasesets
import pytest

from publisher.articles import phrasebook
from publisher.articles.conversion import Converter

BAR = 0.95
SETS = [
    (topic, part, config)
    for topic in phrasesets.TOPICS
    for part in phrasesets.PARTS
    for config in phrasesets.CONFIGS
]


@pytest.mark.parametrize(("topic", "part", "config"), SETS, ids=["-".join(set_) for set_ in SETS])
def test_each_set_and_direction_is_right_at_the_bar_and_never_below_plain_opencc(
    topic: str, part: str, config: str
) -> None:
    rows = phrasesets.rows(topic, part, config)
    assert len(rows) >= 100
    ours = Converter(config).convert
    share = phrasesets.share_right(ours, rows)
    assert share >= BAR, phrasesets.wrong(ours, rows)
    assert share >= phrasesets.share_right(opencc.OpenCC(config).convert, rows)


NAMED = {
    "s2twp": {
        # Tech compounds take Taiwan's tech word.
        "移动设备": "行動裝置",
        "智能设备": "智慧裝置",
        "云计算": "雲端運算",
        "高端芯片": "高階晶片",
        "软件在手机上运行": "軟體在手機上執行",
        # A company's short name in a list is not a byte.
        "阿里、腾讯、字节": "阿里、騰訊、字節",
        "每个字符占两个字节": "每個字元佔兩個位元組",
        # General news keeps the general sense.
        "医院购置医疗设备": "醫院購置醫療設備",
        "经济运行平稳": "經濟運行平穩",
        "统计数据显示": "統計數據顯示",
    },
    "tw2sp": {
        "行動裝置": "移动设备",
        "智慧裝置": "智能设备",
        "雲端運算": "云计算",
        "高階晶片": "高端芯片",
        "軟體在手機上執行": "软件在手机上运行",
        "阿里、騰訊、字節": "阿里、腾讯、字节",
        "執行政策": "执行政策",
        "行政效能": "行政效能",
        "人生智慧": "人生智慧",
    },
}


@pytest.mark.parametrize("config", sorted(NAMED))
def test_the_named_examples_take_the_right_sense(config: str) -> None:
    converter = Converter(config)
    assert {text: converter.convert(text) for text in NAMED[config]} == NAMED[config]


@pytest.mark.parametrize(
    ("config", "text"),
    [
        ("s2hk", "移动设备、云计算、特朗普"),
        ("s2t", "移动设备、云计算、特朗普"),
        ("hk2s", "雲端運算、川普"),
        ("t2s", "雲端運算、川普"),
    ],
)
def test_the_taiwan_pairs_stay_out_of_the_other_regions(config: str, text: str) -> None:
    """Hong Kong and the generic configs keep OpenCC's words (and their own names)."""
    assert Converter(config).convert(text) == opencc.OpenCC(config).convert(text)


def test_each_taiwan_pair_converts_to_its_other_side_both_ways() -> None:
    """A pair goes to the other side and comes back; where one form answers two (智能手机 →
    智慧型手機, not 智慧手機), the later line is the one both configs give (as a dict keeps)."""
    lines = phrasebook.read_dictionary(phrasebook.dictionary_path("taiwan"))
    both = [(taiwan, mainland or taiwan) for taiwan, mainland in lines]
    to_mainland = dict(both)
    to_taiwan = {mainland: taiwan for taiwan, mainland in both}
    s2twp, tw2sp = Converter("s2twp"), Converter("tw2sp")
    assert {word: s2twp.convert(word) for word in to_taiwan} == to_taiwan
    assert {word: tw2sp.convert(word) for word in to_mainland} == to_mainland


@pytest.fixture
def tables_made_again() -> Iterator[None]:
    """Phrase tables are kept per process: one made from edited files must not outlive the test."""
    phrasebook.phrase_table.cache_clear()
    yield
    phrasebook.phrase_table.cache_clear()


@pytest.mark.usefixtures("tables_made_again")
def test_an_edited_pair_file_is_read_and_not_an_old_cached_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pair file names the cached config files as the other dictionaries do, so an edit
    converts anew and gives a new signature (the build then corrects the articles)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shipped = phrasebook.dictionary_path("taiwan").parent
    edited = tmp_path / "dictionaries"
    shutil.copytree(shipped, edited)

    def fresh(folder: Path) -> phrasebook.Engine:
        monkeypatch.setattr(phrasebook, "dictionary_path", lambda name: folder / f"{name}.txt")
        phrasebook.phrase_table.cache_clear()
        return phrasebook.Engine("s2twp")

    before = fresh(edited)
    assert before.convert("云计算") == "雲端運算"
    pairs = edited / "taiwan.txt"
    pairs.write_text(pairs.read_text(encoding="utf-8") + "雲計算\t云计算\n", encoding="utf-8")
    after = fresh(edited)
    assert after.convert("云计算") == "雲計算"
    assert after.signature != before.signature
