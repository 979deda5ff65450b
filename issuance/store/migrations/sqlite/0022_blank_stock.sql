-- Blank graduation certificates (空白毕业证): one row per serial (流水码) with its current state, and
-- the append-only events that moved it. The rules of custody are the database's own.

CREATE TABLE blank (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('技师学院', '高级技工学校', '技工学校')),
    state TEXT NOT NULL DEFAULT '在库'
        CHECK (state IN ('在库', '已发放', '已打印', '已验印', '已作废', '已退回')),
    received_by INTEGER NOT NULL REFERENCES person(id),
    issued_by INTEGER REFERENCES person(id),
    school_id INTEGER REFERENCES org(id),
    request_id INTEGER REFERENCES grad_request(id),
    graduate_id INTEGER REFERENCES graduate(id),
    updated_at TEXT NOT NULL,
    -- 保管与发放分开: who booked a blank in never hands it out.
    CHECK (issued_by IS NULL OR issued_by <> received_by),
    CHECK (state = '在库' OR school_id IS NOT NULL)
);
CREATE INDEX blank_kind_state ON blank(kind, state);
CREATE INDEX blank_school ON blank(school_id, state);

-- A blank only ever moves forward: 在库 → 已发放 → 已打印 → 已验印; 已发放/已打印 → 已作废 → 已退回.
CREATE TRIGGER blank_state_forward BEFORE UPDATE OF state ON blank
WHEN NOT (
    (OLD.state = '在库' AND NEW.state = '已发放')
    OR (OLD.state = '已发放' AND NEW.state IN ('已打印', '已作废'))
    OR (OLD.state = '已打印' AND NEW.state IN ('已验印', '已作废'))
    OR (OLD.state = '已作废' AND NEW.state = '已退回')
)
BEGIN
    SELECT RAISE(ABORT, 'a blank certificate cannot move from this state to that one');
END;

CREATE TRIGGER blank_not_deleted BEFORE DELETE ON blank
BEGIN
    SELECT RAISE(ABORT, 'blank certificates are never destroyed');
END;

CREATE TABLE blank_event (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL REFERENCES blank(serial),
    event TEXT NOT NULL CHECK (event IN ('receive', 'issue', 'print', 'seal', 'void', 'return')),
    person_id INTEGER REFERENCES person(id),
    school_id INTEGER REFERENCES org(id),
    request_id INTEGER REFERENCES grad_request(id),
    graduate_id INTEGER REFERENCES graduate(id),
    reason TEXT,
    audit_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX blank_event_serial ON blank_event(serial);
-- The same serial is never issued twice, never printed twice.
CREATE UNIQUE INDEX blank_event_issued_once ON blank_event(serial) WHERE event = 'issue';
CREATE UNIQUE INDEX blank_event_printed_once ON blank_event(serial) WHERE event = 'print';

CREATE TRIGGER blank_event_roles BEFORE INSERT ON blank_event
WHEN (NEW.event = 'receive' AND (SELECT role FROM person WHERE id = NEW.person_id) IS NOT '库管员')
    OR (NEW.event = 'issue' AND (SELECT role FROM person WHERE id = NEW.person_id) IS NOT '发放员')
BEGIN
    SELECT RAISE(ABORT, 'blanks are booked in by a 库管员 and handed out by a 发放员');
END;

CREATE TRIGGER blank_event_keeper_never_issues BEFORE INSERT ON blank_event
WHEN NEW.event = 'issue' AND EXISTS (
    SELECT 1 FROM blank_event e
    WHERE e.serial = NEW.serial AND e.event = 'receive' AND e.person_id = NEW.person_id
)
BEGIN
    SELECT RAISE(ABORT, 'who booked blanks in never hands them out');
END;

-- A school prints only on blanks issued to it (a second printing meets the unique index above).
CREATE TRIGGER blank_event_print_own BEFORE INSERT ON blank_event
WHEN NEW.event = 'print' AND NOT EXISTS (
    SELECT 1 FROM blank b
    WHERE b.serial = NEW.serial AND b.state = '已发放' AND b.school_id IS NEW.school_id
) AND NOT EXISTS (SELECT 1 FROM blank_event e WHERE e.serial = NEW.serial AND e.event = 'print')
BEGIN
    SELECT RAISE(ABORT, 'this blank was not issued to this school');
END;

CREATE TRIGGER blank_event_no_update BEFORE UPDATE ON blank_event
BEGIN
    SELECT RAISE(ABORT, 'blank stock history is append-only');
END;

CREATE TRIGGER blank_event_no_delete BEFORE DELETE ON blank_event
BEGIN
    SELECT RAISE(ABORT, 'blank stock history is append-only');
END;
