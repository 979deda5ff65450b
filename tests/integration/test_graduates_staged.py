"""The graduates import on SQLite and PostgreSQL: read in chunks and staged on a connection of its
own, so what spans chunks (a repeated ID number and term, a correction refused) refuses the whole
file with nothing written, and a good file's new graduates and corrections land together."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.core.catalog import t
from issuance.core.settings import load_settings
from issuance.graduation import demo as grad_demo
from issuance.graduation.importing import GraduateReport, import_graduates
from issuance.importing import CHUNK_ROWS
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.databases import location_of, raw
from tests.workload import GRADUATES_HEADER, graduate_line, id_number

TERM = grad_demo.TERM
# More rows than one chunk holds: the second chunk's rows meet the first's only in the store.
ROWS = CHUNK_ROWS + 100


def write(folder: Path, lines: list[str]) -> Path:
    path = folder / "graduates.csv"
    path.write_text("\n".join([GRADUATES_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
async def store(tmp_path: Path, database: str) -> AsyncIterator[Store]:
    settings = load_settings(tmp_path, environ={"QIANFA_DATABASE_URL": database})
    opened: Store = await Store.open(settings.database)
    await grad_demo.load(Issuance(opened, settings))
    yield opened
    await opened.close()


def counts(store: Store) -> tuple[object, ...]:
    with raw(location_of(store)) as execute:
        (found,) = execute(
            "SELECT (SELECT COUNT(*) FROM graduate), (SELECT COUNT(*) FROM graduate_history)"
        )
    return tuple(found)


async def test_a_row_repeating_one_of_an_earlier_chunk_refuses_the_file_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    before = counts(store)
    lines = [graduate_line(index) for index in range(ROWS)]
    lines[ROWS - 1] = graduate_line(1, name="王小明")  # file row ROWS + 1 repeats file row 3
    report = await import_graduates(store, write(tmp_path, lines), "zh")

    assert report.imported == 0
    assert [(e.row, e.column) for e in report.errors] == [(ROWS + 1, "身份证号")]
    assert report.errors[0].message == "与第 3 行重复"
    assert counts(store) == before


async def test_a_refused_correction_in_a_later_chunk_writes_nothing_of_the_earlier_ones(
    store: Store, tmp_path: Path
) -> None:
    first = await import_graduates(store, write(tmp_path, [graduate_line(ROWS)]), "zh")
    assert first.imported == 1
    (graduate,) = (await store.graduates_by_id_number([id_number(ROWS)])).values()
    with raw(location_of(store)) as execute:
        execute("UPDATE graduate SET cert_no = 'G1' WHERE id = ?", (graduate.id,))
    before = counts(store)

    # A correction of a numbered (approved) graduate, after a chunk of new graduates.
    lines = [graduate_line(index) for index in range(ROWS - 1)] + [
        graduate_line(ROWS, name="王小明")
    ]
    report = await import_graduates(store, write(tmp_path, lines), "zh")

    assert report.imported == 0
    assert [(e.row, e.column) for e in report.errors] == [(ROWS + 1, "身份证号")]
    assert counts(store) == before


async def test_new_graduates_and_corrections_across_chunks_land_together_in_file_order(
    store: Store, tmp_path: Path
) -> None:
    await import_graduates(
        store, write(tmp_path, [graduate_line(0), graduate_line(ROWS - 1)]), "zh"
    )
    before = counts(store)

    lines = [graduate_line(index) for index in range(ROWS)]
    lines[ROWS - 1] = graduate_line(ROWS - 1, name="王小明")  # corrects the graduate on file
    report = await import_graduates(store, write(tmp_path, lines), "zh")

    assert isinstance(report, GraduateReport) and report.errors == ()
    assert (report.imported, report.corrected) == (ROWS - 2, 1)
    assert counts(store) == (int(str(before[0])) + ROWS - 2, int(str(before[1])) + 1)
    (corrected,) = (await store.graduates_by_id_number([id_number(ROWS - 1)])).values()
    assert corrected.name == "王小明" and corrected.version == 2
    (change,) = await store.graduate_history(corrected.id)
    assert (json.loads(change.old), json.loads(change.new)) == (
        {"name": "李娜"},
        {"name": "王小明"},
    )
    imported = await store.graduates_by_id_number([id_number(1), id_number(ROWS - 2)])
    first, last = (imported[(id_number(i), TERM)].id for i in (1, ROWS - 2))
    assert first < last  # inserted in file order


async def test_a_line_repeating_a_refused_correction_is_named_a_repeat_and_the_first_refused(
    store: Store, tmp_path: Path
) -> None:
    await import_graduates(store, write(tmp_path, [graduate_line(0)]), "zh")
    (graduate,) = (await store.graduates_by_id_number([id_number(0)])).values()
    with raw(location_of(store)) as execute:
        execute("UPDATE graduate SET cert_no = 'G1' WHERE id = ?", (graduate.id,))
    before = counts(store)

    lines = [graduate_line(0, name="王小明"), graduate_line(1), graduate_line(0, name="王小明")]
    report = await import_graduates(store, write(tmp_path, lines), "zh")

    assert report.imported == 0
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "身份证号", t("grad.import.approved", "zh")),
        (4, "身份证号", "与第 2 行重复"),
    ]
    assert counts(store) == before
