"""Our news phrase sets and how a converter scores on them (tests and bench/conversion.py).

tests/data/news_<config>.tsv (issue 10): input, expected, source, one config each.
tests/data/phrases/<topic>-<part>.tsv: a general-news and a tech-news set, each in a tuned and a
held-out part. A row pairs the mainland form with the Taiwan form (and their source) and is
scored both ways, s2twp and tw2sp, unless a fourth column names the one config it is for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data"
TOPICS = ("general", "tech")
PARTS = ("tuned", "held-out")
CONFIGS = ("s2twp", "tw2sp")


def _lines(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def news(config: str) -> list[tuple[str, str, str]]:
    """Issue 10's rows for one config: (input, expected, source)."""
    rows = _lines(DATA / f"news_{config}.tsv")
    assert all(len(row) == 3 and all(row) for row in rows), "input, expected, source"
    return [(text, want, source) for text, want, source in rows]


def pairs(topic: str, part: str) -> list[list[str]]:
    """(mainland, Taiwan, source[, config]) rows of one set and part."""
    rows = _lines(DATA / "phrases" / f"{topic}-{part}.tsv")
    assert all(len(row) in (3, 4) and all(row) for row in rows), "mainland, Taiwan, source"
    assert all(row[3] in CONFIGS for row in rows if len(row) == 4), "the one config"
    return rows


def rows(topic: str, part: str, config: str) -> list[tuple[str, str]]:
    """(input, expected) of one set and part in one config's direction."""
    to_taiwan = config == "s2twp"
    return [
        (mainland, taiwan) if to_taiwan else (taiwan, mainland)
        for mainland, taiwan, _, *only in pairs(topic, part)
        if only in ([], [config])
    ]


def wrong(convert: Callable[[str], str], rows: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(input, converted, expected) of each row `convert` gets wrong."""
    return [(text, convert(text), want) for text, want in rows if convert(text) != want]


def share_right(convert: Callable[[str], str], rows: list[tuple[str, str]]) -> float:
    return 1 - len(wrong(convert, rows)) / len(rows)
