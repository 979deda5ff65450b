-- Qualification and employment (职业资格证书, 就业) and grades (成绩管理) of graduates.

-- 就业单位, imported beside 就业情况; 职业(工种) and 发证日期 of the recorded qualification.
ALTER TABLE graduate ADD COLUMN employer TEXT;
ALTER TABLE graduate ADD COLUMN qualification_occupation TEXT;
ALTER TABLE graduate ADD COLUMN qualification_date TEXT;

-- 证书比对: imported qualification rows that matched no graduate by ID number and name. They are
-- kept, not applied, for the 经办人 to see before declaring; a new import of the same ID number
-- replaces them. `school_id` is the school the row was imported for or whose graduate it names.
CREATE TABLE qualification_pending (
    id INTEGER PRIMARY KEY,
    school_id INTEGER REFERENCES org(id),
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    qualification_no TEXT NOT NULL,
    qualification_level TEXT NOT NULL,
    occupation TEXT,
    issued_on TEXT,
    reason TEXT NOT NULL CHECK (reason IN ('name_mismatch', 'no_graduate')),
    graduate_name TEXT,
    source TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX qualification_pending_id_number ON qualification_pending(id_number);
CREATE INDEX qualification_pending_school ON qualification_pending(school_id);

-- 成绩管理: each graduate's final grade of a course and the teacher's name; a new import replaces
-- the course's row and keeps the old one in graduate_history.
CREATE TABLE graduate_grade (
    id INTEGER PRIMARY KEY,
    graduate_id INTEGER NOT NULL REFERENCES graduate(id),
    course TEXT NOT NULL,
    score TEXT NOT NULL,
    teacher TEXT NOT NULL,
    semester TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (graduate_id, course)
);
