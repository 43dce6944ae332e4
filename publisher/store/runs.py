"""SQL for the daily runs: when each day's run started, whether it finished, its summary."""

from __future__ import annotations

import datetime as dt

from publisher.records import RunRecord
from publisher.store.database import Database, operation


class RunQueries:
    db: Database

    @operation("read the day's run")
    def run_of(self, day: dt.date) -> RunRecord | None:
        row = self.db.execute(
            "SELECT day, started, finished, summary FROM runs WHERE day = ?", (day.isoformat(),)
        ).fetchone()
        return _run(row) if row else None

    @operation("read the last run")
    def last_run(self) -> RunRecord | None:
        row = self.db.execute(
            "SELECT day, started, finished, summary FROM runs ORDER BY day DESC LIMIT 1"
        ).fetchone()
        return _run(row) if row else None

    @operation("read unfinished runs")
    def unfinished_runs(self, before: dt.date, since: dt.date) -> list[dt.date]:
        """Days in [since, before) whose run started and never completed, oldest first."""
        rows = self.db.execute(
            "SELECT day FROM runs WHERE finished IS NULL AND day < ? AND day >= ? ORDER BY day",
            (before.isoformat(), since.isoformat()),
        )
        return [dt.date.fromisoformat(row[0]) for row in rows]

    @operation("record the run's start")
    def record_run_start(self, day: dt.date, now: dt.datetime) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO runs (day, started) VALUES (?, ?)"
                " ON CONFLICT (day) DO UPDATE SET started = excluded.started",
                (day.isoformat(), now.isoformat()),
            )

    @operation("record the run's end")
    def record_run_end(self, day: dt.date, finished: dt.datetime | None, summary: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE runs SET finished = ?, summary = ? WHERE day = ?",
                (finished.isoformat() if finished else None, summary, day.isoformat()),
            )


def _run(row: tuple[str, str, str | None, str]) -> RunRecord:
    return RunRecord(
        day=dt.date.fromisoformat(row[0]),
        started=dt.datetime.fromisoformat(row[1]),
        finished=dt.datetime.fromisoformat(row[2]) if row[2] else None,
        summary=row[3],
    )
