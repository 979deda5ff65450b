-- Graduation certificates: graduates with their correction history, declarations and requests
-- (毕业证申报, 空白毕业证申报, 毕业证修改, 毕业证重打) as chain items with an append-only act history.

CREATE TABLE graduate (
    id INTEGER PRIMARY KEY,
    school_id INTEGER NOT NULL REFERENCES org(id),
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('男', '女')),
    major_code TEXT NOT NULL CHECK (length(major_code) = 4 AND major_code NOT GLOB '*[^0-9]*'),
    major TEXT NOT NULL,
    class_level TEXT NOT NULL CHECK (class_level IN ('预备技师班', '高级工班', '中级工班')),
    enrolled TEXT NOT NULL,
    graduated TEXT NOT NULL,
    years TEXT NOT NULL,
    study_mode TEXT NOT NULL CHECK (study_mode IN ('全日制', '非全日制')),
    qualification_no TEXT,
    qualification_level TEXT,
    employment TEXT CHECK (employment IN ('已就业', '升学', '待就业')),
    cert_no TEXT UNIQUE,
    numbered_at TEXT,
    printed_at TEXT,
    -- The approved 毕业证修改 that last changed this graduate's certificate data.
    amendment_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    CHECK (enrolled < graduated),
    UNIQUE (id_number, graduated)
);
CREATE INDEX graduate_school_term ON graduate(school_id, graduated);

-- A number is never changed or freed (never reused, even after 作废).
CREATE TRIGGER graduate_number_final BEFORE UPDATE OF cert_no ON graduate
WHEN OLD.cert_no IS NOT NULL AND NEW.cert_no IS NOT OLD.cert_no
BEGIN
    SELECT RAISE(ABORT, 'a graduation certificate number is final');
END;

CREATE TRIGGER graduate_numbered_not_deleted BEFORE DELETE ON graduate
WHEN OLD.cert_no IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a graduation certificate number is final');
END;

-- Once a certificate is printed its data changes only through an approved 毕业证修改.
CREATE TRIGGER graduate_printed_final
BEFORE UPDATE OF school_id, name, id_number, sex, major_code, major, class_level, enrolled,
    graduated, years, study_mode ON graduate
WHEN OLD.printed_at IS NOT NULL AND NEW.amendment_id IS OLD.amendment_id
BEGIN
    SELECT RAISE(ABORT, 'a printed graduate changes only through 毕业证修改');
END;

-- Every correction keeps the values it replaced.
CREATE TABLE graduate_history (
    id INTEGER PRIMARY KEY,
    graduate_id INTEGER NOT NULL REFERENCES graduate(id),
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    source TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX graduate_history_graduate ON graduate_history(graduate_id);

CREATE TRIGGER graduate_history_no_update BEFORE UPDATE ON graduate_history
BEGIN
    SELECT RAISE(ABORT, 'graduate history is append-only');
END;

CREATE TRIGGER graduate_history_no_delete BEFORE DELETE ON graduate_history
BEGIN
    SELECT RAISE(ABORT, 'graduate history is append-only');
END;

-- One declaration or request; `approvers` lists the departments that approve it, in order (JSON).
CREATE TABLE grad_request (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('毕业证申报', '空白毕业证申报', '毕业证修改', '毕业证重打')),
    school_id INTEGER NOT NULL REFERENCES org(id),
    term TEXT,
    blank_kind TEXT CHECK (blank_kind IN ('技师学院', '高级技工学校', '技工学校')),
    blank_count INTEGER CHECK (blank_count > 0),
    changes TEXT,
    approvers TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES person(id),
    created_at TEXT NOT NULL,
    CHECK ((kind = '空白毕业证申报') = (blank_kind IS NOT NULL AND blank_count IS NOT NULL))
);
CREATE INDEX grad_request_school ON grad_request(school_id, term);

-- One graduate of a request (or the request itself, for a blank request): status and stage (its
-- step in the chain: 0 审核, 1 the first 审批, …) and whose turn it is.
CREATE TABLE grad_item (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES grad_request(id),
    graduate_id INTEGER REFERENCES graduate(id),
    declaration INTEGER NOT NULL DEFAULT 0 CHECK (declaration IN (0, 1)),
    status TEXT NOT NULL CHECK (status IN ('待审核', '审核退回', '待审批', '审批退回', '已审批')),
    stage INTEGER NOT NULL DEFAULT 0,
    waiting_org_id INTEGER REFERENCES org(id),
    round INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    UNIQUE (request_id, graduate_id)
);
CREATE INDEX grad_item_waiting ON grad_item(waiting_org_id, status);
CREATE INDEX grad_item_request ON grad_item(request_id, status);
-- A graduate is declared (毕业证申报) once.
CREATE UNIQUE INDEX grad_item_declared_once ON grad_item(graduate_id) WHERE declaration = 1;

-- Approval cannot be withdrawn: the database itself refuses.
CREATE TRIGGER grad_item_approved_final BEFORE UPDATE ON grad_item
WHEN OLD.status = '已审批'
BEGIN
    SELECT RAISE(ABORT, 'approval cannot be withdrawn');
END;

CREATE TRIGGER grad_item_approved_not_deleted BEFORE DELETE ON grad_item
WHEN OLD.status = '已审批'
BEGIN
    SELECT RAISE(ABORT, 'approval cannot be withdrawn');
END;

CREATE TABLE grad_act (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES grad_item(id),
    round INTEGER NOT NULL,
    stage INTEGER NOT NULL,
    act TEXT NOT NULL CHECK (act IN ('confirm', 'refuse', 'resubmit')),
    person_id INTEGER NOT NULL REFERENCES person(id),
    reason TEXT,
    audit_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX grad_act_item ON grad_act(item_id);

CREATE TRIGGER grad_act_no_update BEFORE UPDATE ON grad_act
BEGIN
    SELECT RAISE(ABORT, 'graduation history is append-only');
END;

CREATE TRIGGER grad_act_no_delete BEFORE DELETE ON grad_act
BEGIN
    SELECT RAISE(ABORT, 'graduation history is append-only');
END;
