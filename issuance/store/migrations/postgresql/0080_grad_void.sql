-- PostgreSQL twin of sqlite/0080: 作废 of a graduation certificate, one final row per voided
-- certificate (a second insert meets the primary key; no INSERT OR REPLACE here).
CREATE TABLE grad_void (
    graduate_id BIGINT PRIMARY KEY REFERENCES graduate(id),
    reason TEXT NOT NULL,
    voided_at TEXT NOT NULL
);

CREATE TRIGGER grad_void_no_update BEFORE UPDATE ON grad_void
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('a void graduation certificate stays void');

CREATE TRIGGER grad_void_no_delete BEFORE DELETE ON grad_void
FOR EACH ROW EXECUTE FUNCTION qianfa_refuse('a void graduation certificate stays void');

CREATE TRIGGER grad_void_no_truncate BEFORE TRUNCATE ON grad_void
FOR EACH STATEMENT EXECUTE FUNCTION qianfa_refuse('a void graduation certificate stays void');
