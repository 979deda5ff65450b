-- 技工院校 and the graduation roles, enforced per organization kind (PostgreSQL twin of
-- sqlite/0020, which rebuilds the tables to change their CHECKs; here the constraints change).
-- Also a refusal every simple trigger of the later migrations uses: its message is the argument.
CREATE FUNCTION qianfa_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

-- level (办学层次) and school_seq (学校序号) belong to a 技工院校; final (终审) to a 主管部门.
ALTER TABLE org DROP CONSTRAINT org_kind_check;
ALTER TABLE org ADD CONSTRAINT org_kind_check
    CHECK (kind IN ('培训评价组织', '试点院校', '主管部门', '技工院校'));
ALTER TABLE org
    ADD COLUMN level TEXT CHECK (level IN ('技师学院', '高级技工学校', '技工学校')),
    ADD COLUMN school_seq TEXT CHECK (school_seq ~ '^[0-9]{3}$'),
    ADD COLUMN final INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    ADD CHECK ((kind = '技工院校') = (level IS NOT NULL AND school_seq IS NOT NULL)),
    ADD CHECK (kind = '主管部门' OR final = 0);
-- 学校序号 is the school's number within its region.
CREATE UNIQUE INDEX org_school_seq ON org(substr(region, 1, 2), school_seq) WHERE kind = '技工院校';

ALTER TABLE person DROP CONSTRAINT person_role_check;
ALTER TABLE person ADD CONSTRAINT person_role_check CHECK (
    role IN ('负责人', '业务管理员', '签发人', '审核人', '经办人', '校领导', '审批人', '库管员', '发放员')
);

-- The graduation roles belong to one kind of organization each.
CREATE FUNCTION person_graduation_role() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org_kind TEXT := (SELECT kind FROM org WHERE id = NEW.org_id);
BEGIN
    IF (NEW.role IN ('经办人', '校领导') AND org_kind IS DISTINCT FROM '技工院校')
        OR (NEW.role IN ('审批人', '库管员', '发放员') AND org_kind IS DISTINCT FROM '主管部门') THEN
        RAISE EXCEPTION 'graduation role does not fit the organization kind'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER person_graduation_role_insert BEFORE INSERT ON person
FOR EACH ROW EXECUTE FUNCTION person_graduation_role();

CREATE TRIGGER person_graduation_role_update BEFORE UPDATE OF role, org_id ON person
FOR EACH ROW EXECUTE FUNCTION person_graduation_role();
