-- Hand-out (发放) of paper certificates. X certificates: the evaluation organization mails a
-- batch's certificates to the school (courier, tracking number), the school confirms receipt,
-- then hands each one out (已发放) or mails it on to the student (已转寄). Graduation
-- certificates: only a department's 审批人 seals (验印); the school's 经办人 hands a sealed
-- certificate out, never while it is held (暂缓发放: no qualification recorded). Each once.

CREATE TABLE batch_mailing (
    batch_id INTEGER PRIMARY KEY REFERENCES batch(id),
    courier TEXT NOT NULL CHECK (length(courier) > 0),
    tracking TEXT NOT NULL CHECK (length(tracking) > 0),
    mailed_by INTEGER NOT NULL REFERENCES person(id),
    mailed_at TEXT NOT NULL,
    mail_audit_id INTEGER NOT NULL,
    received_by INTEGER REFERENCES person(id),
    received_at TEXT,
    receive_audit_id INTEGER,
    CHECK ((received_by IS NULL) = (received_at IS NULL))
);
CREATE INDEX batch_mailing_received ON batch_mailing(received_at);

-- INSERT OR REPLACE would delete the booked row: a mailing is booked once.
CREATE TRIGGER batch_mailing_once BEFORE INSERT ON batch_mailing
WHEN EXISTS (SELECT 1 FROM batch_mailing m WHERE m.batch_id = NEW.batch_id)
BEGIN
    SELECT RAISE(ABORT, 'a mailing is booked once and received once');
END;

-- Mailing is booked once; the only change afterwards is the school's receipt, once.
CREATE TRIGGER batch_mailing_receipt_only BEFORE UPDATE ON batch_mailing
WHEN OLD.received_at IS NOT NULL
    OR NEW.batch_id IS NOT OLD.batch_id OR NEW.courier IS NOT OLD.courier
    OR NEW.tracking IS NOT OLD.tracking OR NEW.mailed_by IS NOT OLD.mailed_by
    OR NEW.mailed_at IS NOT OLD.mailed_at OR NEW.mail_audit_id IS NOT OLD.mail_audit_id
BEGIN
    SELECT RAISE(ABORT, 'a mailing is booked once and received once');
END;

CREATE TRIGGER batch_mailing_no_delete BEFORE DELETE ON batch_mailing
BEGIN
    SELECT RAISE(ABORT, 'hand-out history is append-only');
END;

CREATE TABLE record_handout (
    record_id INTEGER PRIMARY KEY REFERENCES record(id),
    -- the mailing, not just the batch: a copy of the database (db copy) inserts mailings first
    batch_id INTEGER NOT NULL REFERENCES batch_mailing(batch_id),
    how TEXT NOT NULL CHECK (how IN ('已发放', '已转寄')),
    tracking TEXT,
    person_id INTEGER NOT NULL REFERENCES person(id),
    audit_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    CHECK ((how = '已转寄') = (tracking IS NOT NULL AND length(tracking) > 0))
);
CREATE INDEX record_handout_batch ON record_handout(batch_id);

-- Only an issued, not void certificate of a batch the school has received, by the school's
-- people; once (INSERT OR REPLACE included).
CREATE TRIGGER record_handout_allowed BEFORE INSERT ON record_handout
WHEN EXISTS (SELECT 1 FROM record_handout h WHERE h.record_id = NEW.record_id) OR NOT EXISTS (
    SELECT 1 FROM record r JOIN batch b ON b.id = r.batch_id
    JOIN batch_mailing m ON m.batch_id = b.id
    JOIN person p ON p.id = NEW.person_id
    WHERE r.id = NEW.record_id AND b.id = NEW.batch_id AND r.status = '确认签发'
        AND r.void_at IS NULL AND m.received_at IS NOT NULL
        AND p.org_id = b.site_id AND p.role IN ('负责人', '业务管理员')
)
BEGIN
    SELECT RAISE(ABORT, 'a certificate is handed out once received, by its school');
END;

CREATE TRIGGER record_handout_no_update BEFORE UPDATE ON record_handout
BEGIN
    SELECT RAISE(ABORT, 'hand-out history is append-only');
END;

CREATE TRIGGER record_handout_no_delete BEFORE DELETE ON record_handout
BEGIN
    SELECT RAISE(ABORT, 'hand-out history is append-only');
END;

CREATE TABLE graduate_handout (
    graduate_id INTEGER PRIMARY KEY REFERENCES graduate(id),
    serial TEXT NOT NULL REFERENCES blank(serial),
    person_id INTEGER NOT NULL REFERENCES person(id),
    audit_id INTEGER NOT NULL,
    at TEXT NOT NULL
);

-- Only after 验印, never while held (暂缓发放) nor once voided (grad_void, 0080), by the
-- graduate's school's 经办人; once.
CREATE TRIGGER graduate_handout_allowed BEFORE INSERT ON graduate_handout
WHEN EXISTS (SELECT 1 FROM graduate_handout h WHERE h.graduate_id = NEW.graduate_id)
    OR NOT EXISTS (
    SELECT 1 FROM graduate g JOIN person p ON p.id = NEW.person_id
    WHERE g.id = NEW.graduate_id AND g.qualification_no IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id)
        AND p.role = '经办人' AND p.org_id = g.school_id
        AND EXISTS (
            SELECT 1 FROM blank b WHERE b.serial = NEW.serial AND b.graduate_id = g.id
                AND b.state = '已验印'
        )
)
BEGIN
    SELECT RAISE(ABORT, 'a graduation certificate is handed out once sealed and not held');
END;

CREATE TRIGGER graduate_handout_no_update BEFORE UPDATE ON graduate_handout
BEGIN
    SELECT RAISE(ABORT, 'hand-out history is append-only');
END;

CREATE TRIGGER graduate_handout_no_delete BEFORE DELETE ON graduate_handout
BEGIN
    SELECT RAISE(ABORT, 'hand-out history is append-only');
END;

-- 验印 is the department's: only a 审批人 of a 主管部门 seals a blank.
CREATE TRIGGER blank_event_seal_by_department BEFORE INSERT ON blank_event
WHEN NEW.event = 'seal' AND NOT EXISTS (
    SELECT 1 FROM person p JOIN org o ON o.id = p.org_id
    WHERE p.id = NEW.person_id AND p.role = '审批人' AND o.kind = '主管部门'
)
BEGIN
    SELECT RAISE(ABORT, 'only a department''s 审批人 seals (验印)');
END;
