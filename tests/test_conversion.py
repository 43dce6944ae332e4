"""Both scripts: our news phrases, OpenCC's own cases, the seed, names and properties."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import opencc
import phrasesets
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import shared_file
from publisher.articles import phrasebook
from publisher.articles.conversion import Converter, Scripts, changed_phrases
from publisher.config import CONVERSIONS as CONFIGS
from publisher.errors import DictionaryError
from publisher.records import Script, Text

USED_CONFIGS = sorted({config for pair in CONFIGS.values() for config in pair})
SCRIPTS = Scripts.for_site()


def opencc_cases() -> list[tuple[str, str, str, str]]:
    # The file has trailing commas (see its README): strip them before parsing.
    cases = shared_file("opencc/testcases.json")
    text = re.sub(r",(\s*[}\]])", r"\1", cases.read_text(encoding="utf-8"))
    return [
        (case["id"], config, case["input"], expected)
        for case in json.loads(text)["cases"]
        for config, expected in case["expected"].items()
        if config in USED_CONFIGS
    ]


@pytest.fixture(scope="module")
def seed_text(seed_path: Path) -> str:
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_hans(seed_text: str) -> str:
    return SCRIPTS.to_hans.convert(seed_text)


# Where our news conversion departs from OpenCC's own cases, on purpose.
DEPARTURES = {
    # OpenCC wants tw2sp 核心 → 内核 (the OS kernel); in news 核心 is "core".
    ("BYVoid_OpenCC_Issue_1246_core_reverse_phrase", "tw2sp"),
    # OpenCC's s2twp reads every 社区 as an online community (社群); in news 社区 is mostly
    # a neighbourhood (教育部《重編國語辭典修訂本》 社區: 社區居民); 开源社区 still → 開源社群.
    ("variants_tw_s2twp", "s2twp"),
    # The case records OpenCC's own segmentation slip, marked [sic] in its expected text
    # (畫素藉由 → 画素借由); our segmenter sees the Taiwan phrase 畫素 and gives 像素 throughout.
    ("BYVoid_OpenCC_Issue_475_tw2sp", "tw2sp"),
}


def _failures(protected: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    converters = {config: Converter(config, protected) for config in USED_CONFIGS}
    return {
        (case_id, config)
        for case_id, config, source, expected in opencc_cases()
        if converters[config].convert(source) != expected
    }


def test_every_config_the_project_uses_passes_opencc_cases_but_the_departures() -> None:
    assert {config for _, config, _, _ in opencc_cases()} == set(USED_CONFIGS)
    assert _failures() == DEPARTURES


def test_plain_opencc_passes_every_case_it_is_meant_to() -> None:
    """The departures are ours: OpenCC alone passes each of those cases."""
    engines = {config: opencc.OpenCC(config) for config in USED_CONFIGS}
    for case_id, config, source, expected in opencc_cases():
        assert engines[config].convert(source) == expected, case_id


def test_seed_is_traditional_and_goes_to_mainland_words(seed_text: str, seed_hans: str) -> None:
    assert SCRIPTS.detect(seed_text) is Script.HANT
    for word in ("内存", "芯片", "英伟达", "软件", "代码"):
        assert word in seed_hans, word
    for taiwan_word in ("記憶體", "晶片", "輝達", "軟體", "程式碼"):
        assert taiwan_word in seed_text and taiwan_word not in seed_hans


def test_seed_simplified_has_nothing_left_for_t2s(seed_hans: str) -> None:
    assert Converter("t2s").convert(seed_hans) == seed_hans


def test_seed_keeps_every_core_as_core(seed_text: str, seed_hans: str) -> None:
    assert seed_text.count("核心") > 10
    assert seed_hans.count("核心") == seed_text.count("核心")
    assert "内核" not in seed_hans


def test_names_survive(seed_hans: str) -> None:
    for name in ("米哈游", "SK 海力士", "台积电", "NVIDIA", "Moderna"):
        assert name in seed_hans


def test_simplified_text_goes_to_taiwan_traditional() -> None:
    """Regional words go to Taiwan's (软件 → 軟體, 内存 → 記憶體); software runs (執行) on a
    laptop, while trains and the economy keep 運行 (OpenCC's 執行 is wrong for those)."""
    text = "我们的软件在笔记本电脑上运行,内存不足时会提示用户。"
    assert SCRIPTS.detect(text) is Script.HANS
    hant = SCRIPTS.to_hant.convert(text)
    assert hant == "我們的軟體在筆記型電腦上執行,記憶體不足時會提示使用者。"
    assert SCRIPTS.to_hant.convert("列车运行,经济运行") == "列車運行,經濟運行"
    assert Scripts.for_site("hk").to_hant.convert("软件") == "軟件"
    assert Scripts.for_site("generic").to_hant.convert("软件") == "軟件"


def test_protected_terms_come_out_verbatim() -> None:
    scripts = Scripts.for_site(protected=("晶片王國", "乾坤"))
    assert scripts.to_hans.convert("台灣是晶片王國,乾坤未定") == "台湾是晶片王國,乾坤未定"
    assert scripts.to_hans.signature != SCRIPTS.to_hans.signature


def test_detection_of_text_common_to_both_scripts() -> None:
    assert SCRIPTS.detect("AI 2025 中文人") is Script.HANT  # the configured default
    assert Scripts.for_site(default=Script.HANS).detect("中文人") is Script.HANS


def test_protected_terms_and_names_keep_their_form_in_both_directions() -> None:
    scripts = Scripts.for_site(protected=("乾坤",))
    assert scripts.to_hant.convert("乾坤未定") == "乾坤未定"  # s2twp alone: 乾坤未定
    assert scripts.to_hans.convert("華為昇騰晶片") == "华为昇腾芯片"
    assert scripts.to_hant.convert("华为昇腾芯片") == "華為昇騰晶片"


def test_a_protected_term_with_a_space_is_kept_piece_by_piece() -> None:
    assert Converter("tw2sp", ("SK 乾坤",)).convert("SK 乾坤科技") == "SK 乾坤科技"


@pytest.mark.parametrize("config", ["s2twp", "tw2sp"])
def test_news_phrases_come_out_as_the_dictionaries_write_them(config: str) -> None:
    rows = phrasesets.news(config)
    assert len(rows) >= 100
    converter = Converter(config)
    wrong = [(text, converter.convert(text), want) for text, want, _ in rows]
    assert [row for row in wrong if row[1] != row[2]] == []


def test_changed_phrases_lists_each_change_with_its_neighbours() -> None:
    before = "政府檔案顯示,國家檔案館與政府檔案都已公開。"
    after = "政府文件顯示,國家檔案館與政府文件都已公開。"
    assert changed_phrases(before, after) == [
        ("政府檔案顯示", "政府文件顯示"),
        ("政府檔案都已", "政府文件都已"),
    ]
    assert changed_phrases(after, after) == []


def test_signature_follows_the_dictionaries_and_the_opencc_release() -> None:
    table = phrasebook.phrase_table("s2twp")
    assert phrasebook.signature("s2twp", table) == Converter("s2twp").signature
    assert phrasebook.signature("s2twp", table | {"项目": "專案"}) != Converter("s2twp").signature
    assert Converter("s2twp", ("乾坤",)).signature != Converter("s2twp").signature


def test_a_bad_dictionary_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("# fine\n文件\n文件\t檔案\t多\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"bad.txt:3: expected"):
        phrasebook.read_dictionary(path)


def test_detection_reads_past_a_tie_in_the_sample() -> None:
    neutral = "中文人" * 200
    assert SCRIPTS.detect(neutral + "这个软件") is Script.HANS
    assert Scripts.for_site(default=Script.HANS).detect(neutral + "這個軟體") is Script.HANT


# -- properties ------------------------------------------------------------------------------

_han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_mixed = st.text(
    alphabet=st.one_of(_han, st.characters(codec="ascii"), st.sampled_from("，。「」“”（）—…")),
    max_size=60,
)


@pytest.mark.parametrize("converter", [SCRIPTS.to_hans, SCRIPTS.to_hant], ids=lambda c: c.config)
@given(text=st.text(alphabet=st.characters(codec="ascii"), max_size=80))
def test_ascii_is_left_alone(converter: Converter, text: str) -> None:
    assert converter.convert(text) == text


def _table_words(config: str) -> list[str]:
    return sorted(phrasebook.phrase_table(config))


# Words of both tables, in both scripts (a table holds its targets too): where our phrases are.
_news_words = st.sampled_from(sorted({*_table_words("s2twp"), *_table_words("tw2sp")}))
_news = st.lists(st.one_of(_news_words, _mixed), max_size=8).map("".join)


@pytest.mark.parametrize("converter", [SCRIPTS.to_hans, SCRIPTS.to_hant], ids=lambda c: c.config)
@given(text=_news)
def test_no_character_outside_han_is_lost_or_moved(converter: Converter, text: str) -> None:
    def not_han(value: str) -> str:
        return "".join(c for c in value if not unicodedata.name(c, "").startswith("CJK"))

    converted = converter.convert(text)
    assert not_han(converted) == not_han(text)
    assert bool(text) == bool(converted)


@pytest.mark.parametrize("converter", [SCRIPTS.to_hans, SCRIPTS.to_hant], ids=lambda c: c.config)
@given(words=st.lists(_news_words, min_size=1, max_size=8))
def test_words_between_punctuation_convert_each_as_itself(
    converter: Converter, words: list[str]
) -> None:
    """A phrase maps within itself: nothing of a word is lost, moved or joined to the next one
    across a comma, however long the compound (云计算 → 雲端運算, 阿里、腾讯、字节)."""
    converted = converter.convert("，".join(words))
    assert converted == "，".join(converter.convert(word) for word in words)


@given(text=_mixed)
@example(text="薴")  # OpenCC alone takes it in two steps: 薴 → 苧 → 苎
def test_converting_to_simplified_twice_changes_nothing_more(text: str) -> None:
    once = SCRIPTS.to_hans.convert(text)
    assert opencc.OpenCC("t2s").convert(once) == once


@given(st.lists(st.sampled_from([*_table_words("tw2sp"), "晶片", "芯片", "。"]), max_size=12))
def test_dictionary_words_go_to_simplified_once_in_any_order(words: list[str]) -> None:
    """Converting twice changes nothing more: a Simplified target is not read as a source."""
    once = SCRIPTS.to_hans.convert("".join(words))
    assert SCRIPTS.to_hans.convert(once) == once


@given(st.sampled_from(_table_words("s2twp")))
def test_each_dictionary_word_goes_to_traditional_once(word: str) -> None:
    """The same for each word alone: OpenCC's s2t itself reads some Traditional pairs across
    words again (執行台中 → 執行臺中), so a whole Traditional text is not a fixed point."""
    once = SCRIPTS.to_hant.convert(word)
    assert SCRIPTS.to_hant.convert(once) == once


_TERMS = ("乾坤", "晶片王國", "後发")


@pytest.fixture(scope="module", params=USED_CONFIGS)
def protecting(request: pytest.FixtureRequest) -> Converter:
    return Converter(request.param, _TERMS)


@given(data=st.data())
def test_protected_terms_are_untouched_wherever_they_stand(
    protecting: Converter, data: st.DataObject
) -> None:
    terms = _TERMS
    converter = protecting
    pieces = data.draw(st.lists(st.one_of(st.sampled_from(terms), _mixed), min_size=1))
    converted = converter.convert("※".join(pieces))  # ※ is in neither alphabet
    for piece, out in zip(pieces, converted.split("※"), strict=True):
        if piece in terms:
            assert out == piece


# -- the cache of config files -----------------------------------------------------------------

_CONVERT = (
    "import sys; from publisher.articles.conversion import Scripts;"
    " s = Scripts.for_site(protected=tuple(sys.argv[1:]));"
    " print(s.to_hant.signature, s.to_hant.convert('项目的内存芯片'))"
)


def _convert_in_a_new_process(cache: Path, *protected: str) -> str:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _CONVERT, *protected],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _cached_files(cache: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in cache.rglob("*") if path.is_file()}


def test_a_second_process_loads_the_config_files_the_first_one_made(tmp_path: Path) -> None:
    first = _convert_in_a_new_process(tmp_path)
    made = _cached_files(tmp_path)
    assert {path.name for path in made} >= {"s2twp.json", "tw2sp.json", "signature"}
    assert _convert_in_a_new_process(tmp_path) == first
    assert _cached_files(tmp_path) == made  # read, not made again
    assert first.split() == [SCRIPTS.to_hant.signature, SCRIPTS.to_hant.convert("项目的内存芯片")]


def test_other_protected_terms_get_their_own_cached_files(tmp_path: Path) -> None:
    plain = _convert_in_a_new_process(tmp_path)
    kept = _convert_in_a_new_process(tmp_path, "内存")
    assert plain.split()[1] == "項目的記憶體晶片"
    assert kept.split()[1] == "項目的内存晶片"
    assert plain.split()[0] != kept.split()[0]


def test_without_a_usable_cache_folder_conversion_still_works(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert _convert_in_a_new_process(blocked).split() == [
        SCRIPTS.to_hant.signature,
        "項目的記憶體晶片",
    ]


def test_a_cached_config_file_left_empty_or_cut_short_is_made_again(tmp_path: Path) -> None:
    """A power cut (or a hand) can leave a file of the cache empty: the next process checks
    each file against the digest kept beside it, and makes the folder again."""
    first = _convert_in_a_new_process(tmp_path)
    (targets,) = [p for p in tmp_path.rglob("targets.txt") if p.parent.name.startswith("s2twp")]
    targets.write_bytes(b"")
    assert _convert_in_a_new_process(tmp_path) == first
    assert targets.stat().st_size > 0


_DETECT = (
    "from publisher.articles.conversion import Scripts; s = Scripts.for_site();"
    " print(s.detect('新廠的記憶體晶片開始量產'), s.detect('新厂的内存芯片开始量产'))"
)


def _detect_in_a_new_process(cache: Path) -> str:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-c", _DETECT]
    return subprocess.run(
        command, env=environment, capture_output=True, text=True, check=True
    ).stdout


def test_the_characters_each_script_changes_are_worked_out_once_then_read(tmp_path: Path) -> None:
    """Detection counts the characters t2s and s2t change; a new process reads them from the
    cache folder instead of converting every Han character again (0.15 s at every start)."""
    assert _detect_in_a_new_process(tmp_path).split() == ["zh-Hant", "zh-Hans"]
    kept = {
        path: stamp for path, stamp in _cached_files(tmp_path).items() if "changes-" in path.name
    }
    assert len(kept) == 2
    assert _detect_in_a_new_process(tmp_path).split() == ["zh-Hant", "zh-Hans"]
    assert {p: s for p, s in _cached_files(tmp_path).items() if "changes-" in p.name} == kept
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert _detect_in_a_new_process(blocked).split() == ["zh-Hant", "zh-Hans"]


def test_a_kept_list_of_changed_characters_that_is_cut_short_is_worked_out_again(
    tmp_path: Path,
) -> None:
    assert _detect_in_a_new_process(tmp_path).split() == ["zh-Hant", "zh-Hans"]
    for path in _cached_files(tmp_path):
        if path.name.startswith("chang"):
            path.write_bytes(b"")
    assert _detect_in_a_new_process(tmp_path).split() == ["zh-Hant", "zh-Hans"]


@given(data=st.data())
def test_an_articles_three_parts_convert_together_as_each_alone(
    protecting: Converter, data: st.DataObject
) -> None:
    """Title, body and source go to OpenCC in one call, a line end between them."""
    words = st.sampled_from([*_TERMS, *_table_words("tw2sp")[:200], "晶片", "芯片"])
    part = st.lists(st.one_of(words, _mixed), max_size=6).map("".join)
    text = Text(data.draw(part), data.draw(part), data.draw(part))
    alone = Text(*(protecting.convert(each) for each in (text.title, text.body, text.source)))
    assert protecting.convert_text(text) == alone


def test_opencc_is_made_at_the_first_conversion_even_after_the_cache_is_emptied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build of stored conversions needs the signature alone (OpenCC reads its
    dictionaries when made, 0.1 s a config); a daemon's cache may be emptied meanwhile."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    phrasebook.Engine("s2twp")  # its files made in the cache folder
    made: list[str] = []
    real = opencc.OpenCC

    def counted(path: str) -> opencc.OpenCC:
        made.append(path)
        return real(path)

    monkeypatch.setattr(opencc, "OpenCC", counted)
    engine = phrasebook.Engine("s2twp")
    assert SCRIPTS.to_hant.signature.startswith(engine.signature)
    assert made == []
    shutil.rmtree(tmp_path / "publisher")
    assert engine.convert("项目的内存芯片") == "項目的記憶體晶片"
    # The cached files, gone; then files of its own, outside the cache folder.
    assert made[0].startswith(str(tmp_path)) and not made[-1].startswith(str(tmp_path))
