"""Migration 0230 on a database of schema 220 holding sign-off history in the old layout (one
`signoff` row per record and act): the acts, each record's history, the refusals, the per-batch
status counts and the audit reference come out the same, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from issuance.core.audit import AuditEntry
from issuance.core.chain import Act
from issuance.core.records import RecordChange
from issuance.store import Store
from tests.databases import Execute, IntegrityErrors, fresh_database, raw

T = "2025-06-0{}T10:00:00+08:00"
E, S = "培训评价组织", "考核站点"
# (old signoff id, record, round, party, act, person, reason, signature, audit id, time):
# five acts; the first and the last are the same person, party, act and signature.
OLD_HISTORY = [
    (1, 1, 1, E, "confirm", 1, None, 1, 10, T.format(1)),
    (2, 2, 1, E, "confirm", 1, None, 1, 10, T.format(1)),
    (3, 3, 1, E, "confirm", 1, None, 1, 10, T.format(1)),
    (4, 4, 1, E, "confirm", 1, None, 1, 10, T.format(1)),
    (5, 3, 1, S, "refuse", 2, "照片不清", None, 11, T.format(2)),
    (6, 4, 1, S, "refuse", 2, "照片不清", None, 11, T.format(2)),
    (7, 3, 2, E, "resubmit", 1, None, None, 12, T.format(3)),
    (8, 1, 1, S, "confirm", 2, None, 2, 13, T.format(4)),
    (9, 2, 1, S, "confirm", 2, None, 2, 13, T.format(4)),
    (10, 3, 2, E, "confirm", 1, None, 1, 14, T.format(5)),
]
# Each record as the history left it: (status, round, voided).
RECORDS = {
    1: ("确认签发", 1, False),
    2: ("确认签发", 1, True),
    3: ("考核站点待签发", 2, False),
    4: ("考核站点拒绝签发", 1, False),
}


def _old_world(execute: Execute) -> None:
    """Schema 220 rows, written as the code of that version wrote them."""
    execute("INSERT INTO org (id, code, name, kind) VALUES (1, 'I1', '评价组织', '培训评价组织')")
    execute("INSERT INTO org (id, code, name, kind) VALUES (2, 'S1', '院校', '试点院校')")
    execute(
        "INSERT INTO person (id, name, phone, org_id, role)"
        " VALUES (1, '签发人', '13800000001', 1, '签发人'), (2, '校长', '13800000002', 2, '负责人')"
    )
    for person in (1, 2):
        png = f"signature {person}".encode()
        execute(
            "INSERT INTO signature (id, person_id, png, sha256, strokes, created_at)"
            " VALUES (?, ?, ?, ?, '[]', ?)",
            (person, person, png, hashlib.sha256(png).hexdigest(), T.format(1)),
        )
    execute("INSERT INTO program (id, name, level, issuer_id) VALUES (1, '焊接', '初级', 1)")
    execute("INSERT INTO exam_plan (id, name, program_id) VALUES (1, '2025年6月', 1)")
    execute(
        "INSERT INTO batch (id, plan_id, site_id, created_at) VALUES (1, 1, 2, ?)", (T.format(1),)
    )
    for record, (status, round_, voided) in RECORDS.items():
        execute(
            "INSERT INTO student (id, id_number, name, student_type, school_id)"
            " VALUES (?, ?, ?, '院校学生', 2)",
            (record, f"61011420000101{record:03d}X", f"学生{record}"),
        )
        execute(
            "INSERT INTO exam_result (id, student_id, plan_id, site_id, passed)"
            " VALUES (?, ?, 1, 2, 1)",
            (record, record),
        )
        execute(
            "INSERT INTO record (id, batch_id, result_id, cert_no, status, round, version,"
            " issued_at, void_at, void_reason, updated_at)"
            " VALUES (?, 1, ?, ?, ?, ?, 3, ?, ?, ?, ?)",
            (
                record, record, f"X{record:04d}", status, round_,
                T.format(4) if status == "确认签发" else None,
                T.format(6) if voided else None, "打印损坏" if voided else None, T.format(5),
            ),
        )  # fmt: skip
    for row in OLD_HISTORY:
        execute(
            "INSERT INTO signoff (id, record_id, round, party, act, person_id, reason,"
            " signature_id, audit_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )


async def _check_upgraded(location: str | Path) -> None:
    store = await Store.open(location)
    try:
        assert await store.schema_version() >= 230
        acts = await store._all(
            "SELECT id, party, act, person_id, reason, signature_id, audit_id, at"
            " FROM signoff_act ORDER BY id"
        )
        # One act per audit entry, numbered by its first old row, in order.
        assert [tuple(row) for row in acts] == [
            (1, E, "confirm", 1, None, 1, 10, T.format(1)),
            (5, S, "refuse", 2, "照片不清", None, 11, T.format(2)),
            (7, E, "resubmit", 1, None, None, 12, T.format(3)),
            (8, S, "confirm", 2, None, 2, 13, T.format(4)),
            (10, E, "confirm", 1, None, 1, 14, T.format(5)),
        ]
        for record in RECORDS:
            history = await store.signoff_history(record)
            old = [row for row in OLD_HISTORY if row[1] == record]
            assert [(h.round, h.party, h.act, h.reason, h.at) for h in history] == [
                (row[2], row[3], row[4], row[6], row[9]) for row in old
            ]
            names = {1: "签发人", 2: "校长"}
            assert [h.person for h in history] == [names[row[5]] for row in old]
        assert await store.latest_refusals([1, 2, 3, 4]) == {3: "照片不清", 4: "照片不清"}
        assert await store.last_referenced_audit_id() == 14
        (batch,) = await store.batches(batch_id=1)
        assert batch.counts == {
            "确认签发": 1,
            "作废": 1,
            "考核站点待签发": 1,
            "考核站点拒绝签发": 1,
        }
        # Status left the record's indexes (its updates need enter none of them again).
        if store.dialect == "sqlite":
            indexes = await store._all(
                "SELECT name, COALESCE(sql, '') FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = 'record'"
            )
        else:
            indexes = await store._all(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'record'"
            )
        assert not [row for row in indexes if "status" in row[1]], indexes
        assert {"record_batch", "record_issued"} <= {row[0] for row in indexes}
        # The next act goes on after the migrated ones, and is counted.
        audit = AuditEntry(store.now_iso(), "person:2", "signoff.confirm", "records:3")
        change = RecordChange(3, "考核站点待签发", 3, "确认签发", 2)
        await store.apply_signoff([change], S, Act.CONFIRM.value, 2, None, 2, audit, "确认签发")
        history = await store.signoff_history(3)
        assert [(h.party, h.act) for h in history][-1] == (S, "confirm")
        row = await store._one("SELECT MAX(id) FROM signoff_act")
        assert row is not None and row[0] == 11
        (batch,) = await store.batches(batch_id=1)
        assert batch.counts == {"确认签发": 2, "作废": 1, "考核站点拒绝签发": 1}
    finally:
        await store.close()
    with raw(location) as execute:
        for sql in ("DELETE FROM signoff_act WHERE id = 1", "UPDATE signoff_record SET round = 9"):
            with pytest.raises(IntegrityErrors, match="append-only"):
                execute(sql)


async def test_sqlite_signoff_history_upgrades_to_acts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    await (await Store.open(path, upto=220)).close()
    with raw(path) as execute:
        _old_world(execute)
    await _check_upgraded(path)


async def test_postgresql_signoff_history_upgrades_to_acts(postgres: str) -> None:
    with fresh_database(postgres) as url:
        await (await Store.open(url, upto=220)).close()
        with raw(url) as execute:
            _old_world(execute)
        await _check_upgraded(url)
        with raw(url) as execute:
            ((options,),) = execute("SELECT reloptions FROM pg_class WHERE relname = 'record'")
        assert options == ["fillfactor=45"]
