-- The audit log's signed head kept in the database, beside each home's own head file, so that
-- every host sharing the database (PostgreSQL) can check the log's end: count, last hash and
-- where the keyed MACs start, with HMAC-SHA256 under the audit key (kept outside the database,
-- shared by the operator). Written with each append, in the appending transaction.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    keyed_from INTEGER NOT NULL,
    count INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    mac TEXT NOT NULL
);
