-- The role 管理员 (administrator), who invites, binds and unbinds people from chat (PostgreSQL twin
-- of the SQLite rebuild).
ALTER TABLE person DROP CONSTRAINT person_role_check;
ALTER TABLE person ADD CONSTRAINT person_role_check CHECK (
    role IN (
        '负责人', '业务管理员', '签发人', '审核人', '经办人', '校领导', '审批人', '库管员', '发放员',
        '管理员'
    )
);
