"""The static search index: character bigrams over both scripts, split into parts.

Chinese has no spaces, so the index holds every pair of adjacent Han characters (bigrams)
and every run of letters or digits (words, lower-cased) of an article's title, body and
source. Each article is indexed with its text in *both* scripts, so a query typed in either
script finds it without converting the query in the browser; `templates/search.js`
tokenises a query exactly as `terms()` does here.

Files, below the output folder:
- `search/meta.json`: how many articles, parts and documents per chunk (read first), and
  where the recent segment begins, if there is one;
- `search/terms/<parts>/<n>.json`: the postings of the terms whose FNV-1a hash modulo
  `parts` is n, as `{term: [first id, gap, gap, …]}`. A query fetches one part per term;
  the number of parts grows with the archive, so a part stays small;
- `search/recent/<parts>/<n>.json`: the same for the recent segment, once the archive
  holds two spans of RECENT_SPAN articles: the ids past the base's last whole span. A query
  fetches one part of each segment per term;
- `search/<edition>/docs/<n>.json`: what a result shows (path, title, source, date, body)
  for the DOCS_PER_FILE articles from n·DOCS_PER_FILE on, plus the edits that turn the text
  into the other script, so the browser can mark a match made in that script.

Article ids count up in the order articles were stored (by store generation; within one,
oldest day first and batch order), so new articles append ids whatever their date: they
change the last chunk, the parts their terms fall in, and meta.json. A build that only adds
articles appends their postings to the parts the last build wrote (the same bytes a whole
computation gives) instead of reading every article again: those of the base while it is
the whole index, then those of the recent segment, a few small files. The base is made
again when a span of RECENT_SPAN articles joins it. Appending to a term's list needs its last
id, the sum of the list: a cache (`_Lasts`) keeps them, so that a day's build does not
read lists that grow with the recent segment. Otherwise pure: renditions in, bytes out.
"""

from __future__ import annotations

import array
import bisect
import hashlib
import itertools
import json
import logging
import operator
import pickle
import re
import shutil
import tempfile
import unicodedata
import weakref
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, compress, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeAlias

from publisher.files import cache_home, private_folder, temporary_folder, write_atomic
from publisher.records import ArticleRef, Edition, Rendition
from publisher.site.outputs import Output, Render, Scope, Slices, written_before
from publisher.site.paths import Site

log = logging.getLogger(__name__)

DOCS_PER_FILE = 32  # articles per document chunk: a page of results fetches a few small files
# Articles in a span of the recent segment: the newest articles are indexed apart from the
# base, in part_count(RECENT_SPAN) small parts, so adding a day rewrites those, not thousands of
# the base's; a whole span joins the base, which is then made again.
RECENT_SPAN = 4096
TARGET_PER_PART = 48  # articles per postings part, on average: see part_count()
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A Han bigram: each pair is found in two passes, those at even offsets into a run of Han
# characters, then those at odd ones (`(?=(..))` at every position took twice as long).
_EVEN_PAIR = re.compile(rf"[{_HAN}]{{2}}")
_ODD_PAIR = re.compile(rf"(?<=[{_HAN}])[{_HAN}]{{2}}")
_WORD = re.compile(rf"[^\W_{_HAN}]+")  # letters or digits, Han ones aside
# Characters of Chinese news text that NFKC changes, and what NFKC decomposes them into.
# Put so before normalising, they leave most texts already normal: NFKC's quick check then
# returns the text as it is, instead of composing it anew (most of terms()' time). The
# result is the same, since NFKC decomposes every character first.
_WIDE = [(char, unicodedata.normalize("NFKD", char)) for char in "，（）：；？！　…\xa0"]
_CLAUSE = re.compile(r"[^，。！？；：,.!?;:]*[，。！？；：,.!?;:]")  # but the last
_DIFFERING = re.compile(rb"[\x01\x02]\x01*")
_ONES = bytes([0, *[1] * 255])  # for bytes.translate: 1 for every byte but 0


