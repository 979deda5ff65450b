-- WeCom callbacks: each is stored here first and answered at once, then handled from this table.
-- A callback WeCom retries (same MsgId, or same sender + time + event) and a replayed request
-- (same timestamp + nonce) find their key taken, so each is stored, and handled, once.
CREATE TABLE wecom_inbound (
    id INTEGER PRIMARY KEY,
    msg_key TEXT NOT NULL UNIQUE,
    stamp TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'handling', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT,
    last_error TEXT,
    received_at TEXT NOT NULL,
    handled_at TEXT
);
CREATE INDEX wecom_inbound_due ON wecom_inbound(status, id);
