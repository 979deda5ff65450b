"""The sign-off use cases on SQLite and PostgreSQL: transitions, history, conflicts, rights."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuance.core.chain import Act
from issuance.core.errors import Conflict, DomainError, Forbidden, Invalid
from issuance.store.driver import SqliteDriver
from tests.signoff_spec import ALLOWED, DONE, E, S, path_to
from tests.world import World, make_world

HISTORY = ("signoff_act", "signoff_record", "audit")


@pytest.fixture
async def world(tmp_path: Path, database: str) -> World:
    world = await make_world(tmp_path, database=database)
    yield world  # type: ignore[misc]
    await world.store.close()


def _id(case: tuple[tuple[str, str], str, Act, str]) -> str:
    order, status, act, party = case
    return f"{order[0][:2]}first-{status}-{act.value}-{party}"


@pytest.mark.parametrize("case", sorted(ALLOWED, key=_id), ids=_id)
async def test_every_allowed_move_through_the_store(
    tmp_path: Path, case: tuple[tuple[str, str], str, Act, str]
) -> None:
    """Each move of the rule table writes its status, version, history and audit entry in the
    database. Every status × act × party, forbidden ones included, runs on the in-memory ports
    in tests/unit/test_signoff_acts.py with the same assertions."""
    order, status, act, party = case
    world = await make_world(tmp_path, students=1, order=order)
    try:
        (record_id,) = world.record_ids
        for step_act, step_party in path_to(order, status):
            await world.act(step_act, step_party, [record_id])
        assert await world.status(record_id) == status
        before = await world.counts(*HISTORY)
        (record,) = await world.store.records_by_ids([record_id])
        await world.act(act, party, [record_id])
        assert await world.status(record_id) == ALLOWED[case]
        after = await world.counts(*HISTORY)
        assert after == {table: before[table] + 1 for table in HISTORY}
        (moved,) = await world.store.records_by_ids([record_id])
        assert moved.version == record.version + 1
    finally:
        await world.store.close()


async def test_batch_confirm_moves_every_record_in_one_act(world: World) -> None:
    audit_before = await world.count("audit")
    await world.act(Act.CONFIRM, E, world.record_ids)
    assert {await world.status(i) for i in world.record_ids} == {"考核站点待签发"}
    assert await world.count("audit") == audit_before + 1
    assert await world.count("signoff_act") == 1  # one act, its person and signature once
    assert await world.count("signoff_record") == len(world.record_ids)


async def test_full_confirmation_records_the_issue_time(world: World) -> None:
    await world.act(Act.CONFIRM, E, world.record_ids)
    await world.act(Act.CONFIRM, S, world.record_ids[:1])
    confirmed, pending, _ = await world.store.records_by_ids(world.record_ids)
    assert confirmed.status == DONE and confirmed.issued_at
    assert pending.issued_at is None


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
async def test_refusal_needs_a_reason(world: World, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        await world.issuance.refuse(world.evaluator, world.record_ids, reason)
    assert caught.value.key == "signoff.reason_required"
    assert await world.count("signoff_record") == 0


async def test_refusal_reason_is_kept_trimmed_in_history_and_audit(world: World) -> None:
    await world.issuance.refuse(world.evaluator, world.record_ids[:1], "  照片不清晰  ")
    (row,) = await world.store.signoff_history(world.record_ids[0])
    assert (row.act, row.reason, row.party) == ("refuse", "照片不清晰", E)
    last = (await world.store.audit_entries())[-1]
    assert last.entry.reason == "照片不清晰"
    assert await world.store.latest_refusals(world.record_ids) == {
        world.record_ids[0]: "照片不清晰"
    }


async def test_resubmit_restarts_the_chain_in_a_new_round_keeping_history(world: World) -> None:
    (record_id, *_) = world.record_ids
    await world.act(Act.CONFIRM, E, [record_id])
    await world.issuance.refuse(world.head_a, [record_id], "身份证号有误")
    await world.act(Act.RESUBMIT, E, [record_id])
    (record,) = await world.store.records_by_ids([record_id])
    assert (record.status, record.round) == ("培训评价组织待签发", 2)
    await world.act(Act.CONFIRM, E, [record_id])
    await world.act(Act.CONFIRM, S, [record_id])
    history = [
        (r.round, r.party, r.act, r.reason) for r in await world.store.signoff_history(record_id)
    ]
    assert history == [
        (1, E, "confirm", None),
        (1, S, "refuse", "身份证号有误"),
        (2, E, "resubmit", None),
        (2, E, "confirm", None),
        (2, S, "confirm", None),
    ]
    assert await world.status(record_id) == DONE


async def test_acting_on_a_record_that_changed_meanwhile_is_a_conflict_and_writes_nothing(
    world: World,
) -> None:
    await world.act(Act.CONFIRM, E, world.record_ids)
    records = await world.store.records_by_ids(world.record_ids)
    seen = {r.id: r.version for r in records}  # what the school's head was shown
    # Meanwhile, from another device, record 1 is refused, corrected, resubmitted, reconfirmed.
    await world.issuance.refuse(world.head_a, world.record_ids[:1], "重拍照片")
    await world.act(Act.RESUBMIT, E, world.record_ids[:1])
    await world.act(Act.CONFIRM, E, world.record_ids[:1])
    # Every record is 考核站点待签发 again, but the head's view is stale.
    assert {await world.status(i) for i in world.record_ids} == {"考核站点待签发"}
    before = await world.counts(*HISTORY)
    current = {r.id: r.version for r in await world.store.records_by_ids(world.record_ids)}
    signature = await world.signature(world.head_a)
    with pytest.raises(Conflict) as caught:
        await world.issuance.confirm(world.head_a, world.record_ids, signature, seen)
    assert caught.value.key == "signoff.changed_meanwhile"
    assert await world.counts(*HISTORY) == before
    assert {await world.status(i) for i in world.record_ids} == {"考核站点待签发"}
    # With the versions actually shown now, the same act goes through.
    await world.issuance.confirm(world.head_a, world.record_ids, signature, current)
    assert {await world.status(i) for i in world.record_ids} == {DONE}


async def test_a_stale_store_level_change_is_refused_atomically(world: World) -> None:
    """The UPDATE itself checks version and status: a change between read and write is caught."""
    from issuance.core.audit import AuditEntry
    from issuance.core.records import RecordChange

    records = await world.store.records_by_ids(world.record_ids)
    await world.act(Act.CONFIRM, E, world.record_ids[1:2])  # changes record 2 "meanwhile"
    before = await world.counts(*HISTORY)
    changes = [RecordChange(r.id, r.status, r.version, "考核站点待签发", r.round) for r in records]
    with pytest.raises(Conflict):
        await world.store.apply_signoff(
            changes,
            E,
            "confirm",
            world.evaluator.id,
            None,
            None,
            AuditEntry(world.store.now_iso(), "x", "signoff.confirm", "records"),
            DONE,
        )
    assert await world.counts(*HISTORY) == before
    assert await world.status(world.record_ids[0]) == "培训评价组织待签发"


async def test_confirming_twice_is_a_conflict(world: World) -> None:
    await world.act(Act.CONFIRM, E, world.record_ids)
    before = await world.counts(*HISTORY)
    with pytest.raises(Conflict):
        await world.act(Act.CONFIRM, E, world.record_ids)
    await world.act(Act.CONFIRM, S, world.record_ids)
    with pytest.raises(Conflict) as caught:
        await world.act(Act.CONFIRM, S, world.record_ids)
    assert caught.value.key == "signoff.already_confirmed"
    assert await world.count("signoff_record") == before["signoff_record"] + len(world.record_ids)


async def test_a_batch_with_one_unfit_record_moves_nothing(world: World) -> None:
    await world.act(Act.CONFIRM, E, world.record_ids[:1])
    before = await world.counts(*HISTORY)
    with pytest.raises(Conflict):
        await world.act(Act.CONFIRM, E, world.record_ids)
    assert await world.counts(*HISTORY) == before
    assert await world.status(world.record_ids[1]) == "培训评价组织待签发"


async def test_another_schools_head_may_not_sign(world: World) -> None:
    await world.act(Act.CONFIRM, E, world.record_ids)
    signature = await world.signature(world.head_b)
    with pytest.raises(Forbidden) as caught:
        await world.issuance.confirm(world.head_b, world.record_ids, signature)
    assert caught.value.key == "signoff.not_your_records"
    with pytest.raises(Forbidden):
        await world.issuance.refuse(world.head_b, world.record_ids, "不是我校学生")
    assert await world.count("signoff_record") == len(world.record_ids)


async def test_a_business_administrator_may_not_sign(world: World) -> None:
    await world.act(Act.CONFIRM, E, world.record_ids)
    with pytest.raises(Forbidden):
        await world.issuance.refuse(world.clerk_a, world.record_ids, "信息不全")


async def test_school_confirmation_needs_a_saved_stamp(tmp_path: Path) -> None:
    world = await make_world(tmp_path, stamp=False)
    try:
        await world.act(Act.CONFIRM, E, world.record_ids)
        before = await world.counts(*HISTORY)
        with pytest.raises(Conflict) as caught:
            await world.act(Act.CONFIRM, S, world.record_ids)
        assert caught.value.key == "signoff.stamp_required"
        assert await world.counts(*HISTORY) == before
        await world.stamp(world.head_a)
        await world.act(Act.CONFIRM, S, world.record_ids)
        assert await world.status(world.record_ids[0]) == DONE
    finally:
        await world.store.close()


async def test_the_evaluator_confirms_without_a_stamp(tmp_path: Path) -> None:
    world = await make_world(tmp_path, stamp=False)
    try:
        await world.act(Act.CONFIRM, E, world.record_ids)
        assert await world.status(world.record_ids[0]) == "考核站点待签发"
    finally:
        await world.store.close()


async def test_open_student_info_problem_blocks_confirmation_until_resolved(world: World) -> None:
    problem = world.record_ids[1]
    await world.store._execute(
        "INSERT INTO info_problem (record_id, field, note, deadline, created_at)"
        " VALUES (?, 'name', '姓名有误', '2099-01-01', '2025-06-01')",
        (problem,),
    )
    before = await world.counts(*HISTORY)
    with pytest.raises(Conflict) as caught:
        await world.act(Act.CONFIRM, E, world.record_ids)
    assert caught.value.key == "signoff.info_incomplete"
    assert caught.value.params == {"count": 1}
    assert await world.counts(*HISTORY) == before
    await world.store._execute("UPDATE info_problem SET resolved_at = '2025-06-02'")
    await world.act(Act.CONFIRM, E, world.record_ids)


async def test_confirmation_needs_the_actors_own_signature(world: World) -> None:
    others = await world.signature(world.head_a)
    with pytest.raises(Invalid) as caught:
        await world.issuance.confirm(world.evaluator, world.record_ids, others)
    assert caught.value.key == "signoff.signature_required"
    with pytest.raises(Invalid):
        await world.issuance.confirm(world.evaluator, world.record_ids, 999_999)
    assert await world.count("signoff_record") == 0


async def test_the_confirm_act_carries_the_signature_reference(world: World) -> None:
    signature = await world.signature(world.evaluator)
    await world.issuance.confirm(world.evaluator, world.record_ids, signature)
    row = await world.store._one("SELECT DISTINCT signature_id FROM signoff_act")
    assert row is not None and row[0] == signature
    owner, digest = await world.store.signature_owner_and_hash(signature) or (0, "")
    assert owner == world.evaluator.id
    assert (await world.store.audit_entries())[-1].entry.signature == digest


async def test_selecting_nothing_or_unknown_records_is_refused(world: World) -> None:
    with pytest.raises(Invalid):
        await world.issuance.refuse(world.evaluator, [], "x")
    with pytest.raises(DomainError) as caught:
        await world.issuance.refuse(world.evaluator, [*world.record_ids, 424242], "x")
    assert caught.value.key == "record.unknown"


async def test_records_by_ids_gives_each_record_once_by_id(world: World) -> None:
    ids = world.record_ids
    asked = [ids[2], ids[0], ids[2], 424242, ids[1]]
    assert [r.id for r in await world.store.records_by_ids(asked)] == sorted(ids)


async def test_an_id_table_holds_more_ids_than_a_statement_takes_parameters(world: World) -> None:
    """A batch act's ids go to the database as one parameter, however many there are."""
    ids = list(range(1, 40_001))
    table, params = world.store.driver.ids_table(ids)
    rows = await world.store._all(f"SELECT COUNT(*), SUM(v.id) FROM {table}", params)
    assert tuple(rows[0]) == (len(ids), sum(ids))


