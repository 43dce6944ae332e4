"""SQL for readers' reports of a wrong conversion (publisher.articles.reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from publisher.records import ConversionReport, ReportStatus
from publisher.store.database import Database, operation

_COLUMNS = "id, article, edition, phrase, suggestion, reported, status, accepted_as"


def _report(row: Any) -> ConversionReport:
    return ConversionReport(
        id=int(row[0]),
        article=row[1],
        edition=row[2],
        phrase=row[3],
        suggestion=row[4],
        reported=dt.datetime.fromisoformat(row[5]),
        status=ReportStatus(row[6]),
        accepted_as=row[7],
    )


class ReportQueries:
    db: Database

    @operation("store a conversion report")
    def add_report(
        self,
        article: str,
        edition: str,
        phrase: str,
        suggestion: str,
        now: dt.datetime,
        per_article: int,
        window: dt.timedelta,
    ) -> int | None:
        """Store a report and return its id; None when the article already has `per_article`
        reports from the last `window` (counted and added in one transaction)."""
        with self.db.transaction():
            since = (now - window).isoformat()
            count = self.db.execute(
                "SELECT count(*) FROM conversion_reports WHERE article = ? AND reported > ?",
                (article, since),
            ).fetchone()[0]
            if int(count) >= per_article:
                return None
            row = self.db.execute(
                "INSERT INTO conversion_reports (article, edition, phrase, suggestion, reported)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (article, edition, phrase, suggestion, now.isoformat()),
            ).fetchone()
            return int(row[0])

    @operation("read the conversion reports")
    def open_reports(self) -> list[ConversionReport]:
        """The open reports, newest first."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM conversion_reports WHERE status = 'open'"
            " ORDER BY reported DESC, id DESC"
        )
        return [_report(row) for row in rows]

    @operation("read a conversion report")
    def report(self, report_id: int) -> ConversionReport | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM conversion_reports WHERE id = ?", (report_id,)
        ).fetchone()
        return _report(row) if row else None

    @operation("close a conversion report")
    def close_report(
        self, report_id: int, status: ReportStatus, accepted_as: str, now: dt.datetime
    ) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE conversion_reports SET status = ?, accepted_as = ?, closed = ?"
                " WHERE id = ?",
                (status.value, accepted_as, now.isoformat(), report_id),
            )
