"""SQL for the build's memory: each output's fingerprint and a line per build."""

from __future__ import annotations

import datetime as dt

from publisher.records import BuildRecord
from publisher.store.database import Database, operation


class BuildQueries:
    db: Database

    @operation("read the outputs' fingerprints")
    def output_fingerprints(self) -> dict[str, str]:
        rows = self.db.execute("SELECT path, fingerprint FROM outputs")
        return {row[0]: row[1] for row in rows}

    @operation("record the build")
    def record_build(
        self,
        fingerprints: dict[str, str],
        written: int,
        unchanged: int,
        seconds: float,
        now: dt.datetime,
    ) -> None:
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO outputs (path, fingerprint) VALUES (?, ?)"
                " ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint",
                fingerprints.items(),
            )
            self.db.execute(
                "INSERT INTO builds (finished, written, unchanged, seconds) VALUES (?, ?, ?, ?)",
                (now.isoformat(), written, unchanged, seconds),
            )

    @operation("read the last build")
    def last_build(self) -> BuildRecord | None:
        row = self.db.execute(
            "SELECT finished, written, unchanged, seconds FROM builds ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return BuildRecord(dt.datetime.fromisoformat(row[0]), row[1], row[2], float(row[3]))
