"""The sender's reputation as the big receivers judge it: complaints (ARF reports) and hard
bounces (DSNs, and bad addresses at send) over the mail sent, per digest day.

Gmail and Yahoo ask bulk senders to keep complaints under 0.3% (better under 0.1%), and a
bounce rate of a few percent marks a list that is not kept clean. Over a warning level
`send` warns; over a stop level it sends nothing new until the operator acknowledges the
figures (`send --accept-rates`, kept in the store) or changes the levels. Each day is judged
on all its editions together (they share the sending domain, which is what receivers
rate); `status` also shows each edition, to find where the trouble is. A day with fewer
than `min_mails` mails is not judged: one complaint among 50 mails is no signal. Pure:
tallies in, figures and a verdict out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from publisher.editions import Editions
from publisher.records import OutcomeTally


@dataclass(frozen=True)
class Levels:
    complaint_warn: float = 0.1  # percent of the mail sent
    complaint_stop: float = 0.3
    bounce_warn: float = 2.0  # percent of the mail sent or refused
    bounce_stop: float = 5.0
    days: int = 7  # digest days judged, back from the day sent
    min_mails: int = 100  # a day with fewer is shown, not judged


class Level(IntEnum):
    OK = 0
    WARN = 1
    STOP = 2


@dataclass(frozen=True)
class Rates:
    """One day's figures, for all editions ("") or one."""

    day: dt.date
    edition: str
    sent: int = 0
    failed: int = 0
    hard: int = 0
    complaints: int = 0

    @property
    def complaint_rate(self) -> float:
        return 100.0 * self.complaints / self.sent if self.sent else 0.0

    @property
    def bounce_rate(self) -> float:
        tried = self.sent + self.failed
        return 100.0 * self.hard / tried if tried else 0.0

    def level(self, levels: Levels) -> Level:
        if self.sent + self.failed < levels.min_mails:
            return Level.OK
        if self.complaint_rate > levels.complaint_stop or self.bounce_rate > levels.bounce_stop:
            return Level.STOP
        if self.complaint_rate > levels.complaint_warn or self.bounce_rate > levels.bounce_warn:
            return Level.WARN
        return Level.OK

    def describe(self) -> str:
        return (
            f"complaints {self.complaint_rate:.2f}% ({self.complaints} of {self.sent} sent), "
            f"hard bounces {self.bounce_rate:.2f}% ({self.hard} of {self.sent + self.failed})"
        )

    def __add__(self, other: Rates) -> Rates:
        return Rates(
            self.day,
            self.edition,
            self.sent + other.sent,
            self.failed + other.failed,
            self.hard + other.hard,
            self.complaints + other.complaints,
        )


def by_day(
    tallies: Iterable[OutcomeTally], edition_of: Callable[[OutcomeTally], str]
) -> dict[dt.date, tuple[Rates, list[Rates]]]:
    """Each day's figures in all and per edition (`edition_of` names a tally's edition),
    newest day first."""
    editions: dict[dt.date, dict[str, Rates]] = defaultdict(dict)
    for tally in tallies:
        name = edition_of(tally)
        figures = Rates(tally.day, name, tally.sent, tally.failed, tally.hard, tally.complaints)
        known = editions[tally.day]
        known[name] = known[name] + figures if name in known else figures
    days = {}
    for day in sorted(editions, reverse=True):
        shown = sorted(editions[day].values(), key=lambda r: r.edition)
        total = Rates(day, "")
        for each in shown:
            total = total + each
        days[day] = (total, shown)
    return days


class OutcomeTallies(Protocol):
    """What the rates ask of the store (publisher.store.outcomes): each digest day's mail
    and what came back of it."""

    def outcome_tallies(self, since: dt.date) -> list[OutcomeTally]: ...


def recent(
    store: OutcomeTallies, editions: Editions, day: dt.date, days: int
) -> dict[dt.date, tuple[Rates, list[Rates]]]:
    """The figures of the `days` digest days before `day` (and `day` itself), in all and
    per edition."""
    tallies = store.outcome_tallies(day - dt.timedelta(days=days))
    return by_day(tallies, lambda t: editions.of(t.script, t.edition).tag)


@dataclass(frozen=True)
class Judgement:
    level: Level
    worst: Rates | None  # the day that decided it

    def message(self, levels: Levels) -> str:
        if self.worst is None:
            return ""
        stop = self.level is Level.STOP
        complaints = levels.complaint_stop if stop else levels.complaint_warn
        bounces = levels.bounce_stop if stop else levels.bounce_warn
        return (
            f"the digest of {self.worst.day}: {self.worst.describe()}, over the "
            f"{'stop' if stop else 'warning'} level (complaints {complaints:g}%, hard bounces "
            f"{bounces:g}%: [rates] in config.toml)"
        )


def judge(
    days: dict[dt.date, tuple[Rates, list[Rates]]],
    levels: Levels,
    accepted_through: dt.date | None,
) -> Judgement:
    """The worst level among the days not yet acknowledged."""
    worst = Judgement(Level.OK, None)
    for day, (total, _) in days.items():
        if accepted_through is not None and day <= accepted_through:
            continue
        level = total.level(levels)
        if level > worst.level:
            worst = Judgement(level, total)
    return worst
