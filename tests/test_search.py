"""The search index's pure parts: the terms of a text and the edits between the scripts."""

from __future__ import annotations

import array
import itertools

import opencc
from hypothesis import given
from hypothesis import strategies as st

from publisher.site.search import _gaps, _json, appended, part_count, terms, twin_edits

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


# A title, body or source: one line, with letters, a combining mark and compatibility forms.
LINE = st.text(st.sampled_from("記憶體晶片ab1２Ａ ，。ǅﬁ①\u0301e"), max_size=30)


@given(LINE, LINE, LINE)
def test_the_terms_of_lines_joined_are_the_terms_of_each(
    title: str, body: str, source: str
) -> None:
    """The index takes an article's terms from its texts joined by line breaks, at once."""
    assert terms("\n".join((title, body, source))) == terms(title) | terms(body) | terms(source)


def test_parts_grow_with_the_archive_in_powers_of_two() -> None:
    assert part_count(0) == part_count(100) == 8
    assert part_count(10_000) == 256 and part_count(100_000) == 4096


_TERMS = st.text(alphabet="晶片記憶體ab1", min_size=1, max_size=3)


@given(
    st.dictionaries(_TERMS, st.lists(st.integers(0, 99), min_size=1, unique=True)),
    st.dictionaries(_TERMS, st.lists(st.integers(100, 199), min_size=1, unique=True)),
    st.integers(0, 50),
)
def test_a_part_with_postings_appended_reads_as_the_merged_postings(
    old: dict[str, list[int]], new: dict[str, list[int]], killed: int
) -> None:
    """The text edit gives the bytes of the whole dict written again, and cuts off what a
    killed build had appended (ids from 100 on, for some of the same terms)."""
    written = {term: sorted(ids) for term, ids in old.items()}
    for term in itertools.islice(new, killed % (len(new) + 1)):
        written.setdefault(term, []).append(100 + killed)
    part = _json({term: _gaps(ids) for term, ids in written.items()}).decode()
    merged = {term: sorted(ids) for term, ids in old.items()}
    for term, ids in new.items():
        merged[term] = merged.get(term, []) + sorted(ids)
    expected = _json({term: _gaps(ids) for term, ids in merged.items()}).decode()
    postings = {term: array.array("I", sorted(ids)) for term, ids in new.items()}
    lasts = {term: max(ids) for term, ids in merged.items() if term in new}
    assert appended(part, postings, 100) == (expected, lasts)
    # Given each term's last id in the part (the cache's), it reads no list of a term whose
    # last id is below the new ones, and makes the same bytes.
    known = {term: ids[-1] for term, ids in written.items()}
    assert appended(part, postings, 100, known) == (expected, lasts)
