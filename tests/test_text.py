"""Paragraphs and excerpts of one-line bodies: whole sentences, nothing lost or reordered."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from publisher.text import excerpt, paragraphs, sentences

# Han text with every sentence end and closing mark the splitter knows, and a few others.
_BODY = st.text(alphabet="記者報導晶片a 。！？!?；;…”’」』）)\"'》】，", max_size=120)


@given(_BODY, st.integers(min_value=1, max_value=80))
def test_an_excerpt_is_the_most_whole_sentences_that_fit(body: str, size: int) -> None:
    whole = sentences(body)
    fitting = [n for n, end in enumerate(itertools.accumulate(map(len, whole)), 1) if end <= size]
    if fitting:
        assert excerpt(body, size) == "".join(whole[: fitting[-1]])
    else:
        assert excerpt(body, size) == (body if len(body) <= size else body[:size].rstrip() + "…")


@given(_BODY, st.integers(min_value=1, max_value=200))
def test_paragraphs_and_sentences_give_the_body_back(body: str, size: int) -> None:
    assert "".join(sentences(body)) == body
    assert "".join(paragraphs(body, size)) == body


# A conversion as OpenCC makes one: words change length, sentence ends stay.
_CONVERT = str.maketrans({"記": "记忆", "導": "导", "晶": "芯"})


@given(_BODY, st.integers(min_value=1, max_value=200))
def test_a_converted_body_is_cut_where_its_original_is(body: str, size: int) -> None:
    converted = body.translate(_CONVERT)
    ours, theirs = paragraphs(converted, size, like=body), paragraphs(body, size)
    assert "".join(ours) == converted
    assert [len(sentences(each)) for each in ours] == [len(sentences(each)) for each in theirs]
