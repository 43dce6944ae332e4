"""The batch format: what is accepted, what is refused, and that errors name the line."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.articles import batch
from publisher.errors import BatchError
from publisher.records import ParsedArticle

HERE = Path("day.txt")
SEED_SOURCES = [
    "智藥局",
    "半導體行業觀察",
    "W侃科技",
    "中國科學報",
    "金百臨財富通",
    "AMP實驗室",
    "首席商業評論",
    "飆叔科技洞察",
]


def parse(text: str | bytes) -> list[ParsedArticle]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return batch.parse(data, HERE)


def error_of(text: str | bytes) -> BatchError:
    with pytest.raises(BatchError) as caught:
        parse(text)
    return caught.value


def test_seed_gives_eight_articles_with_their_sources_in_order(seed_path: Path) -> None:
    articles = batch.parse(seed_path.read_bytes(), seed_path)
    assert [a.source for a in articles] == SEED_SOURCES
    raw = seed_path.read_text(encoding="utf-8")
    lines = [line for line in raw.splitlines() if line.strip()]
    assert [a.title for a in articles] == lines[::2]
    for article, line in zip(articles, lines[1::2], strict=True):
        # The body is the line verbatim up to the source suffix: nothing dropped or moved.
        assert line.startswith(article.body)
        assert line[len(article.body) :].strip() == f"({article.source})"


def test_seed_bodies_keep_their_own_parentheses(seed_path: Path) -> None:
    articles = batch.parse(seed_path.read_bytes(), seed_path)
    opened = sum(len(re.findall(r"[(（]", a.body)) for a in articles)
    closed = sum(len(re.findall(r"[)）]", a.body)) for a in articles)
    raw_opened = len(re.findall(r"[(（]", seed_path.read_text(encoding="utf-8")))
    assert opened == closed == raw_opened - len(articles) == 170


@pytest.mark.parametrize(
    "text",
    [
        "標題\n內文。 (來源)\n",
        "標題\n內文。(來源)",  # no space before the source
        "標題\n內文。 （來源）\n",  # full-width parentheses
        "標題\n內文。 (來源)   \t\n",  # trailing white space
        "標題\r\n內文。 (來源)\r\n",  # CRLF
        "\ufeff標題\n內文。 (來源)\n",  # UTF-8 BOM
        "\n\n標題\n內文。 (來源)\n\n\n",  # blank lines around
    ],
)
def test_tolerated_variations(text: str) -> None:
    [article] = parse(text)
    assert (article.title, article.body, article.source) == ("標題", "內文。", "來源")


def test_blank_lines_between_articles_and_line_numbers() -> None:
    first, second = parse("一\n甲。 (A)\n\n\n二\n乙(含括號)。 (B)\n")
    assert (first.line, second.line) == (1, 5)
    assert second.body == "乙(含括號)。"


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "empty file"),
        (b"\n \n", 1, "empty file"),
        ("標題\n沒有來源的內文。\n".encode(), 2, "no source"),
        ("標題\n內文。 (甲)\n孤單的標題\n".encode(), 3, "odd number"),
        ("標題\n內文。 ()\n".encode(), 2, "empty source"),
        ("標題\n(來源)\n".encode(), 2, "empty body"),
        ("……\n內文。 (來源)\n".encode(), 1, "empty title"),
        ("標題\n內文\x00。 (來源)\n".encode(), 2, "U+0000"),
        ("標題\n內文\x07。 (來源)\n".encode(), 2, "U+0007"),
        ("標題\r內文。 (來源)\n".encode(), 1, "U+000D"),
        ("標題\n內文。 (來源)\n".encode() + b"\xff\xfe\n", 3, "not valid UTF-8"),
        ("標題\n".encode() + "內文".encode("big5") + "。 (來源)\n".encode(), 2, "UTF-8"),
        # Absurd items (issue 7.21): the defaults are 1,000 and 200,000 characters.
        (("長" * 1001 + "\n內文。 (來源)\n").encode(), 1, "a title of 1,001 characters"),
        (("標題\n" + "字" * 200_001 + " (來源)\n").encode(), 2, "a body of 200,001 characters"),
        # Bidirectional controls reorder what a reader sees: refused in titles and sources.
        ("標題\u202e反轉\n內文。 (來源)\n".encode(), 1, "U+202E in the title at column 3"),
        ("標題\n內文。 (來\u2067源)\n".encode(), 2, "U+2067 in the source"),
        # Issue 26.10: bidi controls in bodies too; zero-width characters in titles, sources.
        ("標題\n內文\u202e反轉。 (來源)\n".encode(), 2, "U+202E in the body at column 3"),
        ("標題\u200b\n內文。 (來源)\n".encode(), 1, "U+200B in the title at column 3"),
        ("標\ufeff題\n內文。 (來源)\n".encode(), 1, "U+FEFF in the title at column 2"),
        ("標題\n內文。 (來源\u2060)\n".encode(), 2, "U+2060 in the source"),
    ],
)
def test_errors_name_file_line_and_problem(data: bytes, line: int, words: str) -> None:
    error = error_of(data)
    assert error.line == line
    assert words in error.problem
    assert str(error).startswith(f"day.txt:{line}: ")


class Endless(io.RawIOBase):
    """A file that is one line with no end, counting what was read of it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[:] = b"x" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_a_line_without_end_is_refused_at_the_bound_not_read_whole() -> None:
    source = Endless()
    limits = batch.Limits(title_chars=10, body_chars=1000)
    with pytest.raises(BatchError) as caught:
        list(batch.read(io.BufferedReader(source), HERE, limits))
    assert caught.value.line == 1
    assert f"line longer than {limits.line_bytes:,} bytes" in caught.value.problem
    assert source.served < 2 * limits.line_bytes


