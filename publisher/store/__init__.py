"""The SQLite store: one file, every change in a transaction, safe to open from several processes.

Domain modules (subscribers, deliveries) add their own queries over `Store.db`; this module
owns the connection, the schema and the article tables.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from publisher.errors import StorageError
from publisher.records import Article, Script, Text

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY,
    batch_date TEXT NOT NULL,
    position INTEGER NOT NULL,
    published TEXT NOT NULL,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    source_file TEXT NOT NULL,
    ingested TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (batch_date DESC, position);
CREATE TABLE IF NOT EXISTS conversions (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (key, signature)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY,
    finished TEXT NOT NULL,
    written INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    seconds REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
    name TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    confirmed TEXT,
    unsubscribed TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    digest_date TEXT NOT NULL,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    UNIQUE (digest_date, subscriber_id)
);
CREATE TABLE IF NOT EXISTS runs (
    day TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    summary TEXT NOT NULL DEFAULT ''
);
"""


def _article(row: sqlite3.Row) -> Article:
    return Article(
        key=row["key"],
        batch_date=dt.date.fromisoformat(row["batch_date"]),
        position=row["position"],
        published=dt.datetime.fromisoformat(row["published"]),
        script=Script(row["script"]),
        original=Text(title=row["title"], body=row["body"], source=row["source"]),
    )


class Store:
    """A connection to the SQLite file. Use one per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we open every transaction ourselves, so none is left open.
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            # FULL: a commit survives power loss too. The delivery states rely on it; with
            # NORMAL a committed hand-over could vanish and the mail be sent again.
            self.db.execute("PRAGMA synchronous = FULL")
            with self.transaction():
                # Statement by statement: executescript() would commit the transaction first.
                for statement in filter(str.strip, SCHEMA.split(";")):
                    self.db.execute(statement)
                self.db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                )
        except sqlite3.DatabaseError as error:
            raise StorageError(f"{path}: cannot open the database: {error}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls the whole of it back."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- articles ---------------------------------------------------------------------------

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key FROM articles WHERE key IN ({marks})", chunk)
            found.update(row[0] for row in rows)
        return found

    def next_position(self, day: dt.date) -> int:
        row = self.db.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM articles WHERE batch_date = ?",
            (day.isoformat(),),
        ).fetchone()
        return int(row[0])

    def add_articles(
        self, articles: Iterable[tuple[Article, str, Text]], source_file: str, now: dt.datetime
    ) -> None:
        """Store (article, conversion signature, text in the other script) triples, all or none."""
        with self.transaction() as db:
            for article, signature, twin in articles:
                db.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article.key,
                        article.batch_date.isoformat(),
                        article.position,
                        article.published.isoformat(),
                        article.script.value,
                        article.original.title,
                        article.original.body,
                        article.original.source,
                        source_file,
                        now.isoformat(),
                    ),
                )
                self.put_conversion(article.key, signature, twin)

    def put_conversion(self, key: str, signature: str, text: Text) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO conversions VALUES (?, ?, ?, ?, ?)",
            (key, signature, text.title, text.body, text.source),
        )

    def conversion(self, key: str, signature: str) -> Text | None:
        row = self.db.execute(
            "SELECT title, body, source FROM conversions WHERE key = ? AND signature = ?",
            (key, signature),
        ).fetchone()
        return Text(row[0], row[1], row[2]) if row else None

    def articles(self, *, day: dt.date | None = None, limit: int | None = None) -> list[Article]:
        """Newest date first, batch order within a date."""
        sql = "SELECT * FROM articles"
        params: list[object] = []
        if day is not None:
            sql += " WHERE batch_date = ?"
            params.append(day.isoformat())
        sql += " ORDER BY batch_date DESC, position"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_article(row) for row in self.db.execute(sql, params)]

    def article_index(self) -> list[tuple[str, dt.date, str]]:
        """(key, date, source) of every article, newest first: enough to plan a build."""
        rows = self.db.execute(
            "SELECT key, batch_date, source FROM articles ORDER BY batch_date DESC, position"
        )
        return [(r[0], dt.date.fromisoformat(r[1]), r[2]) for r in rows]

    def articles_by_keys(self, keys: Iterable[str]) -> list[Article]:
        """The articles with these keys, newest first."""
        wanted = list(keys)
        found: list[Article] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT * FROM articles WHERE key IN ({marks})", chunk)
            found.extend(_article(row) for row in rows)
        found.sort(key=lambda article: (-article.batch_date.toordinal(), article.position))
        return found

    def counts_by_date(self) -> list[tuple[str, int]]:
        rows = self.db.execute(
            "SELECT batch_date, COUNT(*) FROM articles GROUP BY batch_date ORDER BY batch_date DESC"
        )
        return [(r[0], r[1]) for r in rows]

    def counts_by_source(self) -> list[tuple[str, int]]:
        rows = self.db.execute(
            "SELECT source, COUNT(*) FROM articles GROUP BY source ORDER BY COUNT(*) DESC, source"
        )
        return [(r[0], r[1]) for r in rows]

    # -- builds -----------------------------------------------------------------------------

    def output_fingerprints(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, fingerprint FROM outputs").fetchall())

    def record_build(
        self,
        fingerprints: dict[str, str],
        written: int,
        unchanged: int,
        seconds: float,
        now: dt.datetime,
    ) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", fingerprints.items())
            db.execute(
                "INSERT INTO builds (finished, written, unchanged, seconds) VALUES (?, ?, ?, ?)",
                (now.isoformat(), written, unchanged, seconds),
            )

    def last_build(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM builds ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return row
