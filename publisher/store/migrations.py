"""Schema migrations: numbered steps, applied in order, each recorded in the database.

A store is at the version of the last step applied to it (`meta.schema_version`). Opening a
store brings it up to date in one transaction, so a step that fails leaves the store as it
was; a database newer than this program is refused rather than misread. Step 1 is the schema
of the first release, frozen: stores made by that release are at version 1 already.

Why at open and not only by `publisher db upgrade`: publisher mostly runs as one program on
one machine from cron, with nobody there to run an upgrade between a package update and the
next run; a transaction makes the automatic step as safe as a manual one. `db upgrade` does
the same thing explicitly (e.g. before starting several nodes on a new release).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby

from publisher.errors import StorageError
from publisher.store.database import Database

ANY = "any"  # SQL that every engine takes
MIGRATION_LOCK = 0x7075626C_00000001  # a PostgreSQL advisory lock key: 'publ', 1


@dataclass(frozen=True)
class Step:
    version: int
    summary: str
    # Engine name (or ANY) → its statements, one each: never a script split on ";", which
    # a ";" inside a literal or a trigger body would cut.
    sql: Mapping[str, tuple[str, ...]]
    # Work on the rows that SQL both engines share cannot say well, after the statements
    # and in the same transaction.
    rows: Callable[[Database], None] | None = None

    def statements(self, engine: str) -> tuple[str, ...]:
        statements = self.sql.get(engine, self.sql.get(ANY))
        if statements is None:
            raise StorageError(f"migration {self.version} has no SQL for {engine}")
        return tuple(each.strip() for each in statements)


_V1_SQLITE = (
    """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
""",
    """
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
)
""",
    "CREATE INDEX IF NOT EXISTS articles_by_date ON articles (batch_date DESC, position)",
    """
CREATE TABLE IF NOT EXISTS conversions (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (key, signature)
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY,
    finished TEXT NOT NULL,
    written INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    seconds REAL NOT NULL
)
""",
    """
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
)
""",
    """
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
)
""",
    """
CREATE TABLE IF NOT EXISTS runs (
    day TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    summary TEXT NOT NULL DEFAULT ''
)
""",
)

# The first release's tables in PostgreSQL's words: identity columns for INTEGER PRIMARY
# KEY, DOUBLE PRECISION for REAL, no WITHOUT ROWID. Dates and times stay ISO 8601 text, as
# in SQLite, so that every query and record reads them the same way on both engines.
_V1_POSTGRESQL = (
    """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
""",
    """
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
)
""",
    "CREATE INDEX IF NOT EXISTS articles_by_date ON articles (batch_date DESC, position)",
    """
CREATE TABLE IF NOT EXISTS conversions (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (key, signature)
)
""",
    """
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS builds (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    finished TEXT NOT NULL,
    written INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    seconds DOUBLE PRECISION NOT NULL
)
""",
    """
CREATE TABLE IF NOT EXISTS subscribers (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
    name TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    confirmed TEXT,
    unsubscribed TEXT
)
""",
    """
CREATE TABLE IF NOT EXISTS deliveries (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
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
)
""",
    """
CREATE TABLE IF NOT EXISTS runs (
    day TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    summary TEXT NOT NULL DEFAULT ''
)
""",
)

# Bounces and erasure. SQLite cannot change a CHECK in place, so `subscribers` is rebuilt
# with the `bounced` state (ids kept). Its child `deliveries` is rebuilt beside it, pointing
# at the new table: dropping a parent that rows still refer to fails the foreign key check
# even when deferred, and renaming the new parent rewrites the child's reference.
_V2_SQLITE = (
    """
CREATE TABLE subscribers_new (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
    name TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    confirmed TEXT,
    unsubscribed TEXT,
    bounced TEXT
)
""",
    """
INSERT INTO subscribers_new
    (id, email, email_key, script, status, name, created, confirmed, unsubscribed)
    SELECT id, email, email_key, script, status, name, created, confirmed, unsubscribed
    FROM subscribers
""",
    """
CREATE TABLE deliveries_new (
    id INTEGER PRIMARY KEY,
    digest_date TEXT NOT NULL,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers_new (id),
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    UNIQUE (digest_date, subscriber_id)
)
""",
    """
INSERT INTO deliveries_new
    (id, digest_date, script, subscriber_id, status, attempts, last_error, message_id, updated)
    SELECT id, digest_date, script, subscriber_id, status, attempts, last_error, message_id,
        updated
    FROM deliveries
