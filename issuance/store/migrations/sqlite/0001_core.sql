-- Core schema: organizations, people, programs, exam results, issuance records, sign-off history,
-- signatures, stamps, certificate number sequences, student-info problems and the audit log.

CREATE TABLE org (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('培训评价组织', '试点院校', '主管部门')),
    region TEXT,
    parent_id INTEGER REFERENCES org(id)
);

CREATE TABLE person (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    org_id INTEGER NOT NULL REFERENCES org(id),
    role TEXT NOT NULL CHECK (role IN ('负责人', '业务管理员', '签发人', '审核人')),
    title TEXT
);
-- A school has exactly one responsible person (考核站点负责人).
CREATE UNIQUE INDEX person_one_head_per_org ON person(org_id) WHERE role = '负责人';

CREATE TABLE chat_account (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES person(id),
    language TEXT,
    bound_at TEXT NOT NULL,
    unreachable_at TEXT,
    PRIMARY KEY (channel, account),
    UNIQUE (person_id, channel)
);

CREATE TABLE invite (
    code TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE program (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('初级', '中级', '高级')),
    issuer_id INTEGER NOT NULL REFERENCES org(id),
    number_pattern TEXT,
    UNIQUE (name, level, issuer_id)
);

CREATE TABLE exam_plan (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    program_id INTEGER NOT NULL REFERENCES program(id)
);

CREATE TABLE student (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    student_type TEXT NOT NULL CHECK (student_type IN ('院校学生', '社会学员')),
    school_id INTEGER REFERENCES org(id)
);

CREATE TABLE exam_result (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES student(id),
    plan_id INTEGER NOT NULL REFERENCES exam_plan(id),
    site_id INTEGER NOT NULL REFERENCES org(id),
    passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
    UNIQUE (student_id, plan_id)
);

-- A pending-issuance list: the passed results of one exam plan at one assessment site.
CREATE TABLE batch (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES exam_plan(id),
    site_id INTEGER NOT NULL REFERENCES org(id),
    created_at TEXT NOT NULL
);

CREATE TABLE record (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batch(id),
    result_id INTEGER NOT NULL UNIQUE REFERENCES exam_result(id),
    cert_no TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    round INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    issued_at TEXT,
    void_at TEXT,
    void_reason TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX record_batch_status ON record(batch_id, status);

-- Confirmation cannot be withdrawn (不可撤回): the database itself refuses.
CREATE TRIGGER record_confirmed_is_final BEFORE UPDATE OF status ON record
WHEN OLD.status = '确认签发' AND NEW.status <> '确认签发'
BEGIN
    SELECT RAISE(ABORT, 'confirmed issuance cannot be withdrawn');
END;

CREATE TRIGGER record_confirmed_not_deleted BEFORE DELETE ON record
WHEN OLD.status = '确认签发'
BEGIN
    SELECT RAISE(ABORT, 'confirmed issuance cannot be withdrawn');
END;

CREATE TABLE signature (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person(id),
    png BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    strokes TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE signoff (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES record(id),
    round INTEGER NOT NULL,
    party TEXT NOT NULL,
    act TEXT NOT NULL CHECK (act IN ('confirm', 'refuse', 'resubmit')),
    person_id INTEGER REFERENCES person(id),
    reason TEXT,
    signature_id INTEGER REFERENCES signature(id),
    audit_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX signoff_record ON signoff(record_id);

CREATE TRIGGER signoff_no_update BEFORE UPDATE ON signoff
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

CREATE TRIGGER signoff_no_delete BEFORE DELETE ON signoff
BEGIN
    SELECT RAISE(ABORT, 'sign-off history is append-only');
END;

-- Signature stamps (签名章) and organization seals; every upload is kept, the newest is in use.
CREATE TABLE stamp (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org(id),
    person_id INTEGER NOT NULL REFERENCES person(id),
    png BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    consent_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE number_sequence (
    scope TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

-- Student info the school must complete before issuance (完善学生信息).
CREATE TABLE info_problem (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES record(id),
    field TEXT NOT NULL CHECK (field IN ('name', 'id_number', 'student_type')),
    note TEXT NOT NULL,
    deadline TEXT NOT NULL,
    created_by INTEGER REFERENCES person(id),
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by INTEGER REFERENCES person(id)
);
CREATE INDEX info_problem_record ON info_problem(record_id);

-- Hash-chained audit log: each entry carries the SHA-256 of the previous one.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    reason TEXT,
    signature TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
