-- `db copy` inserts rows in their final state before their history: a copy must pass the same
-- triggers as the acts that made them.
-- A print event is also accepted when the blank already records that printing (its school and
-- graduate, in a state after 已打印). A live printing still needs a blank issued to the school.
CREATE OR REPLACE FUNCTION blank_event_custody() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor_role TEXT := (SELECT role FROM person WHERE id = NEW.person_id);
BEGIN
    IF (NEW.event = 'receive' AND actor_role IS DISTINCT FROM '库管员')
        OR (NEW.event = 'issue' AND actor_role IS DISTINCT FROM '发放员') THEN
        RAISE EXCEPTION 'blanks are booked in by a 库管员 and handed out by a 发放员'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.event = 'issue' AND EXISTS (
        SELECT 1 FROM blank_event e
        WHERE e.serial = NEW.serial AND e.event = 'receive' AND e.person_id = NEW.person_id
    ) THEN
        RAISE EXCEPTION 'who booked blanks in never hands them out'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.event = 'print' AND NOT EXISTS (
        SELECT 1 FROM blank b
        WHERE b.serial = NEW.serial AND b.school_id IS NOT DISTINCT FROM NEW.school_id
            AND (b.state = '已发放'
                 OR (b.state IN ('已打印', '已验印', '已作废', '已退回')
                     AND b.graduate_id = NEW.graduate_id))
    ) AND NOT EXISTS (SELECT 1 FROM blank_event e WHERE e.serial = NEW.serial AND e.event = 'print')
    THEN
        RAISE EXCEPTION 'this blank was not issued to this school'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- A hand-out is refused once the certificate is void (作废), not when it was voided later (a void
-- in the same second as its hand-out, times being kept to the second, counts as later).
CREATE OR REPLACE FUNCTION record_handout_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM record r JOIN batch b ON b.id = r.batch_id
        JOIN batch_mailing m ON m.batch_id = b.id
        JOIN person p ON p.id = NEW.person_id
        WHERE r.id = NEW.record_id AND b.id = NEW.batch_id AND r.status = '确认签发'
            AND (r.void_at IS NULL OR r.void_at >= NEW.at) AND m.received_at IS NOT NULL
            AND p.org_id = b.site_id AND p.role IN ('负责人', '业务管理员')
    ) THEN
        RAISE EXCEPTION 'a certificate is handed out once received, by its school'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION graduate_handout_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM graduate g JOIN person p ON p.id = NEW.person_id
        WHERE g.id = NEW.graduate_id AND g.qualification_no IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id
                AND v.voided_at < NEW.at)
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
