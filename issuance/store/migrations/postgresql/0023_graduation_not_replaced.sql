-- PostgreSQL twin of sqlite/0023. PostgreSQL has no INSERT OR REPLACE: a row with a taken key
-- fails on its unique constraint, and an upsert fires the UPDATE triggers of 0021 and 0022, so the
-- SQLite file's "not replaced" guards have no counterpart here. Issuing or printing a blank twice
-- meets the unique indexes blank_event_issued_once and blank_event_printed_once (0022).
COMMENT ON TABLE grad_item IS 'approved items are final (0021: approval cannot be withdrawn)';
