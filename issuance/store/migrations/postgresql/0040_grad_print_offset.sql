-- Each school's printer calibration (打印偏移) for graduation certificates: millimetres added to
-- every printed field, right and down positive. One row per school; the audit log keeps history.
CREATE TABLE grad_print_offset (
    school_id INTEGER PRIMARY KEY REFERENCES org(id),
    dx_mm DOUBLE PRECISION NOT NULL CHECK (dx_mm BETWEEN -20 AND 20),
    dy_mm DOUBLE PRECISION NOT NULL CHECK (dy_mm BETWEEN -20 AND 20),
    set_by INTEGER REFERENCES person(id),
    set_at TEXT NOT NULL
);