def test_limits_are_the_configured_ones() -> None:
    limits = batch.Limits(title_chars=4, body_chars=6)
    assert parse_with("四個字的\n六個字的內文 (源)\n", limits)
    for text, line in [("五個字標題\n內文。 (源)\n", 1), ("題\n七個字的內文。 (源)\n", 2)]:
        with pytest.raises(BatchError) as caught:
            parse_with(text, limits)
        assert caught.value.line == line and "over the limit" in caught.value.problem


def parse_with(text: str, limits: batch.Limits) -> list[Any]:
    return batch.parse(text.encode(), HERE, limits)


# -- properties ------------------------------------------------------------------------------

_word = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=["Lu", "Ll", "Lo", "Nd", "Po", "Zs"], exclude_characters="()（）"
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() and any(c.isalnum() for c in s))


@given(st.binary(max_size=400))
def test_any_bytes_parse_or_fail_with_a_line_inside_the_file(data: bytes) -> None:
    try:
        articles = batch.parse(data, HERE)
    except BatchError as error:
        assert error.line is not None and 1 <= error.line <= data.count(b"\n") + 1
    else:
        assert all(a.title and a.body and a.source for a in articles)


@given(st.text(max_size=300))
def test_any_text_parses_or_fails_with_a_line_inside_the_file(text: str) -> None:
    try:
        articles = batch.parse(text.encode("utf-8", "surrogatepass"), HERE)
    except BatchError as error:
        assert error.line is not None and 1 <= error.line <= text.count("\n") + 1
    else:  # what parsed is whole articles, each part on one line
        for article in articles:
            parts = (article.title, article.body, article.source)
            assert all(part.strip() and "\n" not in part for part in parts), article


@given(st.lists(st.tuples(_word, _word, _word), min_size=1, max_size=5), st.booleans())
def test_written_articles_read_back(items: list[tuple[str, str, str]], crlf: bool) -> None:
    newline = "\r\n" if crlf else "\n"
    text = newline.join(
        f"{title}{newline}{body} ({source}){newline}" for title, body, source in items
    )
    parsed = parse(text)
    expected = [(t.strip(), b.strip(), s.strip()) for t, b, s in items]
    assert [(a.title, a.body, a.source) for a in parsed] == expected


