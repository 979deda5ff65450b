-- Graduation rows that are final stay final against INSERT OR REPLACE, which deletes the
-- conflicting row without firing delete triggers unless recursive triggers are on (as in 0013).
-- Every lookup goes through a unique key; `+status` keeps SQLite off the status indexes.

-- 已审批 items: a replacement on id, (request, graduate) or the graduate's one declaration.
CREATE TRIGGER grad_item_approved_not_replaced BEFORE INSERT ON grad_item
WHEN EXISTS (SELECT 1 FROM grad_item WHERE id = NEW.id AND +status = '已审批')
  OR EXISTS (
    SELECT 1 FROM grad_item
    WHERE request_id = NEW.request_id AND graduate_id = NEW.graduate_id AND +status = '已审批'
  )
  OR (NEW.declaration = 1 AND EXISTS (
    SELECT 1 FROM grad_item
    WHERE graduate_id = NEW.graduate_id AND declaration = 1 AND +status = '已审批'
  ))
BEGIN
    SELECT RAISE(ABORT, 'approval cannot be withdrawn');
END;

-- Numbered graduates: a replacement on id, certificate number or (ID number, term).
CREATE TRIGGER graduate_numbered_not_replaced BEFORE INSERT ON graduate
WHEN EXISTS (SELECT 1 FROM graduate WHERE id = NEW.id AND cert_no IS NOT NULL)
  OR EXISTS (SELECT 1 FROM graduate WHERE cert_no = NEW.cert_no)
  OR EXISTS (
    SELECT 1 FROM graduate
    WHERE id_number = NEW.id_number AND graduated = NEW.graduated AND cert_no IS NOT NULL
  )
BEGIN
    SELECT RAISE(ABORT, 'a graduation certificate number is final');
END;

CREATE TRIGGER grad_act_not_replaced BEFORE INSERT ON grad_act
WHEN EXISTS (SELECT 1 FROM grad_act WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'graduation history is append-only');
END;

CREATE TRIGGER graduate_history_not_replaced BEFORE INSERT ON graduate_history
WHEN EXISTS (SELECT 1 FROM graduate_history WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'graduate history is append-only');
END;

-- A blank is booked in once and never destroyed.
CREATE TRIGGER blank_not_replaced BEFORE INSERT ON blank
WHEN EXISTS (SELECT 1 FROM blank WHERE serial = NEW.serial)
BEGIN
    SELECT RAISE(ABORT, 'a serial is booked in once');
END;

CREATE TRIGGER blank_event_not_replaced BEFORE INSERT ON blank_event
WHEN EXISTS (SELECT 1 FROM blank_event WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'blank stock history is append-only');
END;

CREATE TRIGGER blank_event_issued_once BEFORE INSERT ON blank_event
WHEN NEW.event = 'issue' AND EXISTS (
    SELECT 1 FROM blank_event WHERE serial = NEW.serial AND event = 'issue'
)
BEGIN
    SELECT RAISE(ABORT, 'a blank is issued once');
END;

CREATE TRIGGER blank_event_printed_once BEFORE INSERT ON blank_event
WHEN NEW.event = 'print' AND EXISTS (
    SELECT 1 FROM blank_event WHERE serial = NEW.serial AND event = 'print'
)
BEGIN
    SELECT RAISE(ABORT, 'a blank is printed once');
END;
