-- Worker (PostgreSQL twin of sqlite/0006_worker.sql): electronic certificates as work rows
-- (status, lease, attempts) and their files on disk.

-- One row per confirmed record to render; claimed with a lease (and FOR UPDATE SKIP LOCKED), so a
-- worker killed at any moment leaves the row to be claimed again once the lease ends. `attempts`
-- doubles as the claim token: only the latest claim may record its result.
CREATE TABLE certificate_job (
    record_id BIGINT PRIMARY KEY REFERENCES record(id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'rendering', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX certificate_job_due ON certificate_job(status, lease_until);

-- The certificate file of a record: path relative to the home, SHA-256 and size of its bytes.
CREATE TABLE certificate (
    record_id BIGINT PRIMARY KEY REFERENCES record(id),
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    rendered_at TEXT NOT NULL
);

-- Finding newly confirmed records and waiting batches without scanning every record.
CREATE INDEX record_status ON record(status);
