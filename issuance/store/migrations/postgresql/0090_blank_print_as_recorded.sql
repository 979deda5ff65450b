-- A print event is also accepted when the blank already records that printing (its school and
-- graduate, in a state after 已打印): `db copy` inserts blanks in their final state before their
-- history. A live printing still needs a blank issued to the school (已发放).
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
