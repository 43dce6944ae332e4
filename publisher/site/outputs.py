"""One planned output of the build: a path, what it is made from, and how to render it;
and, for a build that only adds articles, its scope and the files it adds to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from publisher.errors import PublisherError
from publisher.records import ArticleRef, Edition, Rendition
from publisher.site.grouping import Groups, month_label, month_of

Render = Callable[[Sequence[Rendition]], bytes]
# The renditions of an output's keys a slice at a time, each slice laid out as `Render` gets
# the whole (see `twins`), in the order of the keys.
Slices = Iterable[Sequence[Rendition]]


# slots: a 100,000-article site plans some 200,000 of these.
@dataclass(frozen=True, slots=True)
class Output:
    """One file to produce: `render` gets the renditions of `keys` in the edition `edition`,
    newest first.

    With `twins`, it gets those renditions followed by the same articles in each of those
    other editions (in the order of `keys`), for outputs such as the search index that hold
    every edition's text.

    With `streamed`, the build calls it instead of `render`, with the renditions loaded a
    slice at a time: an output made from the whole archive then needs no more memory than
    one slice of it.

    With `made_of`, that is what it shows and is fingerprinted by, and `keys` the articles
    it makes anew (an output that adds them to its file, `Added`): its fingerprint is then
    the one a plan of the whole output gives, and the next build finds it unchanged.

    `templates` are the templates its render gets (those they include or extend go with
    them: `templating.Marks`); None, for an output that does not say, is every template."""

    path: str
    keys: tuple[str, ...]
    edition: Edition
    render: Render
    twins: tuple[Edition, ...] = ()
    streamed: Callable[[Slices], bytes] | None = None
    made_of: tuple[str, ...] | None = None
    templates: tuple[str, ...] | None = None

    @property
    def shows(self) -> tuple[str, ...]:
        """What the output is made from: its fingerprint's keys."""
        return self.keys if self.made_of is None else self.made_of


@dataclass(frozen=True)
class Extra:
    """Outputs a later package adds to the build's plan (the digest's web archive, which
    the mail package renders), so that one build writes the whole output folder. `outputs`
    plans them from the article index's groups, within a build's scope as `build.plan`
    does, but for those it plans `beside_day`; `key` is what else they depend on (the
    build's shortcut holds it), such as the weeks that have ended. `again` makes the same
    Extra in another process (a build's worker, which plans what it renders): a call that
    can be sent there, such as a module function given the configuration."""

    key: str
    outputs: Callable[[Groups, Scope | None], list[Output]]
    again: Callable[[], Extra]
    # What it shows of a day's articles (the digest's page of the day), given the edition,
    # the day and its keys: planned right after that day's pages, which show the same
    # articles, so that a group of outputs reads them once. `outputs` plans the rest.
    beside_day: Callable[[Edition, dt.date, tuple[str, ...]], list[Output]] | None = None


@dataclass(frozen=True)
class Added:
    """The keys stored since the last build, when that is all that changed, and the output
    folder that build wrote: an output of many articles may take those it showed then from
    its file there (search parts, Atom documents)."""

    keys: frozenset[str]
    root: Path

    def among(self, keys: Sequence[str]) -> list[str] | None:
        """Those of `keys` added, when there are some and not only those: then an output
        of `keys` can make theirs and keep the others from its file; else None."""
        if self.keys.isdisjoint(keys):  # most outputs, at C speed
            return None
        new = [key for key in keys if key in self.keys]
        return new if len(new) < len(keys) else None


def written_before(previous: Path) -> bytes:
    """A file the last build wrote, which a build that adds articles adds to."""
    try:
        return previous.read_bytes()
    except FileNotFoundError:
        raise PublisherError(
            f"{previous}: missing from the last build's output; run `publisher build --full`"
        ) from None


def not_as_written(previous: Path) -> PublisherError:
    """The error of a file the last build wrote that does not read as that build wrote it."""
    return PublisherError(
        f"{previous}: not as the last build wrote it; run `publisher build --full`"
    )


@dataclass(frozen=True)
class Scope:
    """What a build can change when all that changed since the last one is the articles
    `added`, and they keep the archive's first and newest month, each source's first
    article and the months each source has articles in: the outputs of their days, months
    and sources. An output of other days,
    months or sources shows the same articles, links and names as before, so the plan
    leaves it out (at 100,000 articles, most of the plan)."""

    days: frozenset[dt.date]
    months: frozenset[tuple[int, int]]
    sources: frozenset[str]

    @classmethod
    def of(cls, index: Sequence[ArticleRef], added: frozenset[str]) -> Scope | None:
        """The scope of `added` in the article `index` (newest first), or None when they
        move the archive's month range or a source's first article (a new month, a new
        source): then every output is planned."""
        old = [ref for ref in index if ref.key not in added]
        if not (added and old):
            return None
        if _months(old) != _months(index):
            return None
        first: dict[str, ArticleRef] = {}
        for ref in index:  # newest first: the last one stays
            first[ref.source] = ref
        new = [ref for ref in index if ref.key in added]
        if any(first[ref.source].key in added for ref in new) or _new_months(index, new, added):
            return None
        return cls(
            frozenset(ref.day for ref in new),
            frozenset(month_of(ref.day) for ref in new),
            frozenset(ref.source for ref in new),
        )

    def has_month(self, day: dt.date) -> bool:
        return month_of(day) in self.months

    def labels(self) -> frozenset[str]:
        """Its months as YYYY-MM."""
        return frozenset(map(month_label, self.months))


def _new_months(
    index: Sequence[ArticleRef], new: Sequence[ArticleRef], added: frozenset[str]
) -> bool:
    """Whether an added article is its source's first of a month: the feed history then
    gains a document, and the months beside it their links to it (only months with entries
    have one). Looks at the index only back to the added articles' first month."""
    earliest = min(dt.date(*month_of(ref.day), 1) for ref in new)
    before: set[tuple[str, tuple[int, int]]] = set()
    for ref in index:  # newest first
        if ref.day < earliest:
            break
        if ref.key not in added:
            before.add((ref.source, month_of(ref.day)))
    return any((ref.source, month_of(ref.day)) not in before for ref in new)


def _months(index: Sequence[ArticleRef]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The newest and the first month of an index, newest first."""
    return month_of(index[0].day), month_of(index[-1].day)
