-- Sign-off history as acts, and status counts per batch in a table of their own (SQLite twin of
-- postgresql/0230, where the reasons are given: one foreign-key check per act instead of three
-- per record, and record updates that enter no index again).
-- The old table's index on record_id had the name the new table takes.
DROP INDEX signoff_record;

CREATE TABLE signoff_act (
    id INTEGER PRIMARY KEY,
    party TEXT NOT NULL,
    act TEXT NOT NULL CHECK (act IN ('confirm', 'refuse', 'resubmit')),
    person_id INTEGER REFERENCES person(id),
    reason TEXT,
    signature_id INTEGER REFERENCES signature(id),
    audit_id INTEGER NOT NULL,
    at TEXT NOT NULL
);

CREATE TABLE signoff_record (
    record_id INTEGER NOT NULL REFERENCES record(id),
    act_id INTEGER NOT NULL REFERENCES signoff_act(id),
    round INTEGER NOT NULL,
    PRIMARY KEY (record_id, act_id)
) WITHOUT ROWID;

-- The rows of one act shared its audit entry and everything else but the record and round: the
-- act takes the id of its first row, so acts keep their order and their rows their act.
INSERT INTO signoff_act (id, party, act, person_id, reason, signature_id, audit_id, at)
SELECT MIN(id), party, act, person_id, reason, signature_id, audit_id, at FROM signoff
GROUP BY audit_id, party, act, person_id, reason, signature_id, at;

INSERT INTO signoff_record (record_id, act_id, round)
SELECT record_id,
    MIN(id) OVER (PARTITION BY audit_id, party, act, person_id, reason, signature_id, at), round
FROM signoff;

DROP TRIGGER signoff_no_update;
DROP TRIGGER signoff_no_delete;
DROP TABLE signoff;

CREATE TRIGGER signoff_act_no_update BEFORE UPDATE ON signoff_act
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

CREATE TRIGGER signoff_act_no_delete BEFORE DELETE ON signoff_act
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

CREATE TRIGGER signoff_record_no_update BEFORE UPDATE ON signoff_record
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

CREATE TRIGGER signoff_record_no_delete BEFORE DELETE ON signoff_record
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

-- No replacement either (INSERT OR REPLACE deletes without delete triggers), as 0013 for the
-- table before.
CREATE TRIGGER signoff_act_not_replaced BEFORE INSERT ON signoff_act
WHEN EXISTS (SELECT 1 FROM signoff_act WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

CREATE TRIGGER signoff_record_not_replaced BEFORE INSERT ON signoff_record
WHEN EXISTS (
    SELECT 1 FROM signoff_record WHERE record_id = NEW.record_id AND act_id = NEW.act_id
)
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

CREATE TABLE batch_count (
    batch_id INTEGER NOT NULL REFERENCES batch(id),
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (batch_id, status)
) WITHOUT ROWID;

INSERT INTO batch_count (batch_id, status, n)
SELECT batch_id, CASE WHEN void_at IS NULL THEN status ELSE '作废' END AS shown, COUNT(*)
FROM record GROUP BY batch_id, shown;

DROP INDEX record_status;
DROP INDEX record_batch_shown;
CREATE INDEX record_batch ON record(batch_id);
-- The worker's newly confirmed records (a tick every 2 s): issued_at is set once, by the
-- confirming act, so only that last act of a record's sign-off enters this index (and is not
-- HOT on PostgreSQL); every act before it is.
CREATE INDEX record_issued ON record(id) WHERE issued_at IS NOT NULL;
