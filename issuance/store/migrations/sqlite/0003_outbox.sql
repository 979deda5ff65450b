-- Outbox: every notification to a chat account is a row here, drained by one sender that
-- respects the channel's rate limits, retries with backoff and marks blocked users unreachable.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person(id),
    kind TEXT NOT NULL CHECK (kind IN ('message', 'edit', 'photo', 'document')),
    payload TEXT NOT NULL,
    dedup_key TEXT UNIQUE,
    broadcast_id INTEGER,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT,
    message_ref TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, not_before);
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, status);

-- Named leases: at most one holder at a time (e.g. the one outbox sender across processes).
CREATE TABLE lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TEXT NOT NULL
);
