"""The article index as the planners read it: grouped at C speed, it must say what a plain
pass over the rows says, in the same order (the feed lists and the search ids follow it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from operator import itemgetter

from hypothesis import given
from hypothesis import strategies as st

from publisher.records import ArticleRef
from publisher.site.grouping import Groups, by_month
from publisher.site.search import stored_order

# An index as the store gives it: newest day first, batch order within a day, each
# article with its source and the generation that stored it.
_DAYS = st.dates(dt.date(2024, 11, 25), dt.date(2025, 3, 5))
_ROW = st.tuples(_DAYS, st.sampled_from(["甲報", "乙社", "丙台"]), st.integers(1, 4))


@st.composite
def indexes(draw: st.DrawFn) -> list[ArticleRef]:
    rows = draw(st.lists(_ROW, max_size=60))
    ordered = sorted(enumerate(rows), key=lambda row: (-row[1][0].toordinal(), row[0]))
    return [
        ArticleRef(f"{n:064x}", day, source, generation) for n, (day, source, generation) in ordered
    ]


@given(indexes())
def test_the_groups_say_what_a_pass_over_the_rows_says(index: list[ArticleRef]) -> None:
    days: dict[dt.date, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    months: dict[tuple[int, int], list[str]] = defaultdict(list)
    source_months: dict[str, dict[tuple[int, int], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for ref in index:
        days[ref.day].append(ref.key)
        sources[ref.source].append(ref.key)
        months[ref.day.year, ref.day.month].append(ref.key)
        source_months[ref.source][ref.day.year, ref.day.month].append(ref.key)
    groups = Groups.of(index)
    assert groups.days == days
    assert list(groups.sources) == list(sources)  # in the order the rows meet them
    assert {source: groups.keys_of(source) for source in groups.sources} == sources
    assert by_month(groups.days) == months
    assert list(by_month(groups.days)) == list(months)
    assert groups.source_months == source_months
    assert [list(each) for each in groups.source_months.values()] == [
        list(each) for each in source_months.values()
    ]
    assert groups.counts() == [(day, len(keys)) for day, keys in days.items()]


@given(indexes())
def test_the_stored_order_is_a_stable_sort_by_generation_and_day(
    index: list[ArticleRef],
) -> None:
    expected = tuple(ref.key for ref in sorted(index, key=itemgetter(3, 1)))
    assert stored_order(index) == expected
