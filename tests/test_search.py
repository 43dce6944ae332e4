"""The search index's pure parts: the terms of a text and the edits between the scripts."""

from __future__ import annotations

import opencc
from hypothesis import given
from hypothesis import strategies as st

from publisher.site.search import part_count, terms, twin_edits

TW2SP = opencc.OpenCC("tw2sp")
# Han characters, a few Latin letters, and the punctuation twin_edits splits at.
TEXT = st.text(st.sampled_from("記憶體報價晶片軟體網路使用者内存芯片abcAB 12，。,"), max_size=60)


def apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    made, at = "", 0
    for start, end, replacement in edits:
        assert at <= start <= end
        made, at = made + text[at:start] + replacement, end
    return made + text[at:]


@given(TEXT, TEXT)
def test_edits_turn_any_text_into_any_other(text: str, other: str) -> None:
    assert apply(text, twin_edits(text, other)) == other


@given(TEXT)
def test_edits_turn_a_text_into_its_conversion(text: str) -> None:
    converted = TW2SP.convert(text)
    assert apply(text, twin_edits(text, converted)) == converted


def test_terms_are_han_bigrams_and_whole_words() -> None:
    assert terms("記憶體 DRAM供應") == {"記憶", "憶體", "dram", "供應"}
    # Full-width letters and digits read as their ASCII selves; a lone Han character is no term.
    assert terms("ＤＲＡＭ ３奈米 的") == {"dram", "3", "奈米"}
    assert terms("") == set() and terms("，。") == set()


def test_parts_grow_with_the_archive_in_powers_of_two() -> None:
    assert part_count(0) == part_count(100) == 8
    assert part_count(10_000) == 256 and part_count(100_000) == 4096