""",
    "DROP TABLE deliveries",
    "DROP TABLE subscribers",
    "ALTER TABLE subscribers_new RENAME TO subscribers",
    "ALTER TABLE deliveries_new RENAME TO deliveries",
    "CREATE INDEX deliveries_by_message_id ON deliveries (message_id)",
    """
CREATE TABLE bounces (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    report TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    status TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL,
    UNIQUE (report, subscriber_id)
)
""",
    """
CREATE TABLE erased (
    address_hash TEXT PRIMARY KEY
)
""",
)

# PostgreSQL changes a CHECK in place; its column CHECKs are named TABLE_COLUMN_check.
_V2_POSTGRESQL = (
    "ALTER TABLE subscribers DROP CONSTRAINT subscribers_status_check",
    """
ALTER TABLE subscribers ADD CONSTRAINT subscribers_status_check
    CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced'))
""",
    "ALTER TABLE subscribers ADD COLUMN bounced TEXT",
    "CREATE INDEX deliveries_by_message_id ON deliveries (message_id)",
    """
CREATE TABLE bounces (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    report TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    status TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL,
    UNIQUE (report, subscriber_id)
)
""",
    """
CREATE TABLE erased (
    address_hash TEXT PRIMARY KEY
)
""",
)


# The store's generation (meta.generation) goes up with every change to the articles; a
# build records the generation it showed, so a build of an unchanged store does nothing.
_V3_ANY = (
    "ALTER TABLE builds ADD COLUMN generation INTEGER NOT NULL DEFAULT -1",
    "ALTER TABLE builds ADD COLUMN settings TEXT NOT NULL DEFAULT ''",
    "INSERT INTO meta (name, value) VALUES ('generation', '0') ON CONFLICT (name) DO NOTHING",
)

# The reader's preferences: columns with defaults, so every existing row reads as before
# (daily, not paused, all sources); opted-out sources in their own table.
_V4_ANY = (
    """
ALTER TABLE subscribers ADD COLUMN frequency TEXT NOT NULL DEFAULT 'daily'
    CHECK (frequency IN ('daily', 'weekly'))
""",
    "ALTER TABLE subscribers ADD COLUMN weekday INTEGER CHECK (weekday BETWEEN 0 AND 6)",
    "ALTER TABLE subscribers ADD COLUMN paused_until TEXT",
    "ALTER TABLE subscribers ADD COLUMN link_generation INTEGER NOT NULL DEFAULT 0",
    """
CREATE TABLE source_optouts (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, source)
)
""",
)

# When each conversion was stored and when its text last changed from the one before, so a
# correction (a new protected term, a fixed dictionary entry) shows readers a newer <updated>.
_V5_ANY = (
    "ALTER TABLE conversions ADD COLUMN made TEXT",
    "ALTER TABLE conversions ADD COLUMN corrected TEXT",
)

# Several senders share one day's rows: each claims a batch under its own id and a lease
# (seconds since the epoch), and a sender that dies leaves its rows to the others once
# the lease has run out. DOUBLE PRECISION is a REAL in SQLite's eyes.
_V6_ANY = (
    "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE deliveries ADD COLUMN lease_until DOUBLE PRECISION NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (digest_date, status, id)",
)

# The subscribe form, hardened: a confirm link is good for one sign-up (`signed_up`, whole
# seconds, carried in the link) and the form mails an address at most once per cool-down
# (`confirm_mailed`). form_posts counts each client's posts per window, in the store so that
# every `serve` process sees the same count; `client` is a keyed hash, never the address.
# A sign-up pending from the previous release starts its time at its creation.
_V7_ANY = (
    "ALTER TABLE subscribers ADD COLUMN signed_up TEXT",
    "ALTER TABLE subscribers ADD COLUMN confirm_mailed TEXT",
    "UPDATE subscribers SET signed_up = created WHERE status = 'pending'",
    """
CREATE TABLE form_posts (
    client TEXT PRIMARY KEY,
    window_start DOUBLE PRECISION NOT NULL,
    posts INTEGER NOT NULL
)
""",
    "CREATE INDEX form_posts_by_window ON form_posts (window_start)",
)

# Regional editions: a subscriber's edition by its tag beside the script, which keeps its
# CHECK. Every existing row reads '' (the script's first edition: today's zh-Hant or zh-Hans).
_V8_ANY = ("ALTER TABLE subscribers ADD COLUMN edition TEXT NOT NULL DEFAULT ''",)

# Each article carries the generation that stored it, so that a build plans from the
# articles added since the generation it last showed rather than from the whole archive.
# Articles stored before this step read as generation 0, older than any build.
_V9_ANY = (
    "ALTER TABLE articles ADD COLUMN generation INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX articles_by_generation ON articles (generation)",
)

# A digest edition per row (the daily or the weekly digest of a subscriber) and a final
# state for a reader whose sources published nothing: `skipped`. A weekly row's digest_date
# is its week's Monday; the unique key takes the kind, so a reader who moves from daily to
# weekly can have both the day's and the week's row. SQLite cannot change a CHECK or a
# UNIQUE in place, so it rebuilds the table (ids kept; nothing refers to deliveries).
_V10_SQLITE = (
    """
