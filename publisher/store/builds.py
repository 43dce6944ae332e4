"""SQL for the build's memory: each output's fingerprint, a line per build, and the store's
generation (meta.generation), which every change to the articles moves on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from publisher.records import BuildRecord
from publisher.store.database import Database, operation

_CHUNK = 500  # paths per IN (…): under every engine's limit on bound parameters


GENERATION = "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'generation'"


def next_generation(db: Database) -> None:
    """Called inside the transaction of every change that a build's output shows."""
    db.execute(
        "INSERT INTO meta (name, value) VALUES ('generation', '1') ON CONFLICT (name)"
        " DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
    )


class BuildQueries:
    db: Database

    @operation("read the outputs' fingerprints")
    def output_fingerprints(self, paths: Iterable[str]) -> dict[str, str]:
        """Path → fingerprint of the outputs among `paths` that a build recorded."""
        found: dict[str, str] = {}
        wanted = list(paths)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT path, fingerprint FROM outputs WHERE path IN ({marks})"
            found.update((row[0], row[1]) for row in self.db.execute(sql, chunk))
        return found

    @operation("read the store's generation")
    def generation(self) -> int:
        row = self.db.execute(GENERATION).fetchone()
        return int(row[0]) if row else 0

    @operation("note that a build writes")
    def start_build(self) -> bool:
        """Note that a build is about to write files; whether the one before it did so
        and was killed before it recorded itself (so its temporaries may lie about)."""
        with self.db.transaction():
            killed = self.db.execute("SELECT 1 FROM meta WHERE name = 'writing'").fetchone()
            self.db.execute(
                "INSERT INTO meta (name, value) VALUES ('writing', '1')"
                " ON CONFLICT (name) DO NOTHING"
            )
        return killed is not None

    @operation("record the build")
    def record_build(
        self,
        changed: Iterable[tuple[str, str]],
        report: BuildRecord,
    ) -> None:
        """Store the fingerprints of the outputs that `changed` ((path, fingerprint) pairs,
        taken one at a time) and a line for the build, which has finished writing."""
        with self.db.transaction():
            self.db.execute("DELETE FROM meta WHERE name = 'writing'")
            self.db.executemany(
                "INSERT INTO outputs (path, fingerprint) VALUES (?, ?)"
                " ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint",
                changed,
            )
            self.db.execute(
                "INSERT INTO builds (finished, written, unchanged, seconds, generation, settings)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    report.finished.isoformat(),
                    report.written,
                    report.unchanged,
                    report.seconds,
                    report.generation,
                    report.settings,
                ),
            )

    @operation("read the last build")
    def last_build(self) -> BuildRecord | None:
        row = self.db.execute(
            "SELECT finished, written, unchanged, seconds, generation, settings FROM builds"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        finished = dt.datetime.fromisoformat(row[0])
        return BuildRecord(finished, row[1], row[2], float(row[3]), int(row[4]), row[5])
