"""SQL for the Telegram posts: one row per (article, chat), moved through the states that
publisher.delivery.posts draws, every change its own short transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from publisher.records import Post, PostStatus
from publisher.store.database import Database, operation

_COLUMNS = "id, day, position, article, edition, chat, status, attempts, message_id, last_error"


def _post(row: Any) -> Post:
    return Post(
        id=int(row[0]),
        day=dt.date.fromisoformat(row[1]),
        position=int(row[2]),
        article=row[3],
        edition=row[4],
        chat=row[5],
        status=PostStatus(row[6]),
        attempts=int(row[7]),
        message_id=row[8],
        error=row[9],
    )


class PostQueries:
    db: Database

    @operation("queue the posts")
    def queue_posts(
        self, day: dt.date, rows: Iterable[tuple[int, str, str, str]], now: dt.datetime
    ) -> None:
        """A row per (position, article key, edition, chat); one that exists keeps its state."""
        values = [(day.isoformat(), *row, now.isoformat()) for row in rows]
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO posts (day, position, article, edition, chat, status, updated)"
                " VALUES (?, ?, ?, ?, ?, 'queued', ?) ON CONFLICT (article, chat) DO NOTHING",
                values,
            )

    @operation("recover interrupted posts")
    def recover_posts(self, day: dt.date, now: dt.datetime) -> int:
        """Settle the day's rows a killed run left in `sending`: not handed over → queued
        (nothing went out), handed over → uncertain. Returns how many became uncertain."""
        note = "interrupted after the post was handed to the Bot API; it may be in the channel"
        with self.db.transaction():
            self.db.execute(
                "UPDATE posts SET status = 'queued', updated = ?"
                " WHERE day = ? AND status = 'sending' AND handed_over = 0",
                (now.isoformat(), day.isoformat()),
            )
            return self.db.execute(
                "UPDATE posts SET status = 'uncertain', last_error = ?, updated = ?"
                " WHERE day = ? AND status = 'sending'",
                (note, now.isoformat(), day.isoformat()),
            ).rowcount

    @operation("read the queued posts")
    def queued_posts(self, day: dt.date) -> list[Post]:
        """The day's queued rows in batch order, the editions' rows of an article together."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM posts WHERE day = ? AND status = 'queued'"
            " ORDER BY position, id",
            (day.isoformat(),),
        )
        return [_post(row) for row in rows]

    @operation("claim a post")
    def claim_post(self, post_id: int, now: dt.datetime) -> bool:
        """queued → sending; False when the row is no longer queued."""
        with self.db.transaction():
            return (
                self.db.execute(
                    "UPDATE posts SET status = 'sending', handed_over = 0,"
                    " attempts = attempts + 1, updated = ? WHERE id = ? AND status = 'queued'",
                    (now.isoformat(), post_id),
                ).rowcount
                == 1
            )

    @operation("hand a post over")
    def hand_over_post(self, post_id: int, now: dt.datetime) -> None:
        """From here a crash leaves the row uncertain: committed before the request goes."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE posts SET handed_over = 1, updated = ? WHERE id = ?",
                (now.isoformat(), post_id),
            )

    @operation("settle a post")
    def settle_post(
        self,
        post_id: int,
        status: PostStatus,
        now: dt.datetime,
        *,
        message_id: str = "",
        error: str = "",
    ) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE posts SET status = ?, handed_over = 0, message_id = ?, last_error = ?,"
                " updated = ? WHERE id = ?",
                (status.value, message_id, error, now.isoformat(), post_id),
            )

    @operation("read the posts")
    def posts_of(self, day: dt.date, status: PostStatus | None = None) -> list[Post]:
        sql = f"SELECT {_COLUMNS} FROM posts WHERE day = ?"
        params: list[object] = [day.isoformat()]
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        return [_post(row) for row in self.db.execute(sql + " ORDER BY position, id", params)]

    @operation("count the posts")
    def post_counts(self, days: int) -> list[tuple[dt.date, str, str, PostStatus, int]]:
        """(day, edition, chat, state, count) for the newest `days` days with posts."""
        rows = self.db.execute(
            "SELECT day, edition, chat, status, COUNT(*) FROM posts WHERE day IN"
            " (SELECT DISTINCT day FROM posts ORDER BY day DESC LIMIT ?)"
            " GROUP BY day, edition, chat, status ORDER BY day DESC, edition, chat, status",
            (days,),
        )
        return [
            (dt.date.fromisoformat(r[0]), r[1], r[2], PostStatus(r[3]), int(r[4])) for r in rows
        ]
