"""SQL for what became of the mail sent: per digest day and edition, how many went out, how
many were refused, and the bounces and complaints that came back about them (matched by the
Message-ID of our mail). The sender's reputation is read from these (publisher.delivery
.reputation); the operator's acknowledgement of bad figures is kept in `meta`."""

from __future__ import annotations

import datetime as dt

from publisher.records import OutcomeTally, Script
from publisher.store.database import Database, operation

_ACCEPTED = "rates_accepted_through"


class OutcomeQueries:
    db: Database

    @operation("count what became of the mail")
    def outcome_tallies(self, since: dt.date) -> list[OutcomeTally]:
        """Per digest day (a weekly's: its Monday) from `since`, script and chosen edition:
        mails sent and refused, and the hard bounces and complaints about them."""
        tallies: dict[tuple[str, str, str], list[int]] = {}
        sent = self.db.execute(
            "SELECT d.digest_date, d.script, s.edition,"
            " SUM(CASE WHEN d.status = 'sent' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END)"
            " FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
            " WHERE d.digest_date >= ? GROUP BY d.digest_date, d.script, s.edition",
            (since.isoformat(),),
        )
        for day, script, edition, went, refused in sent:
            tallies[(day, script, edition)] = [int(went), int(refused), 0, 0]
        returned = self.db.execute(
            "SELECT d.digest_date, d.script, s.edition, b.kind, COUNT(*) FROM bounces b"
            " JOIN deliveries d ON d.message_id = b.message_id"
            " AND d.subscriber_id = b.subscriber_id"
            " JOIN subscribers s ON s.id = b.subscriber_id"
            " WHERE b.message_id <> '' AND b.kind IN ('hard', 'complaint')"
            " AND d.digest_date >= ? GROUP BY d.digest_date, d.script, s.edition, b.kind",
            (since.isoformat(),),
        )
        for day, script, edition, kind, count in returned:
            row = tallies.setdefault((day, script, edition), [0, 0, 0, 0])
            row[2 if kind == "hard" else 3] += int(count)
        return [
            OutcomeTally(dt.date.fromisoformat(day), Script(script), edition, *counts)
            for (day, script, edition), counts in sorted(tallies.items())
        ]

    @operation("read the acknowledged rates")
    def rates_accepted_through(self) -> dt.date | None:
        """The last digest day whose complaint and bounce rates the operator accepted."""
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (_ACCEPTED,)).fetchone()
        return dt.date.fromisoformat(row[0]) if row else None

    @operation("acknowledge the rates")
    def accept_rates(self, through: dt.date) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (_ACCEPTED, through.isoformat()),
            )
