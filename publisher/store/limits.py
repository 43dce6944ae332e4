"""SQL for the web form's rate limit: posts per client per window, shared by every
`publisher serve` process through the store."""

from __future__ import annotations

from publisher.store.database import Database, operation


class LimitQueries:
    db: Database

    @operation("count a form post")
    def count_form_post(self, client: str, now: float, window: float) -> tuple[int, float]:
        """Count one post of `client` (a keyed hash) at `now` (seconds since the epoch);
        (posts in its current window, when that window began). A window lasts `window`
        seconds from the client's first post in it; windows that have passed are forgotten,
        so the table holds only the clients of the last `window` seconds."""
        with self.db.transaction():
            self.db.execute("DELETE FROM form_posts WHERE window_start <= ?", (now - window,))
            row = self.db.execute(
                "INSERT INTO form_posts (client, window_start, posts) VALUES (?, ?, 1)"
                " ON CONFLICT (client) DO UPDATE SET posts = form_posts.posts + 1"
                " RETURNING posts, window_start",
                (client, now),
            ).fetchone()
            return int(row[0]), float(row[1])
