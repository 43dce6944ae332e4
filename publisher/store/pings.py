"""SQL for WebSub: what each subscription feed held when it was last looked at (a hash of
its bytes), and the publish pings not yet acknowledged by their hub, one per (hub, feed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from publisher.store.database import Database, operation


class PingQueries:
    db: Database

    @operation("read the feeds' last contents")
    def feed_digests(self) -> dict[str, str]:
        """Feed URL → the hash of its bytes when last looked at."""
        return {row[0]: row[1] for row in self.db.execute("SELECT topic, digest FROM feed_states")}

    @operation("note the feeds that changed")
    def note_changed_feeds(
        self, changed: Mapping[str, str], hubs: Iterable[str], now: dt.datetime
    ) -> None:
        """Remember the new hashes of the `changed` feeds (URL → hash) and, in the same
        transaction, a ping to each hub for each of them (one already waiting stays one)."""
        pings = [(hub, topic, now.isoformat()) for hub in hubs for topic in changed]
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO feed_states (topic, digest) VALUES (?, ?)"
                " ON CONFLICT (topic) DO UPDATE SET digest = excluded.digest",
                changed.items(),
            )
            self.db.executemany(
                "INSERT INTO websub_pings (hub, topic, since) VALUES (?, ?, ?)"
                " ON CONFLICT (hub, topic) DO NOTHING",
                pings,
            )

    @operation("read the waiting pings")
    def waiting_pings(self) -> list[tuple[str, str]]:
        """(hub, feed URL) of every ping not yet acknowledged, oldest first."""
        rows = self.db.execute("SELECT hub, topic FROM websub_pings ORDER BY since, hub, topic")
        return [(row[0], row[1]) for row in rows]

    @operation("record a ping")
    def ping_done(self, hub: str, topic: str) -> None:
        """The hub acknowledged the ping (or refused it for good): it is not sent again."""
        with self.db.transaction():
            self.db.execute("DELETE FROM websub_pings WHERE hub = ? AND topic = ?", (hub, topic))

    @operation("record a failed ping")
    def ping_failed(self, hub: str, topic: str, error: str) -> None:
        """The ping stays for the next run, with the reason."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE websub_pings SET attempts = attempts + 1, last_error = ?"
                " WHERE hub = ? AND topic = ?",
                (error, hub, topic),
            )
