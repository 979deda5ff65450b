-- rebuilds tables org and person: 技工院校 and the graduation roles, enforced per organization kind.
CREATE TABLE _rebuild_kept AS
    SELECT name, sql FROM sqlite_schema
    WHERE tbl_name IN ('org', 'person') AND type IN ('index', 'trigger') AND sql IS NOT NULL;

-- level (办学层次) and school_seq (学校序号) belong to a 技工院校; final (终审) to a 主管部门.
CREATE TABLE org_rebuilt (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('培训评价组织', '试点院校', '主管部门', '技工院校')),
    region TEXT,
    parent_id INTEGER REFERENCES org(id),
    level TEXT CHECK (level IN ('技师学院', '高级技工学校', '技工学校')),
    school_seq TEXT CHECK (length(school_seq) = 3 AND school_seq NOT GLOB '*[^0-9]*'),
    final INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    CHECK ((kind = '技工院校') = (level IS NOT NULL AND school_seq IS NOT NULL)),
    CHECK (kind = '主管部门' OR final = 0)
);
INSERT INTO org_rebuilt (id, code, name, kind, region, parent_id)
    SELECT id, code, name, kind, region, parent_id FROM org;
DROP TABLE org;
ALTER TABLE org_rebuilt RENAME TO org;
-- 学校序号 is the school's number within its region.
CREATE UNIQUE INDEX org_school_seq ON org(substr(region, 1, 2), school_seq) WHERE kind = '技工院校';

CREATE TABLE person_rebuilt (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    org_id INTEGER NOT NULL REFERENCES org(id),
    role TEXT NOT NULL CHECK (
        role IN ('负责人', '业务管理员', '签发人', '审核人', '经办人', '校领导', '审批人', '库管员', '发放员')
    ),
    title TEXT
);
INSERT INTO person_rebuilt (id, name, phone, org_id, role, title)
    SELECT id, name, phone, org_id, role, title FROM person;
DROP TABLE person;
ALTER TABLE person_rebuilt RENAME TO person;
CREATE UNIQUE INDEX person_one_head_per_org ON person(org_id) WHERE role = '负责人';

-- The graduation roles belong to one kind of organization each.
CREATE TRIGGER person_graduation_role_insert BEFORE INSERT ON person
WHEN (NEW.role IN ('经办人', '校领导')
        AND (SELECT kind FROM org WHERE id = NEW.org_id) IS NOT '技工院校')
    OR (NEW.role IN ('审批人', '库管员', '发放员')
        AND (SELECT kind FROM org WHERE id = NEW.org_id) IS NOT '主管部门')
BEGIN
    SELECT RAISE(ABORT, 'graduation role does not fit the organization kind');
END;

CREATE TRIGGER person_graduation_role_update BEFORE UPDATE OF role, org_id ON person
WHEN (NEW.role IN ('经办人', '校领导')
        AND (SELECT kind FROM org WHERE id = NEW.org_id) IS NOT '技工院校')
    OR (NEW.role IN ('审批人', '库管员', '发放员')
        AND (SELECT kind FROM org WHERE id = NEW.org_id) IS NOT '主管部门')
BEGIN
    SELECT RAISE(ABORT, 'graduation role does not fit the organization kind');
END;
