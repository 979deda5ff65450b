-- Final rows stay final against INSERT OR REPLACE, which deletes the conflicting row without firing
-- delete triggers unless recursive triggers are on (the store turns them on; a raw connection may
-- not). Each BEFORE INSERT trigger refuses an insert that would replace a final row.
-- Every lookup goes through a unique key; `+status` keeps SQLite from scanning the status index
-- (all confirmed records) instead, which would make each insert cost O(confirmed records).

-- 确认签发 records: a replacement on id, certificate number or exam result.
CREATE TRIGGER record_confirmed_not_replaced BEFORE INSERT ON record
WHEN EXISTS (SELECT 1 FROM record WHERE id = NEW.id AND +status = '确认签发')
  OR EXISTS (SELECT 1 FROM record WHERE cert_no = NEW.cert_no AND +status = '确认签发')
  OR EXISTS (SELECT 1 FROM record WHERE result_id = NEW.result_id AND +status = '确认签发')
BEGIN
    SELECT RAISE(ABORT, 'confirmed issuance cannot be withdrawn');
END;

-- 作废 is final: its time and reason cannot change, nor can it be lifted.
CREATE TRIGGER record_void_is_final BEFORE UPDATE OF void_at, void_reason ON record
WHEN OLD.void_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a void certificate stays void');
END;

-- The exam result behind a confirmed certificate.
CREATE TRIGGER exam_result_confirmed_final BEFORE UPDATE ON exam_result
WHEN EXISTS (SELECT 1 FROM record WHERE result_id = OLD.id AND +status = '确认签发')
BEGIN
    SELECT RAISE(ABORT, 'the result behind a confirmed certificate is final');
END;

CREATE TRIGGER exam_result_confirmed_not_deleted BEFORE DELETE ON exam_result
WHEN EXISTS (SELECT 1 FROM record WHERE result_id = OLD.id AND +status = '确认签发')
BEGIN
    SELECT RAISE(ABORT, 'the result behind a confirmed certificate is final');
END;

CREATE TRIGGER exam_result_confirmed_not_replaced BEFORE INSERT ON exam_result
WHEN EXISTS (
    SELECT 1 FROM exam_result er JOIN record r ON r.result_id = er.id
    WHERE er.id = NEW.id AND +r.status = '确认签发'
) OR EXISTS (
    SELECT 1 FROM exam_result er JOIN record r ON r.result_id = er.id
    WHERE er.student_id = NEW.student_id AND er.plan_id = NEW.plan_id AND +r.status = '确认签发'
)
BEGIN
    SELECT RAISE(ABORT, 'the result behind a confirmed certificate is final');
END;

-- The student (name, ID number, type, school) behind a confirmed certificate.
CREATE TRIGGER student_confirmed_final
BEFORE UPDATE OF id_number, name, student_type, school_id ON student
WHEN EXISTS (
    SELECT 1 FROM exam_result er JOIN record r ON r.result_id = er.id
    WHERE er.student_id = OLD.id AND +r.status = '确认签发'
)
BEGIN
    SELECT RAISE(ABORT, 'the student behind a confirmed certificate is final');
END;

CREATE TRIGGER student_confirmed_not_deleted BEFORE DELETE ON student
WHEN EXISTS (
    SELECT 1 FROM exam_result er JOIN record r ON r.result_id = er.id
    WHERE er.student_id = OLD.id AND +r.status = '确认签发'
)
BEGIN
    SELECT RAISE(ABORT, 'the student behind a confirmed certificate is final');
END;

CREATE TRIGGER student_confirmed_not_replaced BEFORE INSERT ON student
WHEN EXISTS (
    SELECT 1 FROM exam_result er JOIN record r ON r.result_id = er.id
    WHERE er.student_id = NEW.id AND +r.status = '确认签发'
) OR EXISTS (
    SELECT 1 FROM student s
    JOIN exam_result er ON er.student_id = s.id JOIN record r ON r.result_id = er.id
    WHERE s.id_number = NEW.id_number AND +r.status = '确认签发'
)
BEGIN
    SELECT RAISE(ABORT, 'the student behind a confirmed certificate is final');
END;

-- Stored online signatures (在线手写签名) are never changed, removed or replaced.
CREATE TRIGGER signature_no_update BEFORE UPDATE ON signature
BEGIN
    SELECT RAISE(ABORT, 'a stored signature is final');
END;

CREATE TRIGGER signature_no_delete BEFORE DELETE ON signature
BEGIN
    SELECT RAISE(ABORT, 'a stored signature is final');
END;

CREATE TRIGGER signature_not_replaced BEFORE INSERT ON signature
WHEN EXISTS (SELECT 1 FROM signature WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'a stored signature is final');
END;

-- The sign-off history is append-only: no replacement either.
CREATE TRIGGER signoff_not_replaced BEFORE INSERT ON signoff
WHEN EXISTS (SELECT 1 FROM signoff WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

-- Audit entries carry a keyed MAC (HMAC-SHA256 of their hash, key outside the database); entries
-- written before the chain was anchored have none.
ALTER TABLE audit ADD COLUMN mac TEXT;
