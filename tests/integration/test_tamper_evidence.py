"""Tamper evidence through the command line: the anchored audit chain (tail deletion, re-hashed
edits, an old chain upgraded), final rows against INSERT OR REPLACE, empty, missing and damaged
database files, and homes without a configuration."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from issuance.core.audit import AuditEntry, entry_hash
from issuance.core.settings import load_settings, write_initial_config
from issuance.store import Store
from issuance.store.opening import open_store
from tests.cli import qianfa, sql


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("tamper") / "home"
    run = qianfa(home, "init", "--demo")
    assert run.code == 0, run.stderr
    return home


@pytest.fixture
def home(demo_home: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_home, tmp_path / "home"))


def _confirmed_cert(home: Path) -> str:
    rows = sql(home, "SELECT cert_no FROM record WHERE status = '确认签发' ORDER BY id LIMIT 1")
    return str(rows[0][0])


def _rehash_from(home: Path, first: int) -> None:
    """Recompute every hash from entry `first` on by the public algorithm, as an attacker could."""
    db = sqlite3.connect(home / "qianfa.db", isolation_level=None)
    try:
        rows = db.execute(
            "SELECT id, at, actor, action, subject, reason, signature, prev_hash FROM audit"
            " WHERE id >= ? ORDER BY id",
            (first,),
        ).fetchall()
        prev = rows[0][7]
        for row in rows:
            digest = entry_hash(prev, AuditEntry(*row[1:7]))
            db.execute(
                "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, row[0])
            )
            prev = digest
    finally:
        db.close()


def test_an_intact_anchored_log_verifies(demo_home: Path) -> None:
    run = qianfa(demo_home, "audit", "verify", "--json")
    assert run.code == 0, run.stderr
    assert run.json()["keyed_from"] == 1
    assert (demo_home / "audit.key").stat().st_mode & 0o777 == 0o600
    assert sql(demo_home, "SELECT COUNT(*) FROM audit WHERE mac IS NULL") == [(0,)]


def test_deleting_a_void_from_the_end_of_the_log_is_detected(home: Path) -> None:
    cert_no = _confirmed_cert(home)
    assert qianfa(home, "void", cert_no, "--reason", "打印损坏").code == 0
    assert qianfa(home, "audit", "verify").code == 0
    sql(home, "DELETE FROM audit WHERE action = 'certificate.void'")
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert "库外锚点" in run.stderr and "deleted from the end" in run.stderr


def test_an_edit_rehashed_by_the_public_algorithm_is_detected(home: Path) -> None:
    sql(home, "UPDATE audit SET actor = 'person:999' WHERE id = 2")
    _rehash_from(home, 2)
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert "entry 2: keyed MAC does not match" in run.stderr


def test_a_lowered_head_file_is_detected(home: Path) -> None:
    head = json.loads((home / "audit.head").read_text())
    head["count"] -= 1
    (home / "audit.head").write_text(json.dumps(head))
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert "signature does not match" in run.stderr


def test_removed_anchor_files_are_not_silently_recreated(home: Path) -> None:
    (home / "audit.key").unlink()
    (home / "audit.head").unlink()
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert "审计锚点文件" in run.stderr and "audit.key" in run.stderr
    assert not (home / "audit.key").exists()


async def test_an_old_unanchored_chain_is_anchored_at_its_end_and_then_guarded(
    tmp_path: Path,
) -> None:
    write_initial_config(tmp_path)
    store = await Store.open(load_settings(tmp_path, environ={}).database_path)
    for n in range(3):
        await store.append_audit(AuditEntry(f"2025-01-0{n + 1}", "admin", "old", f"n:{n}"))
    await store.close()

    run = qianfa(tmp_path, "audit", "verify", "--json")
    assert run.code == 0, run.stderr
    assert run.json() == {"ok": True, "entries": 3, "keyed_from": 4}
    # An old entry edited and re-hashed up to the anchor point no longer matches the head.
    sql(tmp_path, "UPDATE audit SET subject = 'n:9' WHERE id = 2")
    _rehash_from(tmp_path, 2)
    run = qianfa(tmp_path, "audit", "verify")
    assert run.code == 1 and "entry 3 differs from the anchored head" in run.stderr


def test_the_head_stays_put_when_its_last_entry_was_removed_before_new_appends(
    home: Path,
) -> None:
    cert_no = _confirmed_cert(home)
    assert qianfa(home, "void", cert_no, "--reason", "打印损坏").code == 0
    sql(home, "DELETE FROM audit WHERE action = 'certificate.void'")
    # The service keeps appending: the head must not move past the gap and bless it.
    others = sql(
        home, "SELECT cert_no FROM record WHERE status = '确认签发' AND void_at IS NULL LIMIT 2"
    )
    for (other,) in others:
        assert qianfa(home, "void", other, "--reason", "重复打印").code == 0
    run = qianfa(home, "audit", "verify")
    assert run.code == 1 and "differs from the anchored head" in run.stderr


# Final rows against INSERT OR REPLACE, from a raw connection without recursive triggers


def _replace_cases(home: Path) -> list[tuple[str, tuple[object, ...]]]:
    record = sql(
        home,
        "SELECT r.id, r.batch_id, r.result_id, r.cert_no, er.student_id, er.plan_id, er.site_id"
        " FROM record r JOIN exam_result er ON er.id = r.result_id"
        " WHERE r.status = '确认签发' ORDER BY r.id LIMIT 1",
    )[0]
    rid, batch, result, cert_no, student, plan, site = record
    ((id_number,),) = sql(home, "SELECT id_number FROM student WHERE id = ?", (student,))
    ((signature,),) = sql(home, "SELECT MIN(id) FROM signature")
    ((act,),) = sql(home, "SELECT MIN(id) FROM signoff_act")
    return [
        (
            "INSERT OR REPLACE INTO record (id, batch_id, result_id, cert_no, status, updated_at)"
            " VALUES (?, ?, ?, ?, '考核站点待签发', 'x')",
            (rid, batch, result, cert_no),
        ),
        (
            "REPLACE INTO record (batch_id, result_id, cert_no, status, updated_at)"
            " VALUES (?, ?, '1', '确认签发', 'x')",
            (batch, result),
        ),
        (
            "REPLACE INTO record (batch_id, result_id, cert_no, status, updated_at)"
            " VALUES (?, 999999, ?, '确认签发', 'x')",
            (batch, cert_no),
        ),
        (
            "INSERT OR REPLACE INTO exam_result (id, student_id, plan_id, site_id, passed)"
            " VALUES (?, ?, ?, ?, 0)",
            (result, student, plan, site),
        ),
        (
            "INSERT OR REPLACE INTO student (id, id_number, name, student_type)"
            " VALUES (?, ?, '冒名顶替', '社会学员')",
            (student, id_number),
        ),
        ("UPDATE student SET name = '冒名顶替' WHERE id = ?", (student,)),
        ("UPDATE exam_result SET passed = 0 WHERE id = ?", (result,)),
        ("DELETE FROM exam_result WHERE id = ?", (result,)),
        (
            "INSERT OR REPLACE INTO signature (id, person_id, png, sha256, strokes, created_at)"
            " SELECT id, person_id, x'00', 'forged', '[]', created_at FROM signature WHERE id = ?",
            (signature,),
        ),
        ("UPDATE signature SET png = x'00' WHERE id = ?", (signature,)),
        ("DELETE FROM signature WHERE id = ?", (signature,)),
        (
            "INSERT OR REPLACE INTO signoff_act (id, party, act, audit_id, at)"
            " SELECT id, party, 'refuse', audit_id, at FROM signoff_act WHERE id = ?",
            (act,),
        ),
        (
            "INSERT OR REPLACE INTO signoff_record (record_id, act_id, round)"
            " SELECT record_id, act_id, round + 1 FROM signoff_record WHERE act_id = ?",
            (act,),
        ),
    ]


@pytest.mark.parametrize("case", range(13))
def test_insert_or_replace_cannot_change_a_final_row(home: Path, case: int) -> None:
    statement, params = _replace_cases(home)[case]
    before = (home / "qianfa.db").read_bytes()
    db = sqlite3.connect(home / "qianfa.db", isolation_level=None)
    try:
        assert db.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        with pytest.raises(sqlite3.IntegrityError, match=r"final|withdrawn|append-only"):
            db.execute(statement, params)
    finally:
        db.close()
    assert (home / "qianfa.db").read_bytes() == before
    assert qianfa(home, "audit", "verify").code == 0


def test_a_void_stays_void(home: Path) -> None:
    cert_no = _confirmed_cert(home)
    assert qianfa(home, "void", cert_no, "--reason", "打印损坏").code == 0
    for statement in (
        "UPDATE record SET void_at = NULL WHERE cert_no = ?",
        "UPDATE record SET void_reason = '改写' WHERE cert_no = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="stays void"):
            sql(home, statement, (cert_no,))


def test_a_pending_record_and_its_student_may_still_change(home: Path) -> None:
    """The guards aim at final rows only: completing student info before confirmation works."""
    ((student,),) = sql(
        home,
        "SELECT er.student_id FROM record r JOIN exam_result er ON er.id = r.result_id"
        " WHERE r.status <> '确认签发' LIMIT 1",
    )
    sql(home, "UPDATE student SET name = '更正姓名' WHERE id = ?", (student,))
    assert sql(home, "SELECT name FROM student WHERE id = ?", (student,)) == [("更正姓名",)]


# Database files


def test_an_empty_database_file_is_refused_not_recreated(home: Path) -> None:
    (home / "qianfa.db").write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        (home / f"qianfa.db{suffix}").unlink(missing_ok=True)
    for args in (("audit", "verify"), ("status",), ("init",)):
        run = qianfa(home, *args)
        assert run.code == 1, args
        assert "数据库文件为空" in run.stderr and "empty (0 bytes)" in run.stderr
        assert (home / "qianfa.db").stat().st_size == 0


def test_a_missing_database_is_refused_outside_init(home: Path) -> None:
    for name in ("qianfa.db", "qianfa.db-wal", "qianfa.db-shm"):
        (home / name).unlink(missing_ok=True)
    run = qianfa(home, "status")
    assert run.code == 1
    assert "数据库文件不存在" in run.stderr and "qianfa init" in run.stderr
    assert not (home / "qianfa.db").exists()


def test_a_corrupted_page_is_reported(home: Path) -> None:
    db = sqlite3.connect(home / "qianfa.db", isolation_level=None)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ((page_size,),) = db.execute("PRAGMA page_size").fetchall()
    ((root,),) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'record_batch'")
    db.close()
    with open(home / "qianfa.db", "r+b") as raw:
        # Keep the page's b-tree header; scramble its cell content area (index keys).
        raw.seek((root - 1) * page_size + page_size // 2)
        raw.write(bytes(range(256)) * (page_size // 2 // 256))
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert "数据库" in run.stderr and ("损坏" in run.stderr or "完整性" in run.stderr)


# Homes


@pytest.mark.parametrize("args", [("status",), ("audit", "verify"), ("run", "--no-bot")])
def test_commands_refuse_a_home_without_configuration(tmp_path: Path, args: tuple[str]) -> None:
    home = tmp_path / "typo"
    run = qianfa(home, *args)
    assert run.code == 1
    assert "qianfa init" in run.stderr and "run --demo" in run.stderr
    assert not home.exists()


def test_an_old_log_opened_by_several_processes_is_anchored_once_at_its_end(home: Path) -> None:
    """An old log (no MACs, no anchor files) opened by several processes at the same moment."""
    sql(home, "UPDATE audit SET mac = NULL")
    sql(home, "DELETE FROM audit_head")  # as before migration 0090
    for name in ("audit.key", "audit.head"):
        (home / name).unlink()
    ((entries,),) = sql(home, "SELECT COUNT(*) FROM audit")
    certs = [r[0] for r in sql(home, "SELECT cert_no FROM record WHERE status = '确认签发'")]
    voids = [
        subprocess.Popen(
            [sys.executable, "-m", "qianfa", "--home", str(home), "void", cert, "--reason", "x"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for cert in certs[:4]
    ]
    assert [v.wait(timeout=60) for v in voids] == [0, 0, 0, 0]
    run = qianfa(home, "audit", "verify", "--json")
    assert run.code == 0, run.stderr
    assert run.json() == {"ok": True, "entries": entries + 4, "keyed_from": entries + 1}


async def test_a_homes_store_fires_delete_triggers_on_replace_and_syncs_each_commit(
    home: Path,
) -> None:
    store = await open_store(load_settings(home, environ={}))
    try:
        assert store.anchor is not None
        assert [tuple(r) for r in await store._all("PRAGMA recursive_triggers")] == [(1,)]
        assert [tuple(r) for r in await store._all("PRAGMA synchronous")] == [(2,)]
    finally:
        await store.close()