CREATE TABLE deliveries_new (
    id INTEGER PRIMARY KEY,
    digest_date TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'daily' CHECK (kind IN ('daily', 'weekly')),
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    UNIQUE (digest_date, kind, subscriber_id)
)
""",
    """
INSERT INTO deliveries_new
    (id, digest_date, script, subscriber_id, status, attempts, last_error, message_id, updated,
        claimed_by, lease_until)
    SELECT id, digest_date, script, subscriber_id, status, attempts, last_error, message_id,
        updated, claimed_by, lease_until
    FROM deliveries
""",
    "DROP TABLE deliveries",
    "ALTER TABLE deliveries_new RENAME TO deliveries",
    "CREATE INDEX deliveries_by_message_id ON deliveries (message_id)",
    "CREATE INDEX deliveries_by_state ON deliveries (digest_date, kind, status, id)",
)

_V10_POSTGRESQL = (
    """
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'daily'
    CHECK (kind IN ('daily', 'weekly'))
""",
    "ALTER TABLE deliveries DROP CONSTRAINT deliveries_digest_date_subscriber_id_key",
    """
ALTER TABLE deliveries ADD CONSTRAINT deliveries_digest_date_kind_subscriber_id_key
    UNIQUE (digest_date, kind, subscriber_id)
""",
    "ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check",
    """
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain', 'skipped'))
""",
    "DROP INDEX deliveries_by_state",
    "CREATE INDEX deliveries_by_state ON deliveries (digest_date, kind, status, id)",
)

# The build reads every article's key, date, source and generation in date order, and
# the conversions that corrected an earlier one. From indexes that hold what it reads, it
# reads them alone: a row's source, or a conversion's correction time, sits after its
# body, so a scan of the table read every body (the article index took 0.4 s at 100,000
# articles, now 0.2; the corrections 0.07 s per edition, now nothing). The older article
# index is the new one's first columns.
_V11_ANY = (
    "CREATE INDEX articles_in_order ON articles"
    " (batch_date DESC, position, key, source, generation)",
    "DROP INDEX articles_by_date",
    """
CREATE INDEX conversions_corrected ON conversions (signature, key, corrected)
    WHERE corrected IS NOT NULL
""",
)

# A conversion's row holds the article's text, some 4 kB. SQLite keeps a WITHOUT ROWID
# table's whole rows in its key's b-tree, and a key is a hash: each new row went to a
# random place among 4 kB rows, splitting pages. A rowid table appends the row and puts
# the short key in an index: storing 10,000 conversions took 1.2 s, now 0.55 s, most of
# what an ingest's storing costs. PostgreSQL's tables were always this shape.
_V12_SQLITE = (
    """
CREATE TABLE conversions_new (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    made TEXT,
    corrected TEXT,
    PRIMARY KEY (key, signature)
)
""",
    """
INSERT INTO conversions_new (key, signature, title, body, source, made, corrected)
    SELECT key, signature, title, body, source, made, corrected FROM conversions
""",
    "DROP TABLE conversions",
    "ALTER TABLE conversions_new RENAME TO conversions",
    """
CREATE INDEX conversions_corrected ON conversions (signature, key, corrected)
    WHERE corrected IS NOT NULL
