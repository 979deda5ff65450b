-- Signing requests: a one-time link to the online signature page (在线手写签名) that pins exactly
-- which records, at which versions and with which contents, a signer is about to confirm.
-- Only the SHA-256 of the link's random token is kept.
CREATE TABLE signing_request (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    person_id INTEGER NOT NULL REFERENCES person(id),
    batch_id INTEGER REFERENCES batch(id),
    record_versions TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    chat_ref TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'used', 'failed')),
    failure TEXT,
    signature_id INTEGER REFERENCES signature(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX signing_request_person ON signing_request(person_id, status);
