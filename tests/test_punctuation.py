"""Punctuation in each edition's convention: quotation marks converted with the text, half-width
sentence punctuation beside CJK shown full-width, the stored original untouched."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import NOW, make_config, store_day
from publisher.articles import punctuation
from publisher.articles.conversion import Scripts
from publisher.articles.ingest import ingest_file
from publisher.config import Config
from publisher.editions import Editions
from publisher.records import Script, Text
from publisher.site.build import build
from publisher.store import Store

_MARKS = frozenset(",:;?!()，：；？！（）「」『』“”‘’")
_PAIRS = {
    *(("，", ","), ("：", ":"), ("；", ";"), ("？", "?"), ("！", "!"), ("（", "("), ("）", ")")),
    *(("“", "「"), ("”", "」"), ("‘", "『"), ("’", "』")),
    *(("「", "“"), ("」", "”"), ("『", "‘"), ("』", "’")),
}
_text = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40),
        st.sampled_from("abcXY019 .%/:`,:;?!()「」『』“”‘’，。、"),
        st.sampled_from(["https://example.org/a(b)?c=1,2", "www.example.org/x", "`f(a,b)`"]),
    ),
    max_size=40,
).map("".join)
_modes = st.sampled_from(punctuation.MODES)
_scripts = st.sampled_from(list(Script))


def _same_but_marks(before: str, after: str) -> bool:
    """Character for character the same, but for a punctuation mark taking its other form."""
    return len(before) == len(after) and all(
        a == b or (b, a) in _PAIRS for a, b in zip(before, after, strict=True)
    )


@given(text=_text, script=_scripts, mode=_modes, converted=st.booleans())
def test_no_other_character_is_lost_changed_or_moved(
    text: str, script: Script, mode: str, converted: bool
) -> None:
    assert _same_but_marks(text, punctuation.shown(text, script, mode, converted))


@given(text=_text, script=_scripts, converted=st.booleans())
@example(text="中,,", script=Script.HANS, converted=False)
@example(text="(“Hi’”", script=Script.HANT, converted=True)
@example(text=":‘", script=Script.HANT, converted=True)  # the colon widened, then the quote
def test_setting_twice_changes_nothing_more(text: str, script: Script, converted: bool) -> None:
    once = punctuation.shown(text, script, "full-width", converted)
    assert punctuation.shown(once, script, "full-width", converted) == once


@given(text=_text, script=_scripts, converted=st.booleans())
def test_as_is_shows_the_text_as_written(text: str, script: Script, converted: bool) -> None:
    assert punctuation.shown(text, script, "as-is", converted) == text


@given(text=_text)
def test_parentheses_stay_pairs_of_one_width(text: str) -> None:
    shown = punctuation.full_width(text)
    opened = [char for char in shown if char in "(（)）"]
    for left, right in (("(", "）"), ("（", ")")):
        assert f"{left}{right}" not in "".join(opened)


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("晶片廠商齊聚一堂,今年營收成長58%,創新高", "晶片廠商齊聚一堂，今年營收成長58%，創新高"),
        ("他問:真的嗎?是的!", "他問：真的嗎？是的！"),
        ("輝達(NVIDIA)發表新晶片", "輝達（NVIDIA）發表新晶片"),
        ("HBM, M15X, 3.5 and 1,000", "HBM, M15X, 3.5 and 1,000"),
        ("詳見https://example.org/a?b=1,2,謝謝", "詳見https://example.org/a?b=1,2，謝謝"),
        ("(見https://example.org/a)", "（見https://example.org/a）"),
        ("程式碼`f(a,b)`跑了", "程式碼`f(a,b)`跑了"),
    ],
)
def test_sentence_punctuation_is_full_width_and_latin_numbers_urls_code_are_not(
    written: str, shown: str
) -> None:
    assert punctuation.full_width(written) == shown


def test_quotation_marks_take_the_targets_convention_with_nesting_kept() -> None:
    hant = "他說「這是『新』晶片」"
    hans = punctuation.quotes(hant, Script.HANS)
    assert hans == "他說“這是‘新’晶片”"
    assert punctuation.quotes(hans, Script.HANT) == hant
    assert punctuation.quotes("He said “don’t”", Script.HANT) == "He said 「don’t」"


# Our own sentences: one article written in Traditional, one in Simplified.
HANT = ("港口啟用新吊車,效率提升", "港務局說:「新吊車『很快』」,裝卸時間縮短三成。", "港務快訊")
HANS = ("公园延长开放", "市政府表示“夏季‘夜间’开放”,市民欢迎。", "城市日报")


def _entries(config: Config, script: Script) -> list[feedparser.FeedParserDict]:
    feed = feedparser.parse(config.output_dir / script.value / "atom.xml")
    entries: list[feedparser.FeedParserDict] = feed.entries
    return entries


def _built(root: Path, settings: str = "") -> tuple[Config, Store]:
    config = make_config(root, settings)
    store = Store(config.storage)
    store_day(config, store, [HANT, HANS])
    build(config, store, NOW)
    return config, store


def test_each_edition_shows_its_own_marks_and_the_store_keeps_the_original(
    tmp_path: Path,
) -> None:
    config, store = _built(tmp_path)
    with store:
        hans = {entry.title: entry for entry in _entries(config, Script.HANS)}
        hant = {entry.title: entry for entry in _entries(config, Script.HANT)}
        stored = {article.original.title: article.original for article in store.articles()}
    converted = hans["港口启用新吊车，效率提升"].content[0].value
    assert "港务局说：“新吊车‘很快’”，装卸时间缩短三成。" in converted
    assert "「" not in converted and "," not in converted
    assert "市政府表示「夏季『夜間』開放」，市民歡迎。" in hant["公園延長開放"].content[0].value
    # The originals are shown full-width in their own edition, quotation marks as written.
    assert (
        "港務局說：「新吊車『很快』」，裝卸時間縮短三成。"
        in hant["港口啟用新吊車，效率提升"].content[0].value
    )
    assert "市政府表示“夏季‘夜间’开放”，市民欢迎。" in hans["公园延长开放"].content[0].value
    assert stored[HANT[0]] == Text(*HANT) and stored[HANS[0]] == Text(*HANS)


def test_as_is_shows_the_originals_punctuation(tmp_path: Path) -> None:
    config, store = _built(tmp_path, '[scripts]\npunctuation = "as-is"\n')
    store.close()
    hans = {entry.title: entry for entry in _entries(config, Script.HANS)}
    assert "港務局說:「" not in hans["港口启用新吊车,效率提升"].content[0].value
    assert "港务局说:「新吊车『很快』」,装卸" in hans["港口启用新吊车,效率提升"].content[0].value


def test_turning_full_width_on_reissues_the_converted_entries_as_corrections(
    tmp_path: Path,
) -> None:
    config, store = _built(tmp_path, '[scripts]\npunctuation = "as-is"\n')
    before = {entry.id: entry.updated for entry in _entries(config, Script.HANS)}
    config = make_config(tmp_path)
    with store:
        build(config, store, NOW.replace(hour=NOW.hour + 1))
    after = {entry.id: entry for entry in _entries(config, Script.HANS)}
    converted = next(entry for entry in after.values() if entry.title.startswith("港口"))
    assert converted.updated > before[converted.id]
    assert "，" in converted.title


def test_a_zh_hans_entry_made_from_the_seed_has_no_corner_quotes_or_half_width_commas(
    tmp_path: Path, seed_path: Path
) -> None:
    config = make_config(tmp_path)
    with Store(config.storage) as store:
        ingest_file(config, store, seed_path, now=NOW)
        build(config, store, NOW)
    for entry in _entries(config, Script.HANS):
        for shown in (entry.title, entry.content[0].value):
            assert "「" not in shown and "」" not in shown
            assert not any(
                punctuation._is_cjk(a) and b == "," and punctuation._is_cjk(c)
                for a, b, c in zip(shown, shown[1:], shown[2:], strict=False)
            )


def test_s2tw_and_tw2s_editions_convert(tmp_path: Path) -> None:
    """Editions may name the plain Taiwan configs; they once raised KeyError."""
    config = make_config(
        tmp_path,
        '[[editions]]\ntag = "zh-Hant-TW"\nconversion = "s2tw"\n'
        '[[editions]]\ntag = "zh-Hans-CN"\nconversion = "tw2s"\n',
    )
    scripts = Scripts.from_config(config)
    hant, hans = Editions.from_config(config)
    assert scripts.converter_for(hant).convert("软件和内存") == "軟件和內存"
    assert scripts.converter_for(hans).convert("軟體與記憶體") == "软体与记忆体"
