-- An approved (numbered) graduate's identity changes only through an approved 毕业证修改, and
-- a recorded qualification is never cleared (issue 18: an UPDATE with write access to the file).
CREATE TRIGGER graduate_approved_final
BEFORE UPDATE OF school_id, name, id_number, sex, major_code, major, class_level, enrolled,
    graduated, years, study_mode ON graduate
WHEN OLD.cert_no IS NOT NULL AND NEW.amendment_id IS OLD.amendment_id
BEGIN
    SELECT RAISE(ABORT, 'an approved graduate changes only through 毕业证修改');
END;

CREATE TRIGGER graduate_qualification_kept BEFORE UPDATE OF qualification_no ON graduate
WHEN OLD.cert_no IS NOT NULL AND OLD.qualification_no IS NOT NULL AND NEW.qualification_no IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a recorded qualification is never cleared');
END;

-- What each final row (a numbered graduate, a confirmed X certificate) held when an act made
-- or changed it: `audit verify` recomputes the digest of the row as it is now and compares.
-- The MAC (the audit key, outside the database) keeps a digest from being rewritten with it.
CREATE TABLE final_digest (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    digest TEXT NOT NULL,
    audit_id INTEGER NOT NULL,
    mac TEXT
);
CREATE INDEX final_digest_subject ON final_digest(subject, id);

CREATE TRIGGER final_digest_no_update BEFORE UPDATE ON final_digest
BEGIN
    SELECT RAISE(ABORT, 'final row digests are append-only');
END;

CREATE TRIGGER final_digest_no_delete BEFORE DELETE ON final_digest
BEGIN
    SELECT RAISE(ABORT, 'final row digests are append-only');
END;