""",
)


def _times_in_batch_order(db: Database) -> None:
    """Each article its own time, keeping each day's order: the time of day its day was
    first ingested (on the batch's date, in the offset its time was stored with) for the
    day's first article, a second less for each after it, as an ingest now gives them
    (publisher.articles.ingest.Place). Before this step every article of a day had the
    day's midnight: feed readers sorted a day's entries as they liked. When a time moved,
    the fingerprints of the outputs are forgotten and the generation moves on, so the next
    build writes every feed and page again with the new times."""
    rows = db.execute(
        "SELECT key, batch_date, published, ingested FROM articles ORDER BY batch_date, position"
    ).fetchall()
    second = dt.timedelta(seconds=1)
    changed: list[tuple[str, str]] = []
    for day, same in groupby(rows, key=lambda row: str(row[1])):
        articles = list(same)
        zone = dt.datetime.fromisoformat(articles[0][2]).tzinfo
        start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=zone)
        clock = dt.datetime.fromisoformat(articles[0][3]).astimezone(zone).time()
        at = dt.datetime.combine(start.date(), clock.replace(microsecond=0), tzinfo=zone)
        top = max(at, start + second * (len(articles) - 1))
        for n, (key, _, published, _) in enumerate(articles):
            time = max(top - second * n, start).isoformat()
            if time != published:
                changed.append((time, key))
    if not changed:
        return  # no article to show anew: the outputs are as they were
    db.executemany("UPDATE articles SET published = ? WHERE key = ?", changed)
    db.execute("DELETE FROM outputs")
    db.execute(
        "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'generation'"
    )


# WebSub: each subscription feed's hash when last looked at (a feed whose hash moved has
# changed), and the publish pings a hub has not acknowledged yet, tried again next time.
_V14_ANY = (
    """
CREATE TABLE feed_states (
    topic TEXT PRIMARY KEY,
    digest TEXT NOT NULL
)
""",
    """
CREATE TABLE websub_pings (
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    since TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (hub, topic)
)
""",
)

# Telegram: a row per article and chat, moved through the states of a mail's delivery
# (publisher.delivery.posts); `handed_over` is set, and committed, before the request goes
# out, so a post killed after that is `uncertain`, never sent again on its own.
_V15_SQLITE = (
    """
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    position INTEGER NOT NULL,
    article TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    edition TEXT NOT NULL,
    chat TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    handed_over INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    UNIQUE (article, chat)
)
""",
    "CREATE INDEX posts_by_day ON posts (day, status, position)",
)
_V15_POSTGRESQL = (
    """
CREATE TABLE posts (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    day TEXT NOT NULL,
    position INTEGER NOT NULL,
    article TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    edition TEXT NOT NULL,
    chat TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    handed_over INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    UNIQUE (article, chat)
)
""",
    "CREATE INDEX posts_by_day ON posts (day, status, position)",
)

# Confirmation mails wait here for the sender of `publisher serve`
# (publisher.delivery.confirmations), so that a sign-up never waits for the relay. A row
# moves as a delivery row does; `handed_over` is committed before the final "." goes out.
# Times are seconds since the epoch: `queued` counts the mails of the last hour (the
# ceiling of web.confirm_mails_per_hour), `due` is when the next attempt may start.
_V16_SQLITE = (
    """
CREATE TABLE confirmation_mails (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    queued DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
    handed_over INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    due DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
)
""",
    "CREATE INDEX confirmation_mails_due ON confirmation_mails (status, due)",
    "CREATE INDEX confirmation_mails_by_time ON confirmation_mails (queued)",
)
_V16_POSTGRESQL = (
    """
CREATE TABLE confirmation_mails (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    queued DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
    handed_over INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    due DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
)
""",
    "CREATE INDEX confirmation_mails_due ON confirmation_mails (status, due)",
    "CREATE INDEX confirmation_mails_by_time ON confirmation_mails (queued)",
)

# Readers' reports of a wrongly converted phrase: the article, the edition and what the form
# asked, nothing about the reader. An article's reports go with it.
_V17_SQLITE = (
    """
CREATE TABLE conversion_reports (
    id INTEGER PRIMARY KEY,
    article TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    edition TEXT NOT NULL,
    phrase TEXT NOT NULL,
    suggestion TEXT NOT NULL DEFAULT '',
    reported TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    accepted_as TEXT NOT NULL DEFAULT '',
    closed TEXT
)
""",
    "CREATE INDEX conversion_reports_by_article ON conversion_reports (article, reported)",
    "CREATE INDEX conversion_reports_open ON conversion_reports (status, reported)",
)
_V17_POSTGRESQL = (
    """
