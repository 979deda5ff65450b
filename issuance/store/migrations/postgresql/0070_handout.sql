-- Hand-out (发放) of paper certificates (PostgreSQL twin of sqlite/0070). X certificates: the
-- evaluation organization mails a batch's certificates to the school (courier, tracking number),
-- the school confirms receipt, then hands each one out (已发放) or mails it on to the student
-- (已转寄). Graduation certificates: only a department's 审批人 seals (验印); the school's 经办人
-- hands a sealed certificate out, never while it is held (暂缓发放: no qualification recorded).

CREATE TABLE batch_mailing (
    batch_id BIGINT PRIMARY KEY REFERENCES batch(id),
    courier TEXT NOT NULL CHECK (length(courier) > 0),
    tracking TEXT NOT NULL CHECK (length(tracking) > 0),
    mailed_by BIGINT NOT NULL REFERENCES person(id),
    mailed_at TEXT NOT NULL,
    mail_audit_id BIGINT NOT NULL,
    received_by BIGINT REFERENCES person(id),
    received_at TEXT,
    receive_audit_id BIGINT,
    CHECK ((received_by IS NULL) = (received_at IS NULL))
);
CREATE INDEX batch_mailing_received ON batch_mailing(received_at);

-- Mailing is booked once; the only change afterwards is the school's receipt, once.
CREATE TRIGGER batch_mailing_receipt_only BEFORE UPDATE ON batch_mailing
FOR EACH ROW WHEN (OLD.received_at IS NOT NULL
    OR NEW.batch_id IS DISTINCT FROM OLD.batch_id OR NEW.courier IS DISTINCT FROM OLD.courier
    OR NEW.tracking IS DISTINCT FROM OLD.tracking OR NEW.mailed_by IS DISTINCT FROM OLD.mailed_by
    OR NEW.mailed_at IS DISTINCT FROM OLD.mailed_at
    OR NEW.mail_audit_id IS DISTINCT FROM OLD.mail_audit_id)
EXECUTE FUNCTION qianfa_refuse('a mailing is booked once and received once');

CREATE TRIGGER batch_mailing_no_delete BEFORE DELETE ON batch_mailing
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TABLE record_handout (
    record_id BIGINT PRIMARY KEY REFERENCES record(id),
    -- the mailing, not just the batch: a copy of the database (db copy) inserts mailings first
    batch_id BIGINT NOT NULL REFERENCES batch_mailing(batch_id),
    how TEXT NOT NULL CHECK (how IN ('已发放', '已转寄')),
    tracking TEXT,
    person_id BIGINT NOT NULL REFERENCES person(id),
    audit_id BIGINT NOT NULL,
    at TEXT NOT NULL,
    CHECK ((how = '已转寄') = (tracking IS NOT NULL AND length(tracking) > 0))
);
CREATE INDEX record_handout_batch ON record_handout(batch_id);

CREATE TABLE graduate_handout (
    graduate_id BIGINT PRIMARY KEY REFERENCES graduate(id),
    serial TEXT NOT NULL REFERENCES blank(serial),
    person_id BIGINT NOT NULL REFERENCES person(id),
    audit_id BIGINT NOT NULL,
    at TEXT NOT NULL
);

-- Only an issued, not void certificate of a batch the school has received, by the school's people.
CREATE FUNCTION record_handout_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM record r JOIN batch b ON b.id = r.batch_id
        JOIN batch_mailing m ON m.batch_id = b.id
        JOIN person p ON p.id = NEW.person_id
        WHERE r.id = NEW.record_id AND b.id = NEW.batch_id AND r.status = '确认签发'
            AND r.void_at IS NULL AND m.received_at IS NOT NULL
            AND p.org_id = b.site_id AND p.role IN ('负责人', '业务管理员')
    ) THEN
        RAISE EXCEPTION 'a certificate is handed out once received, by its school'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER record_handout_allowed BEFORE INSERT ON record_handout
FOR EACH ROW EXECUTE FUNCTION record_handout_allowed();

-- Only after 验印, never while held (暂缓发放) nor once voided (grad_void, 0080), by the
-- graduate's school's 经办人.
CREATE FUNCTION graduate_handout_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM graduate g JOIN person p ON p.id = NEW.person_id
        WHERE g.id = NEW.graduate_id AND g.qualification_no IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id)
            AND p.role = '经办人' AND p.org_id = g.school_id
            AND EXISTS (
                SELECT 1 FROM blank b WHERE b.serial = NEW.serial AND b.graduate_id = g.id
                    AND b.state = '已验印'
            )
    ) THEN
        RAISE EXCEPTION 'a graduation certificate is handed out once sealed and not held'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER graduate_handout_allowed BEFORE INSERT ON graduate_handout
FOR EACH ROW EXECUTE FUNCTION graduate_handout_allowed();

-- 验印 is the department's: only a 审批人 of a 主管部门 seals a blank.
CREATE FUNCTION blank_event_seal_by_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM person p JOIN org o ON o.id = p.org_id
        WHERE p.id = NEW.person_id AND p.role = '审批人' AND o.kind = '主管部门'
    ) THEN
        RAISE EXCEPTION 'only a department''s 审批人 seals (验印)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER blank_event_seal_by_department BEFORE INSERT ON blank_event
FOR EACH ROW WHEN (NEW.event = 'seal') EXECUTE FUNCTION blank_event_seal_by_department();

CREATE TRIGGER record_handout_no_update BEFORE UPDATE ON record_handout
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TRIGGER record_handout_no_delete BEFORE DELETE ON record_handout
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TRIGGER graduate_handout_no_update BEFORE UPDATE ON graduate_handout
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TRIGGER graduate_handout_no_delete BEFORE DELETE ON graduate_handout
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TRIGGER handout_no_truncate BEFORE TRUNCATE ON record_handout
FOR EACH STATEMENT EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TRIGGER graduate_handout_no_truncate BEFORE TRUNCATE ON graduate_handout
FOR EACH STATEMENT EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');

CREATE TRIGGER batch_mailing_no_truncate BEFORE TRUNCATE ON batch_mailing
FOR EACH STATEMENT EXECUTE FUNCTION qianfa_refuse('hand-out history is append-only');