async def test_a_rows_table_gives_back_any_text_and_null_as_sent(world: World) -> None:
    """The changes of a batch act travel as typed columns; quotes, backslashes, braces, commas,
    blanks, the word NULL and NULL itself come back unchanged."""
    texts = ['a"b', "back\\slash", "{,}", " spaced ", "", "NULL", "确认签发", '\\"', None]
    sent = [(i, text) for i, text in enumerate(texts)] + [(None, "no number")]
    ((table, params),) = world.store.driver.rows_table(("INTEGER", "TEXT"), sent)
    rows = await world.store._all(f"SELECT v.column1, v.column2 FROM {table}", params)
    assert sorted((tuple(row) for row in rows), key=repr) == sorted(sent, key=repr)


async def test_a_school_heads_pending_batches_are_read_through_indexes_only(
    tmp_path: Path,
) -> None:
    """/pending's cost follows what the head sees: their batches found by site, their counts from
    the counts kept per batch (batch_count); no statement reads a whole table."""
    world = await make_world(tmp_path)
    try:
        driver = world.store.driver
        assert isinstance(driver, SqliteDriver)
        statements: list[str] = []
        await driver.db.set_trace_callback(statements.append)
        batches = await world.issuance.visible_batches(world.head_a)
        await driver.db.set_trace_callback(None)
        assert batches and all(b.site_id == world.head_a.org_id for b in batches)
        plans = []
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                rows = await world.store._all(f"EXPLAIN QUERY PLAN {sql}")
                plans.extend(row[3] for row in rows)
        assert any("batch_count" in step for step in plans), plans
        assert any("batch_site" in step for step in plans), plans
        assert not [step for step in plans if step.startswith("SCAN") and "USING" not in step]
    finally:
        await world.store.close()


