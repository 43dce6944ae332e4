"""The search index's pure parts: the terms of a text and the edits between the scripts."""

from __future__ import annotations

import array
import difflib
import itertools
import operator
import re
import unicodedata

import opencc
from hypothesis import given
from hypothesis import strategies as st

from publisher.site.search import (
    _aligned,
    _aligned_both,
    _gaps,
    _json,
    appended,
    part_count,
    terms,
    twin_edits,
    twin_edits_both,
)

TW2SP = opencc.OpenCC("tw2sp")
S2TWP = opencc.OpenCC("s2twp")
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


@given(TEXT, st.booleans())
def test_edits_turn_a_conversion_back_into_its_text(text: str, simplified: bool) -> None:
    """Each edition's documents hold the edits to the other script: both directions,
    from text written in either script."""
    text = TW2SP.convert(text) if simplified else text
    converted = (S2TWP if simplified else TW2SP).convert(text)
    assert apply(text, twin_edits(text, converted)) == converted
    assert apply(converted, twin_edits(converted, text)) == text


# Sentences of news text that the conversion changes character for character, and where
# a phrase changes its length (軟體 → 软件 keeps it, 記憶體 → 内存 and 輝達 → 英伟达 do not).
NEWS = [
    "記憶體價格今年第三季上漲，軟體公司紛紛調整預算。",
    "輝達表示，新一代晶片將於明年量產；分析師認為供應仍然吃緊！",
    "使用者可以在網路上查詢進度：訂單、發票與退貨，一應俱全。",
    "这家公司的内存芯片在展会上亮相，网络用户反应热烈。",
]


def test_edits_between_news_sentences_and_their_conversions() -> None:
    for sentence in NEWS:
        for convert in (TW2SP, S2TWP):
            converted = convert.convert(sentence)
            assert apply(sentence, twin_edits(sentence, converted)) == converted
            assert apply(converted, twin_edits(converted, sentence)) == sentence
    # A match on 内存 in the simplified text marks 記憶體, the phrase it was converted from.
    text = "新款記憶體，價格上漲。"
    assert twin_edits(text, TW2SP.convert(text)) == [(2, 5, "内存"), (6, 7, "价"), (9, 10, "涨")]


def _clause_by_clause(text: str, twin: str) -> list[tuple[int, int, str]]:
    """The edits as first defined: difflib's over each pair of clauses, or each run of
    differing characters of a pair as long (the documents' bytes are those of this)."""
    split = re.compile(r"(?<=[，。！？；：,.!?;:])").split
    pieces, others = split(text), split(twin)
    if len(pieces) != len(others):
        pieces, others = [text], [twin]
    edits, at = [], 0
    for piece, other in zip(pieces, others, strict=True):
        if len(piece) == len(other):
            differing = map(operator.ne, piece, other)
            start = 0
            for differs, run in itertools.groupby(differing):
                end = start + len(list(run))
                if differs:
                    edits.append((at + start, at + end, other[start:end]))
                start = end
        else:
            matcher = difflib.SequenceMatcher(None, piece, other, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag != "equal":
                    edits.append((at + i1, at + i2, other[j1:j2]))
        at += len(piece)
    return edits


def test_no_edit_spans_two_clauses() -> None:
    """Clauses as long in both texts whose punctuation differs too still pair up."""
    assert twin_edits("甲，乙", "丙,丁") == [(0, 2, "丙,"), (2, 3, "丁")]


# Few characters, many repeated: runs of the same length compete for the alignment.
REPEATS = st.text(st.sampled_from("aab記記體，"), max_size=40)


@given(TEXT | REPEATS, TEXT | REPEATS)
def test_edits_are_those_of_each_clause(text: str, other: str) -> None:
    assert twin_edits(text, other) == _clause_by_clause(text, other)
    converted = TW2SP.convert(text)
    assert twin_edits(text, converted) == _clause_by_clause(text, converted)


# Texts of as many clauses, some of them longer in one text: aligned, not one for one.
PIECE = st.text(st.sampled_from("aab記記體"), max_size=12)
CLAUSES = st.lists(st.tuples(PIECE, PIECE), min_size=1, max_size=5).map(
    lambda pairs: tuple("，".join(side) for side in zip(*pairs, strict=True))
)


@given(st.tuples(TEXT | REPEATS, TEXT | REPEATS) | CLAUSES)
def test_edits_both_ways_at_once_are_those_of_each_way(texts: tuple[str, str]) -> None:
    """The search documents of zh-Hant and of zh-Hans take the edits of each article's
    texts from one comparison: each way, the edits of that way alone."""
    text, other = texts
    assert twin_edits_both(text, other) == (twin_edits(text, other), twin_edits(other, text))
    converted = TW2SP.convert(text)
    assert twin_edits_both(text, converted) == (
        twin_edits(text, converted),
        twin_edits(converted, text),
    )


@given(REPEATS | PIECE, REPEATS | PIECE)
def test_an_alignment_both_ways_is_each_way_s(text: str, other: str) -> None:
    """The common runs are found once for both, and each way's ties broken its own way."""
    assert _aligned_both(text, other) == (_aligned(text, other), _aligned(other, text))


def test_terms_are_han_bigrams_and_whole_words() -> None:
    assert terms("記憶體 DRAM供應") == {"記憶", "憶體", "dram", "供應"}
    # Full-width letters and digits read as their ASCII selves; a lone Han character is no term.
    assert terms("ＤＲＡＭ ３奈米 的") == {"dram", "3", "奈米"}
    assert terms("") == set() and terms("，。") == set()


# A title, body or source: one line, with letters, a combining mark and compatibility forms.
LINE = st.text(st.sampled_from("記憶體晶片ab1２Ａ ，。ǅﬁ①\u0301e"), max_size=30)


def _terms_as_defined(text: str) -> set[str]:
    han = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    found: set[str] = set()
    for run in re.findall(
        rf"[{han}]+|(?:(?![{han}])[^\W_])+", unicodedata.normalize("NFKC", text).lower()
    ):
        if re.match(f"[{han}]", run):
            found.update(map(operator.add, run, run[1:]))
        else:
            found.add(run)
    return found


# News text with what NFKC changes in it: wide punctuation, letters and spaces, ellipses,
# no-break spaces; and a combining mark, a compatibility ideograph, a character past U+FFFF.
NEWS_TEXT = st.text(
    st.sampled_from("記憶體晶片軟件ABc1２Ａｂ，（）：；？！　…\xa0.\u0301豈\U00020000_")
)


@given(NEWS_TEXT)
def test_terms_are_those_of_the_text_normalised(text: str) -> None:
    assert terms(text) == _terms_as_defined(text)


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
