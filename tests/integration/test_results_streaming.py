"""The results import streams its file in chunks to a staging table: what spans chunks is still
refused with nothing written, and the store's other writers go on meanwhile (both databases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from issuance.core.catalog import t
from issuance.core.idcard import check_character
from issuance.core.records import ResultCells, ResultClash, StagedResult, StagedResults
from issuance.importing import CHUNK_ROWS, ImportReport
from issuance.store import Store
from issuance.xcert.importing import RESULT_COLUMNS, import_results
from tests.databases import table_counts
from tests.world import ISSUER, PROGRAM, SCHOOL_A, World, make_world

# Two chunks and a bit: the last rows are read long after the first chunk was staged.
ROWS = CHUNK_ROWS + 2
LAST = ROWS + 1  # the header is row 1


def number(index: int) -> str:
    """A valid ID number, distinct per index (0–999,999)."""
    born = date(1990, 1, 1) + timedelta(days=index // 1000)
    first17 = f"610114{born:%Y%m%d}{index % 1000:03d}"
    return first17 + check_character(first17)


def results_csv(path: Path, rows: Sequence[tuple[str, str, str]]) -> Path:
    """A results file of (name, ID number, plan) rows at school A, all passed."""
    header = ",".join(column.header_zh for column in RESULT_COLUMNS)
    lines = [
        f"{name},{id_number},院校学生,{SCHOOL_A},{PROGRAM},初级,{ISSUER},{plan},{SCHOOL_A},已通过"
        for name, id_number, plan in rows
    ]
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def many(first: tuple[str, str, str], last: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    """`first`, distinct students in plan 补考 between, then `last`."""
    between = [(f"学生{i}", number(i), "补考") for i in range(1000, 1000 + ROWS - 2)]
    return [first, *between, last]


@pytest.fixture
async def world(tmp_path: Path, database: str) -> AsyncIterator[World]:
    world = await make_world(tmp_path / "home", database=database)
    yield world
    await world.store.close()


@pytest.mark.parametrize(
    ("last", "column", "message"),
    [
        (("甲", number(1), "新计划"), "身份证号", t("import.duplicate_result_in_file", first=2)),
        (("乙", number(1), "另一计划"), "学生姓名", t("import.name_mismatch", name="甲")),
    ],
    ids=["same_student_and_plan", "same_number_another_name"],
)
async def test_a_clash_across_chunks_is_reported_and_nothing_is_written(
    world: World, tmp_path: Path, last: tuple[str, str, str], column: str, message: str
) -> None:
    path = results_csv(tmp_path / "r.csv", many(("甲", number(1), "新计划"), last))
    before = table_counts(world.location)
    report = await import_results(world.store, path)
    assert report.imported == 0
    assert [(e.row, e.column, e.message) for e in report.errors] == [(LAST, column, message)]
    assert table_counts(world.location) == before
    # The staging tables went with the import: the corrected file goes in on the same store.
    fixed = results_csv(
        tmp_path / "fixed.csv", many(("甲", number(1), "新计划"), ("甲", number(2), "新计划"))
    )
    assert (await import_results(world.store, fixed)).imported == ROWS
    assert await world.count("student") == before["student"] + ROWS
    assert await world.count("exam_result") == before["exam_result"] + ROWS


async def test_one_student_in_two_plans_across_chunks_is_one_student(
    world: World, tmp_path: Path
) -> None:
    path = results_csv(
        tmp_path / "r.csv", many(("甲", number(1), "新计划"), ("甲", number(1), "另一计划"))
    )
    before = table_counts(world.location)
    assert await import_results(world.store, path) == ImportReport(ROWS, ())
    after = table_counts(world.location)
    assert after["student"] == before["student"] + ROWS - 1
    assert after["exam_result"] == before["exam_result"] + ROWS
    assert after["exam_plan"] == before["exam_plan"] + 3


class _Paused:
    """Staged results whose first chunk, once staged, waits for the test to let it go on."""

    def __init__(self, staged: StagedResults, staging: asyncio.Event, go_on: asyncio.Event):
        self._staged = staged
        self._staging = staging
        self._go_on = go_on

    async def add(self, cells: Sequence[ResultCells], rows: Sequence[StagedResult]) -> None:
        await self._staged.add(cells, rows)
        if not self._staging.is_set():
            self._staging.set()
            await self._go_on.wait()

    def clashes(self, issuer_id: int | None) -> AsyncIterator[ResultClash]:
        return self._staged.clashes(issuer_id)

    async def write(self) -> int:
        return await self._staged.write()


class _PausingStore:
    """The store, its results import pausing after the first chunk is staged."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.staging = asyncio.Event()
        self.go_on = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @asynccontextmanager
    async def staged_results(self) -> AsyncIterator[StagedResults]:
        async with self._store.staged_results() as staged:
            yield _Paused(staged, self.staging, self.go_on)


async def test_a_write_through_the_store_goes_on_while_an_import_stages_and_is_kept(
    world: World, tmp_path: Path
) -> None:
    path = results_csv(
        tmp_path / "r.csv", many(("甲", number(1), "新计划"), ("乙", number(2), "新计划"))
    )
    pausing = _PausingStore(world.store)
    importing = asyncio.create_task(import_results(pausing, path))  # type: ignore[arg-type]
    await asyncio.wait_for(pausing.staging.wait(), 60)
    # The import is between its chunks: another writer is not kept waiting for it (a guard
    # against hanging, not a timing: the import does not go on until this write is done).
    school = (await world.store.orgs_by_code([SCHOOL_A]))[SCHOOL_A]
    await asyncio.wait_for(
        world.store.insert_people([("钱七", "13900000009", school.id, "业务管理员", None)]), 60
    )
    assert not importing.done()
    pausing.go_on.set()
    report = await importing
    assert (report.imported, report.errors) == (ROWS, ())
    assert await world.store.person_by_ref("13900000009") is not None
    assert await world.count("exam_result") == 3 + ROWS
