-- publisher's store at schema version 16 (sqlite), as the steps in
-- publisher/store/migrations.py make it. Not edited by hand: rewritten by
-- PUBLISHER_REGENERATE=1 python -m pytest tests/test_schema.py

CREATE TABLE articles (
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
, generation INTEGER NOT NULL DEFAULT 0);

CREATE INDEX articles_by_generation ON articles (generation);

CREATE INDEX articles_in_order ON articles (batch_date DESC, position, key, source, generation);

CREATE TABLE builds (
    id INTEGER PRIMARY KEY,
    finished TEXT NOT NULL,
    written INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    seconds REAL NOT NULL
, generation INTEGER NOT NULL DEFAULT -1, settings TEXT NOT NULL DEFAULT '');

CREATE TABLE "conversions" (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    made TEXT,
    corrected TEXT,
    PRIMARY KEY (key, signature)
);

CREATE INDEX conversions_corrected ON conversions (signature, key, corrected)
    WHERE corrected IS NOT NULL;

CREATE TABLE erased (
    address_hash TEXT PRIMARY KEY
);

CREATE TABLE feed_states (
    topic TEXT PRIMARY KEY,
    digest TEXT NOT NULL
);

CREATE TABLE form_posts (
    client TEXT PRIMARY KEY,
    window_start DOUBLE PRECISION NOT NULL,
    posts INTEGER NOT NULL
);

CREATE INDEX form_posts_by_window ON form_posts (window_start);

CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE outputs (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
) WITHOUT ROWID;

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
);

CREATE INDEX posts_by_day ON posts (day, status, position);

CREATE TABLE runs (
    day TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    summary TEXT NOT NULL DEFAULT ''
);

CREATE TABLE "subscribers" (
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
, frequency TEXT NOT NULL DEFAULT 'daily'
    CHECK (frequency IN ('daily', 'weekly')), weekday INTEGER CHECK (weekday BETWEEN 0 AND 6), paused_until TEXT, link_generation INTEGER NOT NULL DEFAULT 0, signed_up TEXT, confirm_mailed TEXT, edition TEXT NOT NULL DEFAULT '');

CREATE TABLE bounces (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    report TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    status TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL,
    UNIQUE (report, subscriber_id)
);

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
);

CREATE INDEX confirmation_mails_by_time ON confirmation_mails (queued);

CREATE INDEX confirmation_mails_due ON confirmation_mails (status, due);

CREATE TABLE "deliveries" (
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
);

CREATE INDEX deliveries_by_message_id ON deliveries (message_id);

CREATE INDEX deliveries_by_state ON deliveries (digest_date, kind, status, id);

CREATE TABLE source_optouts (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, source)
);

CREATE TABLE websub_pings (
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    since TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (hub, topic)
);