# The rule as first written: a search for the parenthesised name at the end of the line.
_ANYWHERE = re.compile(r"\s*[(（]([^()（）]*)[)）]\s*$")


def _pairs_up(text: str) -> bool:
    depth = 0
    for char in text:
        depth += 1 if char in "(（" else -1 if char in ")）" else 0
        if depth < 0:
            return False
    return depth == 0


@given(st.text(alphabet="新聞稿a1 \u3000()（）", min_size=1, max_size=40))
def test_the_source_is_the_parenthesised_group_that_ends_the_line(body: str) -> None:
    """Where the first rule (a group without parentheses of its own, at the end) finds a
    source, the parser finds the same; where it found none, the parser finds one only in a
    group whose own parentheses pair up (路透社 (Reuters)), and splits the line there."""
    line = body.strip()  # as every line is read
    found = _ANYWHERE.search(line)
    expected = (line[: found.start()], found[1].strip()) if found else None
    try:
        (article,) = parse(f"標題\n{body}\n")
    except BatchError:
        assert expected is None or not expected[1] or not re.search(r"\w", expected[0])
        return
    if expected is not None:
        assert (article.body, article.source) == expected
        return
    assert _pairs_up(article.source) and re.search("[(（]", article.source)
    group = line[len(article.body) :].strip()
    assert line.startswith(article.body) and group[1:-1].strip() == article.source
    assert _pairs_up(group)


_inner = st.text(alphabet="路透社新華abc ", min_size=1, max_size=8).filter(str.strip)


@given(
    st.lists(
        st.tuples(_word, _word, _word, _inner, st.sampled_from(["()", "（）", "(）"])),
        min_size=1,
        max_size=4,
    )
)
def test_sources_with_parentheses_of_their_own_read_back(
    items: list[tuple[str, str, str, str, str]],
) -> None:
    """路透社 (Reuters), 新華社（Xinhua）: the source is the whole group that ends the line."""
    text = "".join(
        f"{title}\n{body} ({name} {pair[0]}{inner}{pair[1]})\n"
        for title, body, name, inner, pair in items
    )
    parsed = parse(text)
    expected = [(t.strip(), b.strip(), f"{n} {p[0]}{i}{p[1]}".strip()) for t, b, n, i, p in items]
    assert [(a.title, a.body, a.source) for a in parsed] == expected


_HIDDEN = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@given(_word, st.sampled_from(_HIDDEN), st.integers(min_value=1, max_value=30))
def test_a_zero_width_character_in_a_title_or_a_source_is_refused_with_its_column(
    word: str, hidden: str, at: int
) -> None:
    at = min(at, len(word))
    marked = word[:at] + hidden + word[at:]
    for text, line, what in [
        (f"{marked}\n內文。 (來源)\n", 1, "title"),
        (f"標題\n內文。 ({marked})\n", 2, "source"),
    ]:
        error = error_of(text)
        assert error.line == line
        assert f"U+{ord(hidden):04X} in the {what}" in error.problem


def test_a_byte_order_mark_that_starts_a_later_line_is_a_joined_file_not_text() -> None:
    joined = "標題一\n內文一。 (甲)\n\ufeff標題二\n內文二。 (乙)\n"
    assert [a.title for a in parse(joined)] == ["標題一", "標題二"]


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="".join(_HIDDEN))))
def test_text_without_zero_width_characters_normalises_as_before(text: str) -> None:
    """The identity of every article stored before (whose text has none of them) is kept:
    its key, and so its Atom id."""
    assert batch.normalise(text) == " ".join(unicodedata.normalize("NFC", text).split())


@given(_word, st.lists(st.sampled_from(_HIDDEN), min_size=1, max_size=3), st.data())
def test_zero_width_characters_leave_the_identity_alone(
    word: str, hidden: list[str], data: st.DataObject
) -> None:
    marked = word
    for char in hidden:
        at = data.draw(st.integers(min_value=0, max_value=len(marked)))
        marked = marked[:at] + char + marked[at:]
    assert batch.normalise(marked) == batch.normalise(word)
