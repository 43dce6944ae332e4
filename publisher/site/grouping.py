"""The article index grouped once for the planners: by day, and each source's by day. The
feeds, pages, source pages and archive documents each want it one way or another, and at
100,000 articles a pass over the index in Python cost more than the planning it fed. The
passes here run at C speed (groupby, sorted, map); the planners then work per day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, groupby
from operator import itemgetter

from publisher.records import ArticleRef

Month = tuple[int, int]

_KEY, _DAY, _SOURCE = itemgetter(0), itemgetter(1), itemgetter(2)


@dataclass(frozen=True)
class Groups:
    """`days`: each day's keys in batch order, newest day first; `sources`: the same for
    each source's articles, the sources in the order of their newest article."""

    days: dict[dt.date, list[str]]
    sources: dict[str, dict[dt.date, list[str]]]

    @classmethod
    def of(cls, index: Sequence[ArticleRef]) -> Groups:
        """The groups of an article index, newest first."""
        days: dict[dt.date, list[str]] = {}
        sources: dict[str, dict[dt.date, list[str]]] = defaultdict(dict)
        for day, refs in groupby(index, _DAY):
            rows = list(refs)
            days[day] = list(map(_KEY, rows))
            # A stable sort: each source's keys stay in batch order.
            for source, same in groupby(sorted(rows, key=_SOURCE), _SOURCE):
                sources[source][day] = list(map(_KEY, same))
        # In the order of their newest article, as a pass over the index would meet them:
        # the feed lists (OPML) name the sources in that order.
        return cls(days, {source: sources[source] for source in dict.fromkeys(map(_SOURCE, index))})

    def keys_of(self, source: str) -> list[str]:
        """A source's keys, newest first."""
        return list(chain.from_iterable(self.sources[source].values()))

    @cached_property
    def source_months(self) -> dict[str, dict[Month, list[str]]]:
        """Each source's keys by month, newest first: the archive documents and the source
        pages both read them, for each edition."""
        return {source: by_month(days) for source, days in self.sources.items()}

    def counts(self) -> list[tuple[dt.date, int]]:
        """Each day and its count of articles, newest first."""
        return [(day, len(keys)) for day, keys in self.days.items()]


def month_of(day: dt.date) -> Month:
    return day.year, day.month


def month_label(month: Month) -> str:
    """A month as YYYY-MM."""
    return f"{month[0]:04d}-{month[1]:02d}"


def by_month(days: dict[dt.date, list[str]]) -> dict[Month, list[str]]:
    """Keys by day (newest first) as keys by month, newest first."""
    return {
        month: list(chain.from_iterable(keys for _, keys in same))
        for month, same in groupby(days.items(), _month_of_day)
    }


def _month_of_day(item: tuple[dt.date, list[str]]) -> Month:
    return month_of(item[0])