def terms(text: str) -> set[str]:
    """The index terms of `text`: Han bigrams and lower-cased words of letters or digits.
    A lone Han character between other characters is not a term (see README, search)."""
    for wide, narrow in _WIDE:
        text = text.replace(wide, narrow)
    text = unicodedata.normalize("NFKC", text).lower()
    found = set(_EVEN_PAIR.findall(text))
    found.update(_ODD_PAIR.findall(text))
    found.update(_WORD.findall(text))
    return found


def fnv1a(term: str) -> int:
    """32-bit FNV-1a over the term's code points; search.js computes the same."""
    value = 0x811C9DC5
    for char in term:
        value = ((value ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return value


def part_count(articles: int) -> int:
    """A power of two near articles / TARGET_PER_PART, at least 8. It changes only when the
    archive doubles (then every part is written anew, under a new folder)."""
    count = 8
    while count * TARGET_PER_PART < articles:
        count *= 2
    return count


Edits: TypeAlias = list[tuple[int, int, str]]  # (start, end, replacement), in order


def twin_edits(text: str, twin: str) -> Edits:
    """(start, end, replacement) edits that turn `text` into `twin`, clause by clause:
    conversion keeps punctuation, so clauses pair up and each stays short to align."""
    return _twin_edits(text, twin, None)


def twin_edits_both(text: str, twin: str) -> tuple[Edits, Edits]:
    """twin_edits(text, twin) and twin_edits(twin, text), the clauses split and compared
    once: the differing characters of clauses as long are those of both."""
    back: Edits = []
    return _twin_edits(text, twin, back), back


def _twin_edits(text: str, twin: str, back: Edits | None) -> Edits:
    """The edits of `text` into `twin`, and with `back` those of `twin` into `text` added
    to it."""
    lengths, others = _clause_lengths(text), _clause_lengths(twin)
    if len(lengths) != len(others):
        lengths, others = [len(text)], [len(twin)]
    starts, twin_starts = [*accumulate(lengths, initial=0)], [*accumulate(others, initial=0)]
    edits: Edits = []
    # Most conversions keep the length (one character for one): a run of such clauses is
    # gone through in one pass, and no edit spans two of them. The others (記憶體 → 内存),
    # found at C speed, are aligned as difflib would.
    run = 0  # the clause the run begins at
    for clause in compress(itertools.count(), map(operator.ne, lengths, others)):
        _one_for_one(edits, back, text, twin, starts[run : clause + 1], twin_starts[run])
        at, there = starts[clause], twin_starts[clause]
        piece, other = text[at : starts[clause + 1]], twin[there : twin_starts[clause + 1]]
        if back is None:
            spans = _aligned(piece, other)
        else:
            spans, back_spans = _aligned_both(piece, other)
            back += [(there + start, there + end, piece[j:k]) for start, end, j, k in back_spans]
        edits += [(at + start, at + end, other[j:k]) for start, end, j, k in spans]
        run = clause + 1
    _one_for_one(edits, back, text, twin, starts[run:], twin_starts[run])
    return edits


Spans: TypeAlias = list[tuple[int, int, int, int]]  # (start, end, twin's start, end)


def _aligned(text: str, twin: str) -> Spans:
    """The spans of `text` and `twin` that differ, as difflib's SequenceMatcher (without
    junk) aligns them: the longest common run first (the earliest in `text`, then in
    `twin`, of the longest), then the same on either side of it. Each range's longest run
    is a piece of one of the texts' maximal runs, found once: difflib looks at every pair
    of equal characters again in each range, which took twice as long."""
    return _spans(len(text), len(twin), _runs(text, twin))


def _aligned_both(text: str, twin: str) -> tuple[Spans, Spans]:
    """_aligned(text, twin) and _aligned(twin, text), the maximal runs found once: they
    are those of both, each the other way round. The alignments are made apart, since a
    tie between runs as long goes to the earliest in the first text."""
    runs = _runs(text, twin)
    turned = [[j, i, length] for i, j, length in runs]
    return _spans(len(text), len(twin), runs), _spans(len(twin), len(text), turned)


def _runs(text: str, twin: str) -> list[list[int]]:
    """Every maximal run of characters common to `text` and `twin`, as [start in text, in
    twin, length], the longest first."""
    where: dict[str, list[int]] = {}
    for j, char in enumerate(twin):
        where.setdefault(char, []).append(j)
    runs: list[list[int]] = []
    ends: dict[int, list[int]] = {}  # the last run on each diagonal (j - i)
    for i, char in enumerate(text):
        for j in where.get(char, ()):
            run = ends.get(j - i)
            if run is not None and run[0] + run[2] == i:
                run[2] += 1
            else:
                run = ends[j - i] = [i, j, 1]
                runs.append(run)
    runs.sort(key=lambda run: -run[2])  # _spans breaks ties between runs as long
    return runs


def _spans(text_size: int, twin_size: int, runs: list[list[int]]) -> Spans:
    """The differing spans of a text and its twin, `text_size` and `twin_size` long,
    whose maximal common runs are `runs` (the longest first), as _aligned gives them."""
    blocks = [(text_size, twin_size, 0)]
    ranges = [(0, text_size, 0, twin_size, runs)]
    while ranges:
        low, high, twin_low, twin_high, candidates = ranges.pop()
        best = best_twin = size = 0
        for i, j, length in candidates:
            if length < size:
                break  # no piece of this run or the next is as long
            skip = max(low - i, twin_low - j, 0)
            found = min(high - i, twin_high - j, length) - skip
            if found > size or (found == size > 0 and (i + skip, j + skip) < (best, best_twin)):
                best, best_twin, size = i + skip, j + skip, found
        if size:
            blocks.append((best, best_twin, size))
            if low < best and twin_low < best_twin:
                before = [run for run in candidates if run[0] < best and run[1] < best_twin]
                ranges.append((low, best, twin_low, best_twin, before))
            end, twin_end = best + size, best_twin + size
            if end < high and twin_end < twin_high:
                after = [
                    run
                    for run in candidates
                    if run[0] + run[2] > end and run[1] + run[2] > twin_end
                ]
                ranges.append((end, high, twin_end, twin_high, after))
    spans, i, j = [], 0, 0
    for start, twin_start, size in sorted(blocks):
        if i < start or j < twin_start:
            spans.append((i, start, j, twin_start))
        i, j = start + size, twin_start + size
    return spans


def _clause_lengths(text: str) -> list[int]:
    """How long each clause of `text` is: each ends at punctuation, but the last (maybe
    empty), which ends with the text."""
    lengths = [*map(len, _CLAUSE.findall(text))]
    lengths.append(len(text) - sum(lengths))
    return lengths


def _one_for_one(
    edits: Edits, back: Edits | None, text: str, twin: str, bounds: list[int], there: int
) -> None:
    """Add the edits of `twin` from `there` on over the clauses of `text` that begin at
    `bounds` (the last ends them), as long in both: each run of differing characters
    within a clause, found at C speed in a mask of them (1; 2 where a clause begins, which
    no run goes on through). With `back`, add the same runs the other way to it."""
    at, end = bounds[0], bounds[-1]
    piece, other = text[at:end], twin[there : there + end - at]
    if piece == other:
        return
    mask = _differing(piece, other)
    for start in bounds[1:-1]:
        # A run goes on through a clause's beginning only if its punctuation differs too.
        if 0 < start - at < len(mask) and mask[start - at - 1] and mask[start - at]:
            mask[start - at] = 2
    spans: Iterable[tuple[int, int]] = map(re.Match.span, _DIFFERING.finditer(mask))
    if back is not None:
        spans = [*spans]
        back += [(there + start, there + end, piece[start:end]) for start, end in spans]
    edits += [(at + start, at + end, other[start:end]) for start, end in spans]


def _differing(text: str, twin: str) -> bytearray:
    """1 where the character of `text` differs from that of `twin`, as long, else 0: the
    texts' code points XORed, as one number each, then each character's four bytes ORed
    into its first."""
    code = "utf-32-le"
    number = int.from_bytes(text.encode(code, "surrogatepass"), "little")
    number ^= int.from_bytes(twin.encode(code, "surrogatepass"), "little")
    number |= number >> 16
    number |= number >> 8
    return bytearray(number.to_bytes(4 * len(text), "little")[::4]).translate(_ONES)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


Ids: TypeAlias = "array.array[int]"  # subscriptable only when type-checking, in 3.11
Split: TypeAlias = dict[int, dict[str, Ids]]  # part → term → ids, ascending
# Postings held in memory before they are set aside on disk: about 16 MB of ids. A whole
# index holds about a thousand per article (both scripts), so past some 4,000 articles the
# first build's memory stays flat as the archive grows.
SPILL_POSTINGS = 4_000_000


class _Postings:
    """Every part of the index, computed once per build from the articles numbered from
    `first` on, in every edition, and shared by the part outputs (each takes its slice).

    The renditions come a slice at a time (`Slices`); what they yield goes to a temporary
    folder, a file per part, every SPILL_POSTINGS postings, and each part reads its own file
    back when it renders: memory holds one batch, not the whole index."""

    def __init__(
        self, parts: int, texts: int, first: int = 0, spill_to: Path | None = None
    ) -> None:
        self.parts = parts
        self.texts = texts  # how many texts of each article an output gets
        self.first = first
        # Where the batches wait: the output folder, whose temporaries the build after a
        # killed one sweeps (else the system's temporary folder).
        self.spill_to = spill_to
        self._split: Split | None = None  # the last batch, kept in memory
        self._spilled: Path | None = None  # removed with this object, or at exit

    def render(self, number: int, slices: Slices) -> bytes:
        return _json({term: _gaps(ids) for term, ids in self.of(number, slices).items()})

    def of(self, number: int, slices: Slices) -> dict[str, Ids]:
        if self._split is None:
            self._split = self._compute(slices)
        # Each part is rendered once: its postings go as it takes them, so a build holds no
        # segment's last batch after its parts are written (the base and the recent both).
        held = self._split.pop(number, {})
        if self._spilled is None:
            return held
        found: dict[str, Ids] = {}
        # Batches were set aside in id order, so each list grows at its end.
        spilled = self._spilled / str(number)
        for batch in (*_batches(spilled), held):
            for term, ids in batch.items():
                found.setdefault(term, array.array("I")).extend(ids)
        spilled.unlink(missing_ok=True)  # each part is read once: give the room back now
        return found

    def _compute(self, slices: Slices) -> Split:
        # A batch's postings by term alone: a term is put in its part once per batch, not
        # once per article that has it.
        postings: dict[str, Ids] = defaultdict(lambda: array.array("I"))
        held = 0
        texts_of = (texts for chosen in slices for texts in _columns(chosen, self.texts))
        for number, texts in enumerate(texts_of, start=self.first):
            # One text of them all: a line break ends every term, so the terms are those of
            # each part together.
            words = terms("\n".join(_parts(texts)))
            # Each term's list gets the number, at C speed (a thousand terms an article).
            deque(map(_append, map(postings.__getitem__, words), repeat(number)), maxlen=0)
            held += len(words)
            if held >= SPILL_POSTINGS:
                self._spill(self._parts(postings))
                postings, held = defaultdict(lambda: array.array("I")), 0
        return self._parts(postings)

    def _parts(self, postings: dict[str, Ids]) -> Split:
        split: Split = _split()
        for term, ids in postings.items():
            split[fnv1a(term) % self.parts][term] = ids
        return split

    def _spill(self, split: Split) -> None:
        if self._spilled is None:
            if self.spill_to is None:
                self._spilled = Path(tempfile.mkdtemp(prefix="publisher-search-"))
            else:
                self._spilled = temporary_folder(self.spill_to, "search-postings")
            weakref.finalize(self, shutil.rmtree, self._spilled, ignore_errors=True)
        for number, postings in split.items():
            # pickle: our own files, in a folder only this user can read (mode 0700).
            with (self._spilled / str(number)).open("ab") as handle:
                pickle.dump(dict(postings), handle)


_append = array.array.append


def _parts(renditions: Iterable[Rendition]) -> Iterator[str]:
    for rendition in renditions:
        yield from (rendition.text.title, rendition.text.body, rendition.text.source)


def _split() -> Split:
    return defaultdict(lambda: defaultdict(lambda: array.array("I")))


def _batches(path: Path) -> Iterator[dict[str, Ids]]:
    """The batches set aside in `path`, in the order they were."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:  # none of the part's terms came before the last batch
        return
    with handle:
        while handle.peek(1):
            yield pickle.load(handle)


def _columns(chosen: Sequence[Rendition], count: int) -> Iterable[tuple[Rendition, ...]]:
    """An output with `twins` gets its renditions, then the same articles in each twin: per
    article, its `count` texts."""
    size = len(chosen) // count
    return zip(*(chosen[at * size : (at + 1) * size] for at in range(count)), strict=True)


def _gaps(ids: Sequence[int]) -> list[int]:
    return list(map(operator.sub, ids, itertools.chain((0,), ids)))  # at C speed


def _doc(site: Site, own: Rendition, edits: tuple[Edits, Edits]) -> list[object]:
    text = own.text
    path = site.article_path(own.edition, own.article).removeprefix(f"{own.edition}/")
    return [path, text.title, text.source, own.article.batch_date.isoformat(), text.body, *edits]


def _docs(site: Site, chosen: Sequence[Rendition], given: dict[str, tuple[Edits, Edits]]) -> bytes:
    """A chunk's documents: each article's edits of its title and body into its twin's,
    those `given` by article key, the others computed."""
    docs = []
    for own, twin in _columns(chosen, 2):
        edits = given.get(own.article.key)
        if edits is None:
            text, other = own.text, twin.text
            edits = twin_edits(text.title, other.title), twin_edits(text.body, other.body)
        docs.append(_doc(site, own, edits))
    return _json(docs)


class _Twins:
    """A chunk's documents in two editions that are each other's twin (zh-Hant's, then
    zh-Hans'), made in a row: the first one edits each article's texts both ways at once
    (`twin_edits_both`) and keeps the edits back, which the other one takes instead of
    comparing the same texts again. Only the last chunk's are kept; a chunk
    whose twin was made elsewhere (another worker's part of the build) finds none of its
    articles there, and computes them."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._back: dict[str, tuple[Edits, Edits]] = {}  # by article key

    def first(self, chosen: Sequence[Rendition]) -> bytes:
        docs, back = [], {}
        for own, twin in _columns(chosen, 2):
            text, other = own.text, twin.text
            title, title_back = twin_edits_both(text.title, other.title)
            body, body_back = twin_edits_both(text.body, other.body)
            docs.append(_doc(self.site, own, (title, body)))
            back[own.article.key] = (title_back, body_back)
        self._back = back
        return _json(docs)

    def second(self, chosen: Sequence[Rendition]) -> bytes:
        back, self._back = self._back, {}
        return _docs(self.site, chosen, back)


def base_end(count: int) -> int:
    """Where the base segment of an index of `count` articles ends: the archive less the
    RECENT_SPAN most recent span, once there are two; before, the base holds every article."""
    if count < 2 * RECENT_SPAN:
        return count
    return count - count % RECENT_SPAN


def outputs(
    site: Site,
    index: Iterable[ArticleRef],
    added: frozenset[str] | None = None,
    root: Path | None = None,
    scope: Scope | None = None,
) -> list[Output]:
    """The index's files, from the store's article index, newest first. Given the keys
    `added` since the last build and the output folder `root` it wrote, the parts of the
    segment that takes new articles get their postings onto the files there; given a
    `scope`, the documents of the articles before it are left out (they stay)."""
    keys = stored_order(index)
    count, base = len(keys), base_end(len(keys))
    # The count before `added`, when they are the newest keys: the last build's index.
    old: int | None = count - len(added or ())
    if not (added and root and set(keys[old:]) == added):
        old = None
    parts, recent_parts = part_count(base), part_count(RECENT_SPAN)
    meta: dict[str, object] = {"count": count, "chunk": DOCS_PER_FILE, "parts": parts, "version": 1}
    if base < count:
        meta["recent"] = {"from": base, "parts": recent_parts}
    first, *others = site.editions
    editions = (first, *others)
    plan = [Output("search/meta.json", (repr(meta),), first, lambda _: _json(meta), templates=())]
    # The base takes appends only while it is the whole index; once a recent segment
    # exists, the base changes when a span of RECENT_SPAN joins it, and is then made whole.
    appendable = old is not None and base == count and part_count(old) == parts
    since = old if appendable else None
    # Within a scope, a base that neither takes the new articles nor grew by a span shows
    # what it showed: its parts (thousands at 100,000 articles) are left out of the plan.
    unchanged = scope and old is not None and base < count and base_end(old) == base
    if not unchanged:
        plan += _segment(keys[:base], 0, f"terms/{parts}", parts, editions, since, root)
    if base < count:
        appendable = old is not None and base_end(old) == base and old > base
        recent = f"recent/{recent_parts}"
        since = old if appendable else None
        plan += _segment(keys[base:], base, recent, recent_parts, editions, since, root)
    # Within a scope, the chunks before the new articles' show what they showed.
    since_chunk = old - old % DOCS_PER_FILE if scope and old is not None else 0
    # Marks a match typed in the other script: the edits to its first edition's text.
    twins = {edition: (site.editions.default(edition.script.twin),) for edition in editions}
    # The first editions of the scripts are each other's twin: the chunks of the one
    # planned first compute the edits of both.
    together = _Twins(site)
    docs: dict[Edition, Render] = {}
    for edition, (twin,) in twins.items():
        if twins[twin] != (edition,):
            docs[edition] = lambda chosen: _docs(site, chosen, {})
        else:
            docs[edition] = together.second if twin in docs else together.first
    # A chunk's documents in every edition in a row: each shows the chunk's articles in
    # both scripts, which a group of outputs reads once.
    for start in range(since_chunk, len(keys), DOCS_PER_FILE):
        chunk = keys[start : start + DOCS_PER_FILE]
        plan += [
            Output(
                f"search/{edition}/docs/{start // DOCS_PER_FILE}.json",
                chunk,
                edition,
                docs[edition],
                twins[edition],
                templates=(),
            )
            for edition in editions
        ]
    return plan


def remove_unnamed_parts(root: Path) -> list[Path]:
    """Remove the folders of parts under search/terms/ and search/recent/ that the index's
    meta.json (the one in place) no longer names: an index split anew (the archive doubled)
    is written under a new folder, and the old one would stay for ever. Called once the new
    index is in place; what a kill leaves half removed is still unnamed, and the next
    build removes it. Returns what it removed."""
    folder = root / "search"
    try:
        meta = json.loads((folder / "meta.json").read_bytes())
    except (OSError, ValueError):  # no index yet, or not ours: touch nothing
        return []
    if not isinstance(meta, dict):
        return []
    recent = meta.get("recent")
    named = {
        folder / "terms" / str(meta.get("parts")),
        folder / "recent" / str(recent.get("parts") if isinstance(recent, dict) else None),
    }
    removed = []
    for segment in (folder / "terms", folder / "recent"):
        found = list(segment.iterdir()) if segment.is_dir() else []
        for parts in found:
            if parts.name.isdigit() and parts.is_dir() and parts not in named:
                shutil.rmtree(parts)
                removed.append(parts)
    return removed


def stored_order(index: Iterable[ArticleRef]) -> tuple[str, ...]:
    """The keys of an index (newest first) in stored order: by generation, the oldest day
    first within one, each day in batch order; ids only append. A stable sort of the
    runs of one generation and day gives what a stable sort of the rows gives, at C speed
    (an index holds a few thousand runs)."""
    runs = [(run, list(refs)) for run, refs in itertools.groupby(index, itemgetter(3, 1))]
    runs.sort(key=itemgetter(0))  # generation, day
    return tuple(map(itemgetter(0), itertools.chain.from_iterable(refs for _, refs in runs)))


def _segment(
    keys: tuple[str, ...],
    first_id: int,
    folder: str,
    parts: int,
    editions: tuple[Edition, ...],
    old: int | None,
    root: Path | None,
) -> list[Output]:
    """The parts of one segment, the articles `keys` numbered from `first_id`, under
    search/`folder`. With `old` (the ids the last build's files of this segment end at,
    those after being new) the new articles' postings go onto those files in `root`."""
    paths = [f"search/{folder}/{n}.json" for n in range(parts)]
    first, *others = editions
    if old is not None and root is not None:
        postings = _Postings(parts, len(editions), first=old)
        new = keys[old - first_id :]
        lasts = _Lasts.kept(root / f"search/{folder}", parts)
        return [
            Output(
                path,
                new,
                first,
                _appended(postings, n, root / path, lasts),
                tuple(others),
                made_of=keys,
                templates=(),
            )
            for n, path in enumerate(paths)
        ]
    whole = _Postings(parts, len(editions), first=first_id, spill_to=root)
    return [
        Output(path, keys, first, _part(whole, n), tuple(others), _streamed(whole, n), templates=())
        for n, path in enumerate(paths)
    ]


def _part(postings: _Postings, number: int) -> Callable[[Sequence[Rendition]], bytes]:
    return lambda chosen: postings.render(number, [chosen])


def _streamed(postings: _Postings, number: int) -> Callable[[Slices], bytes]:
    return lambda slices: postings.render(number, slices)


def _appended(
    postings: _Postings, number: int, previous: Path, lasts: _Lasts | None
) -> Callable[[Sequence[Rendition]], bytes]:
    """Part `number` as the last build wrote it, with the new articles' postings after
    (their ids are all higher, so each list only grows at its end). A build killed before
    it recorded itself may have appended some of them already: those are cut off first."""

    def render(chosen: Sequence[Rendition]) -> bytes:
        new = postings.of(number, [chosen])
        old = written_before(previous)
        known = lasts.of(previous, old) if lasts is not None else None
        made, touched = old, dict[str, int]()
        if new:
            text, touched = appended(old.decode(), new, postings.first, known)
            made = text.encode()
        if lasts is not None:
            lasts.keep(previous, made, (known or {}) | touched)
        return made

    return render


class _Lasts:
    """Last ids of terms of a segment's parts, kept between builds in a private cache
    folder: one file per segment, written once its parts are all made, each part's under
    the digest of the part's bytes they are of. A part that does not read so (a build
    killed after the cache was written, a file edited) finds nothing, and its lists are
    read instead. A build keeps the ids it knew and those of the terms it added to: a
    part's first append after it was made whole reads its terms' lists, and the often-used
    terms, whose lists are the long ones, are soon kept."""

    def __init__(self, file: Path, parts: int) -> None:
        self.file = file
        self.left = parts  # parts this build has not made yet
        self.held: dict[str, Any] | None = None  # what the last build kept, once read
        self.made: dict[str, object] = {}

    @classmethod
    def kept(cls, segment: Path, parts: int) -> _Lasts | None:
        """The cache of the segment whose parts are in the folder `segment`."""
        folder = private_folder(cache_home() / "search-lasts")
        if folder is None:
            return None
        return cls(folder / f"{_digest(str(segment.absolute()).encode())}.json", parts)

    def of(self, part: Path, written: bytes) -> dict[str, int] | None:
        """Last ids of terms of `part`, which holds `written`, if they are kept."""
        if self.held is None:
            self.held = self._read()
        entry = self.held.get(part.name)
        if not isinstance(entry, dict) or entry.get("of") != _digest(written):
            return None
        lasts: dict[str, int] = entry["lasts"]
        return lasts

    def keep(self, part: Path, written: bytes, lasts: dict[str, int]) -> None:
        """Keep `lasts`, last ids of terms of `part` as it will hold `written`."""
        self.made[part.name] = {"of": _digest(written), "lasts": lasts}
        self.left -= 1
        if self.left:
            return
        try:
            made = json.dumps(self.made, ensure_ascii=False).encode()
            write_atomic(self.file, made, sync=False)  # a cache: see the class
        except OSError as error:
            log.info("the search index's cache was not written: %s", error)

    def _read(self) -> dict[str, Any]:
        try:
            held = json.loads(self.file.read_bytes())
        except (OSError, ValueError):  # none yet, or left damaged by a crash
            return {}
        return held if isinstance(held, dict) else {}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# A part as _json writes it: {"term":[gaps],"term":[gaps]}, terms sorted. A term is Han
# characters, letters or digits (`terms`), never a character JSON escapes, so "],\"" is
# found only between two terms' lists.
_BETWEEN = '],"'


def appended(
    old: str, new: dict[str, Ids], first: int, lasts: dict[str, int] | None = None
) -> tuple[str, dict[str, int]]:
    """The part `old` (as _json wrote it) with the postings `new`, all at ids from `first`
    on, after each term's: the bytes _json gives the merged dict, made by editing the
    text at the new terms alone (reading and writing every term took most of a day's
    build), and the last id of each term of `new`. Ids from `first` on already there,
    appended by a build killed before it recorded itself, are cut off first: that build's
    terms are among these. `lasts`, each term's last id in `old`, spares reading its list
    (at 4,000 articles in the recent segment that took 0.3 s of a day's build)."""
    pieces = old[2:-2].split(_BETWEEN) if old != "{}" else []
    merged: list[str] = []
    at = 0  # pieces before `at` are in `merged`
    for term in sorted(new):
        tail = _gaps(new[term])
        # A piece is its term, '"' and its list: '"' sorts before any character of a term,
        # so the pieces sort as their terms do, and 'term"' finds the term's piece.
        found = bisect.bisect_left(pieces, f'{term}"', at)
        merged += pieces[at:found]
        at = found
        listed = ""
        if found < len(pieces) and pieces[found].startswith(f'{term}":'):
            listed = pieces[found][len(term) + 3 :]
            last = lasts.get(term) if lasts is not None else None
            if last is None or last >= first:
                gaps: list[int] = json.loads(f"[{listed}]")  # C speed: lists run to thousands
                last = sum(gaps)
                if last >= first:
                    gaps = _below(gaps, first)
                    listed, last = ",".join(map(str, gaps)), sum(gaps)
            tail[0] -= last  # the first new id, after the last old one
            listed += "," if listed else ""
            at += 1
        merged.append(f'{term}":[{listed}{",".join(map(str, tail))}')
    merged += pieces[at:]
    text = '{"' + _BETWEEN.join(merged) + "]}" if merged else "{}"
    return text, {term: ids[-1] for term, ids in new.items()}


def _below(gaps: list[int], first: int) -> list[int]:
    """The gaps of a postings list's ids below `first`."""
    if sum(gaps) < first:
        return gaps
    kept, at = [], 0
    for gap in gaps:
        at += gap
        if at >= first:
            break
        kept.append(gap)
    return kept
