"""What the database itself guarantees: final confirmations, append-only history, migrations,
and certificate numbers allocated without duplicates by several processes at once."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from issuance.core.audit import first_broken
from issuance.core.chain import Act
from issuance.core.errors import DomainError
from issuance.core.settings import load_settings
from issuance.store import Store
from issuance.store.base import migrations
from issuance.xcert.service import Issuance
from tests.databases import IntegrityErrors, fresh_database, raw
from tests.world import PHONES, PLAN, World, id_number, make_world


@pytest.fixture
async def world(tmp_path: Path, database: str) -> World:
    world = await make_world(tmp_path, database=database)
    await world.act(Act.CONFIRM, "培训评价组织", world.record_ids)
    await world.act(Act.CONFIRM, "考核站点", world.record_ids[:1])
    yield world  # type: ignore[misc]
    await world.store.close()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE record SET status = '考核站点待签发' WHERE id = ?",
        "UPDATE record SET status = '考核站点拒绝签发', version = version + 1 WHERE id = ?",
        "DELETE FROM record WHERE id = ?",
        "UPDATE record SET cert_no = '99999999999999999999999' WHERE id = ?",
        "UPDATE record SET issued_at = NULL WHERE id = ?",
        "UPDATE record SET round = round + 1 WHERE id = ?",
        "UPDATE record SET result_id = result_id + 1000 WHERE id = ?",
    ],
)
async def test_raw_sql_cannot_withdraw_a_confirmed_record(world: World, sql: str) -> None:
    confirmed = world.record_ids[0]
    with raw(world.location) as execute:
        with pytest.raises(IntegrityErrors, match="cannot be withdrawn"):
            execute(sql, (confirmed,))
        ((status, cert_no, issued, round_),) = execute(
            "SELECT status, cert_no, issued_at IS NOT NULL, round FROM record WHERE id = ?",
            (confirmed,),
        )
        assert status == "确认签发" and cert_no != "99999999999999999999999" and issued
        assert round_ == 1


async def test_raw_sql_can_still_change_a_pending_record(world: World) -> None:
    """The triggers aim at confirmed records only: they are not a blanket lock."""
    pending = world.record_ids[1]
    with raw(world.location) as execute:
        execute("UPDATE record SET status = '考核站点拒绝签发' WHERE id = ?", (pending,))
        assert execute("SELECT status FROM record WHERE id = ?", (pending,)) == [
            ("考核站点拒绝签发",)
        ]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE signoff_act SET reason = 'rewritten'",
        "DELETE FROM signoff_act",
        "DELETE FROM signoff_act WHERE id = 1",
        "UPDATE signoff_record SET round = 2",
        "DELETE FROM signoff_record",
        "DELETE FROM signoff_record WHERE act_id = 1",
    ],
)
async def test_signoff_history_is_append_only(world: World, sql: str) -> None:
    before = [await world.count(table) for table in ("signoff_act", "signoff_record")]
    with raw(world.location) as execute, pytest.raises(IntegrityErrors, match="append"):
        execute(sql)
    assert [await world.count(table) for table in ("signoff_act", "signoff_record")] == before


_SITE_ACT = "(SELECT MAX(id) FROM signoff_act)"  # the 考核站点's act, on the first record only


@pytest.mark.parametrize(
    ("sql", "record"),
    [
        # Among rows that would be fine (every record but the first has no site act yet): the
        # whole statement is refused.
        (
            "INSERT INTO signoff_record (record_id, act_id, round)"
            f" SELECT id, {_SITE_ACT}, 9 FROM record WHERE id <> ?"
            f" UNION ALL SELECT 999999, {_SITE_ACT}, 9",
            0,
        ),
        ("INSERT INTO signoff_record (record_id, act_id, round) VALUES (?, 999999, 9)", 0),
        ("DELETE FROM record WHERE id = ?", 1),
        ("UPDATE record SET id = 999999 WHERE id = ?", 1),
    ],
)
async def test_signoff_history_names_records_and_acts_that_exist(
    world: World, sql: str, record: int
) -> None:
    """A foreign key's refusal (23503), whether a key (SQLite) or a trigger per statement
    (PostgreSQL) enforces it; the pending record has history of its own."""
    pending = world.record_ids[1]
    before = await world.count("signoff_record")
    with pytest.raises(IntegrityErrors) as refused:
        async with world.store.transaction():
            await world.store._db.execute(sql, (world.record_ids[record],))
    if isinstance(refused.value, psycopg.Error):
        assert refused.value.sqlstate == "23503"
    assert await world.count("signoff_record") == before
    assert await world.status(pending) == "考核站点待签发"


async def test_on_postgresql_a_record_removed_meanwhile_waits_for_the_history_named_it(
    postgres: str, tmp_path: Path
) -> None:
    """PostgreSQL checks history rows per statement and locks no record as a key's check did:
    a record's removal waits for the transactions adding history and then sees their rows; in a
    transaction with an older snapshot it is refused outright."""
    with fresh_database(postgres) as url:
        world = await make_world(tmp_path, database=url)  # records with no history yet
        await world.store.close()
        kept, removed = world.record_ids[0], world.record_ids[1]
        with psycopg.connect(url) as adding, psycopg.connect(url, autocommit=True) as removing:
            with pytest.raises(psycopg.errors.SerializationFailure), removing.transaction():
                removing.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                removing.execute("DELETE FROM record WHERE id = %s", (removed,))
            with removing.transaction(force_rollback=True):  # nothing else refuses it
                removing.execute("DELETE FROM record WHERE id = %s", (removed,))
            (act,) = adding.execute(
                "INSERT INTO signoff_act (party, act, audit_id, at)"
                " VALUES ('培训评价组织', 'confirm', 0, '2026-01-01') RETURNING id"
            ).fetchone()  # type: ignore[misc]
            adding.execute(
                "INSERT INTO signoff_record (record_id, act_id, round) VALUES (%s, %s, 1)",
                (kept, act),
            )
            pid = removing.info.backend_pid
            waiting = asyncio.get_running_loop().run_in_executor(
                None,
                removing.execute,
                "DELETE FROM record WHERE id = %s",
                (kept,),
            )
            locked = "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'"
            with psycopg.connect(url, autocommit=True) as watch:
                while not waiting.done() and not watch.execute(locked, (pid,)).fetchone():
                    await asyncio.sleep(0.01)
            assert not waiting.done()  # the removal waits for the history being added
            adding.commit()
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match="sign-off history"):
                await waiting
            assert removing.execute(
                "SELECT COUNT(*) FROM record WHERE id = %s", (kept,)
            ).fetchone() == (1,)


# Migrations


async def test_an_old_database_upgrades_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = await Store.open(path, upto=1)
    assert await old.applied_migrations() == {1}
    await old.close()
    with _raw(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "outbox" not in tables
        db.execute("INSERT INTO org (code, name, kind) VALUES ('S1', '旧院校', '试点院校')")
        db.execute(
            "INSERT INTO student (id_number, name, student_type, school_id)"
            " VALUES (?, '旧学生', '院校学生', 1)",
            (id_number(7),),
        )
        db.execute("INSERT INTO number_sequence (scope, last) VALUES ('1:x', 41)")
    store = await Store.open(path)
    try:
        shipped = {number for number, _, _ in migrations("sqlite")}
        latest = max(shipped)
        assert await store.applied_migrations() == shipped
        assert await store.schema_version() == latest
        students = await store.students_by_id_number([id_number(7)])
        assert students[id_number(7)].name == "旧学生"
        assert (await store.orgs_by_code(["S1"]))["S1"].name == "旧院校"
        assert await store.allocate_numbers("1:x", 1) == 42
        tables = {
            r[0] for r in await store._all("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"outbox", "lease"} <= tables
        indexes = {
            r[0] for r in await store._all("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert "student_name" in indexes  # from migration 2
        rows = await store._all("SELECT version FROM schema_version ORDER BY version")
        assert [r[0] for r in rows] == sorted(shipped)  # each recorded once
    finally:
        await store.close()
    again = await Store.open(path)  # reopening applies nothing twice
    try:
        row = await again._one("SELECT COUNT(*) FROM schema_version")
        assert row is not None and row[0] == len(shipped)
    finally:
        await again.close()


async def test_a_postgresql_database_upgrades_in_place_each_version_once(postgres: str) -> None:
    with fresh_database(postgres) as url:
        old = await Store.open(url, upto=1)
        assert await old.applied_migrations() == {1}
        await old.close()
        with raw(url) as execute:
            execute("INSERT INTO number_sequence (scope, last) VALUES ('1:x', 41)")
        stores = await asyncio.gather(*(Store.open(url) for _ in range(3)))  # racing to migrate
        try:
            shipped = {number for number, _, _ in migrations("postgresql")}
            assert shipped == {number for number, _, _ in migrations("sqlite")}
            assert await stores[0].applied_migrations() == shipped
            rows = await stores[1]._all("SELECT version FROM schema_version ORDER BY version")
            assert [r[0] for r in rows] == sorted(shipped)  # each recorded once
            assert await stores[2].allocate_numbers("1:x", 1) == 42
        finally:
            for store in stores:
                await store.close()


async def test_the_store_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "q.db")
    try:
        assert (await store._one("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await store._one("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await store._one("PRAGMA busy_timeout"))[0] >= 5000  # type: ignore[index]
        with pytest.raises(sqlite3.IntegrityError):
            await store.insert_people([("无机构", "13900000000", 999, "签发人", None)])
    finally:
        await store.close()


async def test_a_task_cancelled_while_its_transaction_begins_leaves_the_store_usable(
    tmp_path: Path, database: str
) -> None:
    """A part shutting down cancels tasks wherever they are, a BEGIN included: no transaction
    may stay open behind them, on this connection or locking out the others."""
    path = database or str(tmp_path / "q.db")
    store, other = await Store.open(path), await Store.open(path)
    try:
        taking = asyncio.create_task(store.take_lease("inbox", "bot", timedelta(seconds=30)))
        await asyncio.sleep(0)  # the task has asked for its BEGIN and waits for it
        taking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await taking
        assert await store.take_lease("inbox", "bot", timedelta(seconds=30))
        await store.release_lease("inbox", "bot")
        assert await other.take_lease("inbox", "web", timedelta(seconds=30))
    finally:
        await store.close()
        await other.close()


# Concurrent number allocation

ROUNDS = 30


def _allocate_worker(
    path: str, scope: str, worker: int, queue: multiprocessing.Queue, go: multiprocessing.Event
) -> None:
    async def run() -> list[tuple[int, int]]:
        store = await Store.open(path)
        go.wait(30)  # every process connected: start together
        try:
            taken = []
            for round_ in range(ROUNDS):
                count = 1 + (worker + round_) % 4
                taken.append((await store.allocate_numbers(scope, count), count))
            return taken
        finally:
            await store.close()

    queue.put(asyncio.run(run()))


async def test_processes_allocating_at_once_get_disjoint_gapless_ranges(
    tmp_path: Path, database: str
) -> None:
    path = database or str(tmp_path / "q.db")
    await (await Store.open(path)).close()
    context = multiprocessing.get_context("spawn")
    queue, go = context.Queue(), context.Event()
    workers = [
        context.Process(target=_allocate_worker, args=(path, "1:scope", n, queue, go))
        for n in range(4)
    ]
    for process in workers:
        process.start()
    go.set()
    results = [queue.get(timeout=60) for _ in workers]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    numbers = [first + i for taken in results for first, count in taken for i in range(count)]
    assert len(numbers) == len(set(numbers)), "a number was handed out twice"
    assert sorted(numbers) == list(range(1, len(numbers) + 1)), "a number was lost"
    store = await Store.open(path)
    try:
        row = await store._one("SELECT last FROM number_sequence")
        assert row is not None and row[0] == len(numbers)
    finally:
        await store.close()


async def test_list_numbers_are_unique_23_digits_and_never_reused_after_refusal(
    tmp_path: Path,
) -> None:
    world = await make_world(tmp_path, students=3)
    try:
        first = await world.store.records_by_ids(world.record_ids)
        numbers = [r.cert_no for r in first]
        assert len(set(numbers)) == 3
        assert all(len(n) == 23 and n.isdigit() for n in numbers)
        await world.issuance.refuse(world.evaluator, world.record_ids[:1], "考核成绩有误")
        # New passed results of the same plan get a new list with new numbers.
        from issuance.xcert.importing import ResultRow

        site = first[0].site_id
        school_student = (await world.store.students_by_id_number([id_number(0)]))[id_number(0)]
        await world.store.import_results(
            [
                ResultRow(
                    f"新生{i}",
                    id_number(100 + i),
                    "院校学生",
                    school_student.school_id,
                    "特殊焊接技术职业技能等级证书",
                    "初级",
                    first[0].issuer_id,
                    PLAN,
                    site,
                    1,
                )
                for i in range(2)
            ]
        )
        (batch,) = await world.issuance.create_lists(PLAN)
        assert batch.records == 2
        refused = (await world.store.records_by_ids(world.record_ids[:1]))[0]
        assert refused.cert_no == numbers[0]  # the refused record keeps its number
        from issuance.core.records import RecordFilter

        new = await world.store.records(RecordFilter(batch_id=batch.id))
        assert {r.cert_no for r in new}.isdisjoint(numbers)
        everything = [r.cert_no for r in await world.store.records(RecordFilter())]
        assert len(everything) == len(set(everything)) == 5
        seqs = sorted(int(n[-12:]) for n in everything)
        assert seqs == [1, 2, 3, 4, 5]
        assert await world.issuance.create_lists(PLAN) == []  # nothing listed twice
    finally:
        await world.store.close()


# Concurrent approvals

APPROVERS = 4


def _approve_worker(
    home: str, database: str, record_ids: list[int], queue: multiprocessing.Queue, go: Any
) -> None:
    async def run() -> str:
        settings = replace(load_settings(Path(home), environ={}), database_url=database)
        store = await Store.open(settings.database)
        try:
            issuance = Issuance(store, settings)
            evaluator = await store.person_by_ref(PHONES["evaluator"])
            assert evaluator is not None
            png = f"signature {os.getpid()}".encode()
            digest = hashlib.sha256(png).hexdigest()
            signature = await store.add_signature(evaluator.id, png, digest, "[]")
            go.wait(30)  # every process ready: confirm together
            try:
                await issuance.confirm(evaluator, record_ids, signature)
            except DomainError as refused:
                return refused.key
            return "confirmed"
        finally:
            await store.close()

    queue.put(asyncio.run(run()))


async def test_processes_confirming_the_same_records_at_once_confirm_them_once(
    tmp_path: Path, database: str
) -> None:
    world = await make_world(tmp_path, students=20, database=database)
    entries_before = len(await world.store.audit_entries())
    await world.store.close()
    context = multiprocessing.get_context("spawn")
    queue, go = context.Queue(), context.Event()
    approvers = [
        context.Process(
            target=_approve_worker, args=(str(tmp_path), database, world.record_ids, queue, go)
        )
        for _ in range(APPROVERS)
    ]
    for process in approvers:
        process.start()
    go.set()
    outcomes = sorted(queue.get(timeout=120) for _ in approvers)
    for process in approvers:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert outcomes.count("confirmed") == 1, outcomes
    assert all(key.startswith("signoff.") for key in outcomes if key != "confirmed"), outcomes
    store = await Store.open(world.location)
    try:
        records = await store.records_by_ids(world.record_ids)
        assert {(r.status, r.version) for r in records} == {("考核站点待签发", 2)}
        confirms = await store._all(
            "SELECT s.record_id FROM signoff_record s JOIN signoff_act a ON a.id = s.act_id"
            " WHERE a.act = 'confirm'"
        )
        assert sorted(row[0] for row in confirms) == sorted(world.record_ids)  # once each
        entries = await store.audit_entries()
        assert len(entries) == entries_before + 1 and first_broken(entries) is None
    finally:
        await store.close()


async def test_an_app_role_without_schema_rights_runs_but_cannot_drop_the_guarantees(
    postgres: str, tmp_path: Path
) -> None:
    """The deployment notes' split: the owner migrates, the processes' role reads and writes."""
    with fresh_database(postgres) as url:
        role = f"qianfa_app_{os.getpid()}"
        with raw(url) as execute:
            execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'")
            execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        try:
            await (await Store.open(url)).close()  # the owner migrates
            with raw(url) as execute:
                execute(f"GRANT USAGE ON SCHEMA public TO {role}")
                execute(
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
                )
                execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
            parts = urlsplit(url)
            host = parts.netloc.rpartition("@")[2]
            app_url = urlunsplit(parts._replace(netloc=f"{role}:app-secret@{host}"))
            world = await make_world(tmp_path, database=app_url)
            try:
                await world.act(Act.CONFIRM, "培训评价组织", world.record_ids)
                await world.act(Act.CONFIRM, "考核站点", world.record_ids[:1])
                assert await world.status(world.record_ids[0]) == "确认签发"
            finally:
                await world.store.close()
            with raw(app_url) as execute:
                for sql in (
                    "DROP TRIGGER record_confirmed_is_final ON record",
                    "ALTER TABLE signoff_record DISABLE TRIGGER signoff_record_no_delete",
                ):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        execute(sql)
                with pytest.raises(IntegrityErrors, match="cannot be withdrawn"):
                    execute("DELETE FROM record WHERE id = ?", (world.record_ids[0],))
        finally:
            with raw(url) as execute:
                execute(f"DROP OWNED BY {role}")
            with raw(postgres) as execute:
                execute(f"DROP ROLE {role}")


_RESULT_OF = "(SELECT result_id FROM record WHERE id = ?)"
_STUDENT_OF = (
    "(SELECT er.student_id FROM exam_result er JOIN record r ON r.result_id = er.id WHERE r.id = ?)"
)


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        (f"UPDATE exam_result SET passed = 0 WHERE id = {_RESULT_OF}", "result behind"),
        (f"DELETE FROM exam_result WHERE id = {_RESULT_OF}", "result behind"),
        (f"UPDATE student SET name = '改名' WHERE id = {_STUDENT_OF}", "student behind"),
        ("UPDATE signature SET sha256 = 'forged' WHERE ? > 0", "signature is final"),
        ("DELETE FROM signature WHERE ? > 0", "signature is final"),
    ],
)
async def test_what_a_confirmed_certificate_rests_on_is_final_too(
    world: World, sql: str, refusal: str
) -> None:
    confirmed = world.record_ids[0]
    with raw(world.location) as execute:
        with pytest.raises(IntegrityErrors, match=refusal):
            execute(sql, (confirmed,))
        # The pending record's student can still be corrected (完善学生信息).
        pending = world.record_ids[1]
        execute(f"UPDATE student SET name = '更正' WHERE id = {_STUDENT_OF}", (pending,))


async def test_a_void_certificate_stays_void(world: World) -> None:
    confirmed = world.record_ids[0]
    await world.issuance.void(
        (await world.store.records_by_ids([confirmed]))[0].cert_no, "证书信息有误"
    )
    with raw(world.location) as execute, pytest.raises(IntegrityErrors, match="stays void"):
        execute("UPDATE record SET void_at = NULL WHERE id = ?", (confirmed,))
