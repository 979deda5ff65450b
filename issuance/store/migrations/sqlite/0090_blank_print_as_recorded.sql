-- A print event is also accepted when the blank already records that printing (its school and
-- graduate, in a state after 已打印): `db copy` inserts blanks in their final state before their
-- history. A live printing still needs a blank issued to the school (已发放).
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
