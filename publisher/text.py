"""Reading aids for bodies that arrive as one long line: paragraphs and excerpts.

Both only cut at sentence ends and never drop or reorder a character: joining the
paragraphs gives the body back exactly.
"""

from __future__ import annotations

import re

# A sentence ends at 。！？!?； or an ellipsis, plus any closing quotes or brackets after it.
_SENTENCE_END = r"(?:[。！？!?；;]+|…+)[”’」』）)\"'》】]*"
# A sentence: up to the first end, or what is left after the last. One findall at C speed
# (feeds and pages cut every body they show).
_SENTENCE = re.compile(rf"(?s).*?{_SENTENCE_END}|.+")

PARAGRAPH_CHARS = 160


def sentences(body: str) -> list[str]:
    pieces: list[str] = _SENTENCE.findall(body)
    return pieces


def paragraphs(body: str, size: int = PARAGRAPH_CHARS) -> list[str]:
    """Group whole sentences into paragraphs of about `size` characters."""
    result: list[str] = []
    current = ""
    for sentence in sentences(body):
        current += sentence
        if len(current) >= size:
            result.append(current)
            current = ""
    if current:
        if result and len(current) < size // 4:
            result[-1] += current  # a short tail reads better with what it follows
        else:
            result.append(current)
    return result


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
