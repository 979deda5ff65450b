-- `db copy` inserts rows in their final state before their history: a copy must pass the same
-- triggers as the acts that made them.
-- A print event is also accepted when the blank already records that printing (its school and
-- graduate, in a state after 已打印). A live printing still needs a blank issued to the school.
DROP TRIGGER blank_event_print_own;

CREATE TRIGGER blank_event_print_own BEFORE INSERT ON blank_event
WHEN NEW.event = 'print' AND NOT EXISTS (
    SELECT 1 FROM blank b
    WHERE b.serial = NEW.serial AND b.school_id IS NEW.school_id
      AND (b.state = '已发放'
           OR (b.state IN ('已打印', '已验印', '已作废', '已退回')
               AND b.graduate_id IS NEW.graduate_id AND NEW.graduate_id IS NOT NULL))
) AND NOT EXISTS (SELECT 1 FROM blank_event e WHERE e.serial = NEW.serial AND e.event = 'print')
BEGIN
    SELECT RAISE(ABORT, 'this blank was not issued to this school');
END;

-- A hand-out is refused once the certificate is void (作废), not when it was voided later (a void
-- in the same second as its hand-out, times being kept to the second, counts as later).
DROP TRIGGER record_handout_allowed;

CREATE TRIGGER record_handout_allowed BEFORE INSERT ON record_handout
WHEN EXISTS (SELECT 1 FROM record_handout h WHERE h.record_id = NEW.record_id) OR NOT EXISTS (
    SELECT 1 FROM record r JOIN batch b ON b.id = r.batch_id
    JOIN batch_mailing m ON m.batch_id = b.id
    JOIN person p ON p.id = NEW.person_id
    WHERE r.id = NEW.record_id AND b.id = NEW.batch_id AND r.status = '确认签发'
        AND (r.void_at IS NULL OR r.void_at >= NEW.at) AND m.received_at IS NOT NULL
        AND p.org_id = b.site_id AND p.role IN ('负责人', '业务管理员')
)
BEGIN
    SELECT RAISE(ABORT, 'a certificate is handed out once received, by its school');
END;

DROP TRIGGER graduate_handout_allowed;

CREATE TRIGGER graduate_handout_allowed BEFORE INSERT ON graduate_handout
WHEN EXISTS (SELECT 1 FROM graduate_handout h WHERE h.graduate_id = NEW.graduate_id)
    OR NOT EXISTS (
    SELECT 1 FROM graduate g JOIN person p ON p.id = NEW.person_id
    WHERE g.id = NEW.graduate_id AND g.qualification_no IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id
            AND v.voided_at < NEW.at)
        AND p.role = '经办人' AND p.org_id = g.school_id
        AND EXISTS (
            SELECT 1 FROM blank b WHERE b.serial = NEW.serial AND b.graduate_id = g.id
                AND b.state = '已验印'
        )
)
BEGIN
    SELECT RAISE(ABORT, 'a graduation certificate is handed out once sealed and not held');
END;
