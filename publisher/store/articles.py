"""SQL for articles and their stored conversions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from publisher.records import Article, ArticleRef, Conversion, Script, Tally, Text
from publisher.store.builds import GENERATION, next_generation
from publisher.store.database import Database, operation

KEYS_PER_QUERY = 500  # keys per IN (…): under every engine's limit on bound parameters


# By value, looked up as a dict does: calling the Enum (Script(value)) costs more than the
# rest of making the row's dates (a build reads an article's row a dozen times).
_SCRIPTS = {script.value: script for script in Script}


def _article(row: Any) -> Article:
    return Article(
        key=row["key"],
        batch_date=dt.date.fromisoformat(row["batch_date"]),
        position=row["position"],
        published=dt.datetime.fromisoformat(row["published"]),
        script=_SCRIPTS[row["script"]],
        original=Text(title=row["title"], body=row["body"], source=row["source"]),
    )


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _conversion(row: Any) -> Conversion:
    return Conversion(
        key=row["key"],
        signature=row["signature"],
        text=Text(row["title"], row["body"], row["source"]),
        made=_time(row["made"]),
        corrected=_time(row["corrected"]),
    )


_CONVERSION = "key, signature, title, body, source, made, corrected"
# Oldest first; rows stored before schema version 5 carry no time and count as oldest.
_BY_AGE = "ORDER BY COALESCE(made, '')"


def _chunks(keys: Iterable[str]) -> Iterable[Sequence[str]]:
    wanted = list(keys)
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        yield wanted[start : start + KEYS_PER_QUERY]


def _text(text: Text) -> tuple[str, str, str]:
    return text.title, text.body, text.source


_PUT_CONVERSION = (
    "INSERT INTO conversions (key, signature, title, body, source, made, corrected)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (key, signature) DO UPDATE SET title = excluded.title,"
    " body = excluded.body, source = excluded.source, made = excluded.made,"
    " corrected = excluded.corrected"
)

_COLUMNS = "key, batch_date, position, published, script, title, body, source"


class ArticleQueries:
    db: Database

    @operation("look up stored articles")
    def known_keys(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key FROM articles WHERE key IN ({marks})", chunk)
            found.update(row[0] for row in rows)
        return found

    @operation("read the day's last position")
    def next_position(self, day: dt.date) -> int:
        return self.day_end(day)[0]

    @operation("read the day's last article")
    def day_end(self, day: dt.date) -> tuple[int, dt.datetime | None]:
        """The position a new article of `day` takes, and the time of the article before
        it (None: the day has none yet)."""
        row = self.db.execute(
            "SELECT position, published FROM articles WHERE batch_date = ?"
            " ORDER BY position DESC LIMIT 1",
            (day.isoformat(),),
        ).fetchone()
        if row is None:
            return 0, None
        return int(row[0]) + 1, dt.datetime.fromisoformat(row[1])

    @operation("store the articles")
    def add_articles(
        self,
        articles: Iterable[tuple[Article, Sequence[tuple[str, Text]]]],
        source_file: str,
        now: dt.datetime,
    ) -> None:
        """Store articles, each with its texts as (conversion signature, text) pairs, all or
        none, in two statements whatever their number; moves the store's generation on."""
        rows = list(articles)
        if not rows:
            return
        with self.db.transaction():
            next_generation(self.db)
            self.db.executemany(
                "INSERT INTO articles (key, batch_date, position, published, script, title,"
                " body, source, source_file, ingested, generation)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ({GENERATION}))",
                [
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
                    )
                    for article, _ in rows
                ],
            )
            self.db.executemany(
                _PUT_CONVERSION,
                [
                    (article.key, signature, *_text(text), now.isoformat(), None)
                    for article, texts in rows
                    for signature, text in texts
                ],
            )

    @operation("store a conversion")
    def put_conversion(
        self,
        key: str,
        signature: str,
        text: Text,
        made: dt.datetime,
        corrected: dt.datetime | None = None,
    ) -> None:
        """Store one conversion; `corrected` is when its text last changed (None: never)."""
        when = corrected.isoformat() if corrected else None
        self.db.execute(_PUT_CONVERSION, (key, signature, *_text(text), made.isoformat(), when))

    @operation("read conversions")
    def conversions(self, keys: Iterable[str], signature: str) -> dict[str, Conversion]:
        """The conversions under `signature` of the articles with these keys, by key (a
        query per KEYS_PER_QUERY keys, not per article: a page of a month lists hundreds)."""
        found: dict[str, Conversion] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_CONVERSION} FROM conversions WHERE signature = ? AND key IN ({marks})"
            found.update(
                (row["key"], _conversion(row)) for row in self.db.execute(sql, [signature, *chunk])
            )
        return found

    @operation("read an article's conversions")
    def conversions_of(self, key: str) -> list[Conversion]:
        """Every conversion stored for an article, oldest first: its correction history."""
        rows = self.db.execute(
            f"SELECT {_CONVERSION} FROM conversions WHERE key = ? {_BY_AGE}", (key,)
        )
        return [_conversion(row) for row in rows]

    @operation("find articles to convert")
    def unconverted(self, script: Script, signature: str) -> list[str]:
        """Keys of the articles written in `script` whose newest conversion by the same
        OpenCC config (a signature begins `config:`; each edition has its own, and the
        originals as shown theirs) is not under `signature`: none yet, or settings changed
        back to ones used before."""
        config = signature.partition(":")[0]
        other = self.db.execute(
            "SELECT 1 FROM conversions WHERE signature LIKE ? AND signature <> ? LIMIT 1",
            (f"{config}:%", signature),
        ).fetchone()
        if other is None:
            # No other conversion by the config: those under `signature` are the newest.
            # One pass over the keys' index, not two lookups per article (1.5 s at 100,000).
            rows = self.db.execute(
                "SELECT key FROM articles WHERE script = ? AND key NOT IN (SELECT key FROM"
                " conversions WHERE signature = ?) ORDER BY batch_date DESC, position",
                (script.value, signature),
            )
            return [row[0] for row in rows]
        rows = self.db.execute(
            "SELECT key FROM articles WHERE script = ? AND NOT EXISTS (SELECT 1 FROM"
            " conversions AS c WHERE c.key = articles.key AND c.signature = ?"
            " AND COALESCE(c.made, '') >= (SELECT MAX(COALESCE(o.made, '')) FROM"
            " conversions AS o WHERE o.key = articles.key AND o.signature LIKE ?))"
            " ORDER BY batch_date DESC, position",
            (script.value, signature, f"{config}:%"),
        )
        return [row[0] for row in rows]

    @operation("read the corrected conversions")
    def corrections(self, signature: str) -> dict[str, dt.datetime]:
        """Key → when its conversion under `signature` last changed, for the changed ones."""
        rows = self.db.execute(
            "SELECT key, corrected FROM conversions WHERE signature = ? AND corrected IS NOT NULL",
            (signature,),
        )
        return {row[0]: dt.datetime.fromisoformat(row[1]) for row in rows}

    @operation("read the articles")
    def articles(self, *, day: dt.date | None = None, limit: int | None = None) -> list[Article]:
        """Newest date first, batch order within a date."""
        sql = f"SELECT {_COLUMNS} FROM articles"
        params: list[object] = []
        if day is not None:
            sql += " WHERE batch_date = ?"
            params.append(day.isoformat())
        sql += " ORDER BY batch_date DESC, position"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_article(row) for row in self.db.execute(sql, params)]

    @operation("read the article index")
    def article_index(self) -> list[ArticleRef]:
        """Key, date and source of every article, newest first: enough to plan a build."""
        rows = self.db.execute(
            "SELECT key, batch_date, source, generation FROM articles"
            " ORDER BY batch_date DESC, position"
        )
        # One object per distinct day and source, not per row: 100,000 articles share a few
        # thousand of them.
        days: dict[str, dt.date] = {}
        sources: dict[str, str] = {}
        return [
            ArticleRef(
                key,
                days.get(day) or days.setdefault(day, dt.date.fromisoformat(day)),
                sources.setdefault(source, source),
                generation,
            )
            for key, day, source, generation in rows
        ]

    @operation("read the articles added since a generation")
    def added_since(self, generation: int) -> dict[str, int]:
        """Key → the generation that stored it, for the articles stored after `generation`."""
        rows = self.db.execute(
            "SELECT key, generation FROM articles WHERE generation > ?", (generation,)
        )
        return {row[0]: int(row[1]) for row in rows}

    @operation("read articles by key")
    def articles_by_keys(self, keys: Iterable[str]) -> list[Article]:
        """The articles with these keys, newest first."""
        found: list[Article] = []
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_COLUMNS} FROM articles WHERE key IN ({marks})"
            found.extend(_article(row) for row in self.db.execute(sql, chunk))
        found.sort(key=lambda article: (-article.batch_date.toordinal(), article.position))
        return found

    @operation("count articles by date")
    def counts_by_date(self) -> list[Tally]:
        """(date as YYYY-MM-DD, articles), newest first."""
        rows = self.db.execute(
            "SELECT batch_date, COUNT(*) FROM articles GROUP BY batch_date ORDER BY batch_date DESC"
        )
        return [Tally(r[0], int(r[1])) for r in rows]

    @operation("count articles by source")
    def counts_by_source(self) -> list[Tally]:
        rows = self.db.execute(
            "SELECT source, COUNT(*) FROM articles GROUP BY source ORDER BY COUNT(*) DESC, source"
        )
        return [Tally(r[0], int(r[1])) for r in rows]
