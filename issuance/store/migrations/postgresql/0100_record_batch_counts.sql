-- Status counts per batch (the /pending screen) read from the index alone: void_at joins it.
CREATE INDEX record_batch_shown ON record(batch_id, status, void_at);
DROP INDEX record_batch_status;
