-- Chat updates received by a web process for the bot process that holds the inbox lease, when they
-- are not the same process (several hosts): one row per update, once (a redelivered update id is
-- ignored), taken by the lease holder in order.
CREATE TABLE chat_inbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    update_key TEXT NOT NULL,
    data TEXT NOT NULL,
    received_at TEXT NOT NULL,
    taken_at TEXT,
    UNIQUE (channel, update_key)
);
CREATE INDEX chat_inbox_waiting ON chat_inbox(channel, taken_at, id);
