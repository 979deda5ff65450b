-- PostgreSQL twin of sqlite/0013. PostgreSQL has no INSERT OR REPLACE: a duplicate key fails on
-- its unique constraint and an upsert (ON CONFLICT DO UPDATE) fires the UPDATE triggers, so the
-- SQLite file's "not replaced" INSERT guards have no counterpart here; the other rules do.
-- Trigger conditions that look at other rows live in the functions (WHEN takes no subquery).

-- 作废 is final: its time and reason cannot change, nor can it be lifted.
CREATE FUNCTION record_void_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a void certificate stays void' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER record_void_is_final BEFORE UPDATE OF void_at, void_reason ON record
FOR EACH ROW WHEN (OLD.void_at IS NOT NULL)
EXECUTE FUNCTION record_void_is_final();

-- The exam result behind a confirmed certificate.
CREATE FUNCTION exam_result_confirmed_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM record WHERE result_id = OLD.id AND status = '确认签发') THEN
        RAISE EXCEPTION 'the result behind a confirmed certificate is final'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

CREATE TRIGGER exam_result_confirmed_final BEFORE UPDATE ON exam_result
FOR EACH ROW EXECUTE FUNCTION exam_result_confirmed_final();

CREATE TRIGGER exam_result_confirmed_not_deleted BEFORE DELETE ON exam_result
FOR EACH ROW EXECUTE FUNCTION exam_result_confirmed_final();

-- The student (name, ID number, type, school) behind a confirmed certificate.
CREATE FUNCTION student_confirmed_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM exam_result er JOIN record r ON r.result_id = er.id
        WHERE er.student_id = OLD.id AND r.status = '确认签发'
    ) THEN
        RAISE EXCEPTION 'the student behind a confirmed certificate is final'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

CREATE TRIGGER student_confirmed_final
BEFORE UPDATE OF id_number, name, student_type, school_id ON student
FOR EACH ROW EXECUTE FUNCTION student_confirmed_final();

CREATE TRIGGER student_confirmed_not_deleted BEFORE DELETE ON student
FOR EACH ROW EXECUTE FUNCTION student_confirmed_final();

-- Stored online signatures (在线手写签名) are never changed or removed (TRUNCATE included).
CREATE FUNCTION signature_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a stored signature is final' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER signature_no_update BEFORE UPDATE ON signature
FOR EACH ROW EXECUTE FUNCTION signature_is_final();

CREATE TRIGGER signature_no_delete BEFORE DELETE ON signature
FOR EACH ROW EXECUTE FUNCTION signature_is_final();

CREATE TRIGGER signature_no_truncate BEFORE TRUNCATE ON signature
FOR EACH STATEMENT EXECUTE FUNCTION signature_is_final();

-- Audit entries carry a keyed MAC (HMAC-SHA256 of their hash, key outside the database); entries
-- written before the chain was anchored have none.
ALTER TABLE audit ADD COLUMN mac TEXT;