CREATE TABLE conversion_reports (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    article TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    edition TEXT NOT NULL,
    phrase TEXT NOT NULL,
    suggestion TEXT NOT NULL DEFAULT '',
    reported TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
    accepted_as TEXT NOT NULL DEFAULT '',
    closed TEXT
)
""",
    "CREATE INDEX conversion_reports_by_article ON conversion_reports (article, reported)",
    "CREATE INDEX conversion_reports_open ON conversion_reports (status, reported)",
)

STEPS: tuple[Step, ...] = (
    Step(1, "the first release's schema", {"sqlite": _V1_SQLITE, "postgresql": _V1_POSTGRESQL}),
    Step(
        2,
        "bounced subscribers, bounce reports, erased addresses",
        {"sqlite": _V2_SQLITE, "postgresql": _V2_POSTGRESQL},
    ),
    Step(3, "builds remember the store generation they showed", {ANY: _V3_ANY}),
    Step(4, "the reader's preferences: frequency, pause, sources, link generation", {ANY: _V4_ANY}),
    Step(5, "when conversions were made and corrected", {ANY: _V5_ANY}),
    Step(6, "deliveries claimed by a sender with a lease", {ANY: _V6_ANY}),
    Step(7, "confirm links per sign-up, mail cool-down, form rate limits", {ANY: _V7_ANY}),
    Step(8, "a subscriber's regional edition", {ANY: _V8_ANY}),
    Step(9, "articles remember the generation that stored them", {ANY: _V9_ANY}),
    Step(
        10,
        "weekly deliveries beside the daily ones, and skipped deliveries",
        {"sqlite": _V10_SQLITE, "postgresql": _V10_POSTGRESQL},
    ),
    Step(11, "the build's reads answered by indexes alone", {ANY: _V11_ANY}),
    Step(
        12,
        "conversions stored in a rowid table",
        {"sqlite": _V12_SQLITE, "postgresql": ()},
    ),
    Step(
        13,
        "each article its own time, in its day's order",
        {ANY: ()},
        rows=_times_in_batch_order,
    ),
    Step(
        14,
        "WebSub: the feeds' last contents and the pings not yet acknowledged",
        {ANY: _V14_ANY},
    ),
    Step(
        15,
        "Telegram posts, one per article and chat",
        {"sqlite": _V15_SQLITE, "postgresql": _V15_POSTGRESQL},
    ),
    Step(
        16,
        "confirmation mails queued for a sender, off the web request",
        {"sqlite": _V16_SQLITE, "postgresql": _V16_POSTGRESQL},
    ),
    Step(
        17,
        "readers' reports of a wrong conversion",
        {"sqlite": _V17_SQLITE, "postgresql": _V17_POSTGRESQL},
    ),
)

LATEST = STEPS[-1].version


def _failed(db: Database, step: Step, error: Exception) -> StorageError:
    return StorageError(
        f"{db.label}: cannot upgrade the schema to version {step.version} "
        f"({step.summary}): {error}; the store is left as it was"
    )


def _check_references(db: Database, step: Step) -> None:
    """After each step on SQLite, every foreign key still points at a row (as reader checks
    its migrations): a step that rebuilds a table (copy, drop, rename) could otherwise leave
    rows pointing at nothing with no statement failing. PostgreSQL checks every statement."""
    if db.engine != "sqlite":
        return
    broken = db.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        error = f"{len(broken)} rows point at no row, the first {table} {rowid} → {parent}"
        raise _failed(db, step, ValueError(error))


def current_version(db: Database) -> int:
    """The store's schema version; 0 for an empty database."""
    if not _has_meta(db):
        return 0
    row = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _has_meta(db: Database) -> bool:
    if db.engine == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        return db.execute(sql).fetchone() is not None
    # A query of the catalog, not to_regclass(): that reads the backend's cached catalog,
    # which a process that waited on the migration lock may not have refreshed, and it would
    # then miss the tables the process before it has just committed (and run step 1 again).
    sql = (
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'meta')"
    )
    return db.execute(sql).fetchone()[0] is True


def pending(db: Database) -> list[Step]:
    version = current_version(db)
    if version > LATEST:
        raise StorageError(
            f"{db.label}: the database is at schema version {version}, newer than this "
            f"publisher knows (up to {LATEST}): install the newer publisher that wrote it"
        )
    return [step for step in STEPS if step.version > version]


def upgrade(db: Database, before: Callable[[int], object] | None = None) -> list[Step]:
    """Apply every pending step, all in one transaction; returns the steps applied.
    `before` is called with the version the steps start from, inside the transaction and
    before the first of them, when there are steps to apply (a backup of the store)."""
    with db.transaction():
        if db.engine == "postgresql":
            # Nodes starting together would otherwise race to create the same tables; the
            # lock ends with the transaction. SQLite's BEGIN IMMEDIATE serialises already.
            db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        steps = pending(db)  # read again inside: another process may have upgraded meanwhile
        if steps and before is not None:
            before(current_version(db))
        for step in steps:
            for statement in step.statements(db.engine):
                try:
                    db.execute(statement)
                except db.driver_errors as error:
                    raise _failed(db, step, error) from error
            if step.rows is not None:
                try:
                    step.rows(db)
                except db.driver_errors as error:
                    raise _failed(db, step, error) from error
            _check_references(db, step)
            db.execute(
                "INSERT INTO meta (name, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (str(step.version),),
            )
    return steps
