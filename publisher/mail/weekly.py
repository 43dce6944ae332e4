"""The weekly digest's calendar and order. Pure: dates and renditions in, dates and renditions out.

A weekly digest covers one ISO week, Monday to Sunday, the same for every reader, so it is
rendered once per script (and source choice) whatever day it goes out: a reader who chose
Wednesday gets on Wednesday the last complete week, one who chose Sunday gets it that very
Sunday (after its batch). Its delivery rows are keyed by the week's Monday.

Order: the newest day first, and within a day the batch's own order (the editor's: the lead
story first), at most `per_day` stories a day (digest.weekly_per_day), so one busy day
cannot crowd out the rest of the week. The cap counts the reader's own sources only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from publisher.records import Rendition

DAYS = 7


def last_complete_week(day: dt.date) -> dt.date:
    """The Monday of the newest week that has ended by `day` (Sunday counts as ended)."""
    sunday = day - dt.timedelta(days=(day.weekday() + 1) % DAYS)
    return sunday - dt.timedelta(days=DAYS - 1)


def sending_day(monday: dt.date, weekday: int) -> dt.date:
    """The day the weekly of `monday`'s week goes to a reader of `weekday` (0 = Monday):
    the inverse of `last_complete_week`. A Sunday reader gets it that Sunday."""
    return monday + dt.timedelta(days=DAYS - 1 if weekday == DAYS - 1 else DAYS + weekday)


def days_of(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=n) for n in range(DAYS)]


def week_label(monday: dt.date) -> str:
    """The week as people write it: 2026-W48."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def pick(renditions: Iterable[Rendition], per_day: int) -> list[Rendition]:
    """The week's stories in the weekly's order (see the module's docstring)."""
    ordered = sorted(
        renditions, key=lambda e: (-e.article.batch_date.toordinal(), e.article.position)
    )
    shown: dict[dt.date, int] = {}
    picked = []
    for rendition in ordered:
        day = rendition.article.batch_date
        if shown.get(day, 0) < per_day:
            shown[day] = shown.get(day, 0) + 1
            picked.append(rendition)
    return picked
