"""Reading aids for bodies that arrive as one long line: paragraphs and excerpts.

Both only cut at sentence ends and never drop or reorder a character: joining the
paragraphs gives the body back exactly. A converted body is cut where its original is (the
same sentences, as conversion changes no sentence end), so a reader who switches editions
finds each paragraph where it was.
"""

from __future__ import annotations

import re

# A sentence ends at 。！？!?； or an ellipsis, plus any closing quotes or brackets after it.
_SENTENCE_END = r"(?:[。！？!?；;]+|…+)[”’」』）)\"'》】]*"
# A sentence: up to the first end, or what is left after the last. One findall at C speed
# (feeds and pages cut every body they show); the characters before the end are those that
# cannot start one, which finds the end without trying it at every character (5× faster).
_SENTENCE = re.compile(rf"(?s)[^。！？!?；;…]*{_SENTENCE_END}|.+")

PARAGRAPH_CHARS = 160


def sentences(body: str) -> list[str]:
    pieces: list[str] = _SENTENCE.findall(body)
    return pieces


def paragraphs(body: str, size: int = PARAGRAPH_CHARS, *, like: str | None = None) -> list[str]:
    """Group whole sentences into paragraphs of about `size` characters. With `like` (the
    text `body` was converted from), as many sentences to a paragraph as that text has,
    when the two have as many sentences (else `body` is cut by its own lengths)."""
    own = sentences(body)
    theirs = sentences(like) if like is not None else own
    counts = _counts([len(each) for each in (theirs if len(theirs) == len(own) else own)], size)
    result, start = [], 0
    for count in counts:
        result.append("".join(own[start : start + count]))
        start += count
    return result


def _counts(lengths: list[int], size: int) -> list[int]:
    """How many sentences (of these lengths) go to each paragraph of about `size`."""
    counts: list[int] = []
    length = count = 0
    for each in lengths:
        length, count = length + each, count + 1
        if length >= size:
            counts.append(count)
            length = count = 0
    if count:
        if counts and length < size // 4:
            counts[-1] += count  # a short tail reads better with what it follows
        else:
            counts.append(count)
    return counts


def excerpt(body: str, size: int) -> str:
    """Whole sentences up to `size` characters; a first sentence longer than that is cut with …"""
    text = ""
    # Past size + 1 characters no sentence can fit: one that ends later is cut there, and is
    # still too long. (Feeds and digests take an excerpt of every body they show.)
    for sentence in sentences(body[: size + 1]):
        if len(text) + len(sentence) > size:
            break
        text += sentence
    if text:
        return text
    return body if len(body) <= size else body[:size].rstrip() + "…"
