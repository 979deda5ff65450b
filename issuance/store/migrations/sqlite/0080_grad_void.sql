-- 作废 of a graduation certificate: one row per voided certificate, final. The number stays the
-- graduate's (never reused); the public lookup then answers 作废.
CREATE TABLE grad_void (
    graduate_id INTEGER PRIMARY KEY REFERENCES graduate(id),
    reason TEXT NOT NULL,
    voided_at TEXT NOT NULL
);

CREATE TRIGGER grad_void_no_update BEFORE UPDATE ON grad_void
BEGIN
    SELECT RAISE(ABORT, 'a void graduation certificate stays void');
END;

CREATE TRIGGER grad_void_no_delete BEFORE DELETE ON grad_void
BEGIN
    SELECT RAISE(ABORT, 'a void graduation certificate stays void');
END;

-- INSERT OR REPLACE would delete the row without firing the delete trigger (as in 0013).
CREATE TRIGGER grad_void_not_replaced BEFORE INSERT ON grad_void
WHEN EXISTS (SELECT 1 FROM grad_void WHERE graduate_id = NEW.graduate_id)
BEGIN
    SELECT RAISE(ABORT, 'a void graduation certificate stays void');
END;
