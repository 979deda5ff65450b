-- Upload links (上传链接): a one-time link from the chat to the upload page, bound to a person and
-- to the kinds of file they may import there. Only the SHA-256 of the link's random token is kept.
CREATE TABLE upload_link (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    person_id INTEGER NOT NULL REFERENCES person(id),
    kinds TEXT NOT NULL,
    channel TEXT NOT NULL,
    chat_ref TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'used')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX upload_link_person ON upload_link(person_id, status);