async def test_the_workers_tick_reads_no_whole_record_table(tmp_path: Path) -> None:
    """Status is in no index of record (migration 0230): the worker's newly confirmed records
    are found through record_issued, the waiting batches through their counts."""
    world = await make_world(tmp_path)
    try:
        await world.act(Act.CONFIRM, E, world.record_ids)
        await world.act(Act.CONFIRM, S, world.record_ids[:1])
        driver = world.store.driver
        assert isinstance(driver, SqliteDriver)
        statements: list[str] = []
        await driver.db.set_trace_callback(statements.append)
        assert await world.store.discover_certificate_jobs() == 1
        waiting = await world.store.waiting_batches([S + "待签发"])
        await driver.db.set_trace_callback(None)
        assert [w.records for w in waiting] == [len(world.record_ids) - 1]
        plans = []
        for sql in statements:
            if "record r" in sql:
                rows = await world.store._all(f"EXPLAIN QUERY PLAN {sql}")
                plans.extend(row[3] for row in rows)
        assert any("record_issued" in step for step in plans), plans
        assert any("record_batch" in step for step in plans), plans
        assert not [step for step in plans if step.startswith("SCAN r") and "USING" not in step]
    finally:
        await world.store.close()


async def test_a_batch_confirm_reads_of_each_record_what_the_whole_record_says(
    world: World,
) -> None:
    """`act_records_by_ids` (what a confirm checks) against `records_by_ids`, field by field,
    before and after an act; an unknown id is left out by both."""
    await world.act(Act.CONFIRM, "培训评价组织", world.record_ids[:1])
    asked = [*reversed(world.record_ids), 999_999]
    whole = await world.store.records_by_ids(asked)
    read = await world.store.act_records_by_ids(asked)
    assert [r.id for r in read] == sorted(world.record_ids)
    assert read[0].issued_at is None and read[0].status == "考核站点待签发"
    for slim, record in zip(read, whole, strict=True):
        assert vars(slim) == {name: getattr(record, name) for name in vars(slim)}


async def test_the_counts_kept_per_batch_follow_every_act(world: World) -> None:
    """batch_count, kept by each act's statements, against the records counted afresh."""
    await world.act(Act.CONFIRM, "培训评价组织", world.record_ids)
    await world.act(Act.REFUSE, "考核站点", world.record_ids[:1])
    await world.act(Act.RESUBMIT, "培训评价组织", world.record_ids[:1])
    kept = await world.store._all("SELECT batch_id, status, n FROM batch_count WHERE n > 0")
    counted = await world.store._all(
        "SELECT batch_id, status, COUNT(*) FROM record GROUP BY batch_id, status"
    )
    assert sorted(map(tuple, kept)) == sorted(map(tuple, counted))
    assert len({row[1] for row in counted}) > 1
