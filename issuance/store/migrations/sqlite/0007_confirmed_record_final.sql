-- A confirmed record's identity is final too: its number, student result, batch, round and issue
-- time cannot change once 确认签发 (voiding sets void_at/void_reason and keeps the rest).
CREATE TRIGGER record_confirmed_fields_final
BEFORE UPDATE OF cert_no, result_id, batch_id, round, issued_at ON record
WHEN OLD.status = '确认签发'
BEGIN
    SELECT RAISE(ABORT, 'confirmed issuance cannot be withdrawn');
END;
