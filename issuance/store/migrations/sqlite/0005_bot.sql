-- Chat bot: conversation state that must survive a restart, taps already acted on, broadcasts.

-- One row per account and kind: 'await' (the one text answer the bot waits for, e.g. a refusal
-- reason), 'selection' (records ticked for a batch act), 'stamp' (a checked stamp awaiting consent).
CREATE TABLE chat_state (
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, account, kind)
);

-- A button tap that acted: the same button on the same message never acts twice.
CREATE TABLE chat_tap (
    chat TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (chat, message_id, data)
);

-- An evaluation organization's notification of an exam plan's pending lists to the schools.
CREATE TABLE broadcast (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES exam_plan(id),
    person_id INTEGER NOT NULL REFERENCES person(id),
    schools INTEGER NOT NULL,
    not_bound TEXT NOT NULL DEFAULT '[]',
    progress_chat TEXT,
    progress_message INTEGER,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
