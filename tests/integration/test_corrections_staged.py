"""The qualifications and employment imports on SQLite and PostgreSQL: read in chunks and staged on
a connection of their own, so a refusal found across chunks (an ID number repeating one of an
earlier chunk, a later chunk's row naming no graduate) writes nothing, and a good file's
corrections and kept rows land together, in file order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.core.settings import load_settings
from issuance.graduation import demo as grad_demo
from issuance.graduation.importing import import_graduates
from issuance.graduation.qualifications import (
    QualificationReport,
    import_employment,
    import_qualifications,
)
from issuance.importing import CHUNK_ROWS
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.databases import location_of, raw
from tests.workload import GRADUATES_HEADER, graduate_line, id_number

TERM = grad_demo.TERM
# More rows than one chunk holds: the second chunk's rows meet the first's only in the store.
ROWS = CHUNK_ROWS + 100
QUALIFICATIONS = "姓名,身份证号,职业资格证书编号,职业资格等级"
EMPLOYMENT = "姓名,身份证号,就业情况"


def write(folder: Path, header: str, lines: list[str]) -> Path:
    path = folder / "file.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def qualification(index: int, name: str = "李娜") -> str:
    return f"{name},{id_number(index)},Q{index:08d},三级/高级工"


@pytest.fixture
async def store(tmp_path: Path, database: str) -> AsyncIterator[Store]:
    settings = load_settings(tmp_path, environ={"QIANFA_DATABASE_URL": database})
    opened: Store = await Store.open(settings.database)
    await grad_demo.load(Issuance(opened, settings))
    graduates = [graduate_line(index) for index in range(ROWS)]
    report = await import_graduates(opened, write(tmp_path, GRADUATES_HEADER, graduates), "zh")
    assert report.imported == ROWS
    yield opened
    await opened.close()


def written(store: Store) -> tuple[object, ...]:
    """What an import of qualifications or employment may write."""
    with raw(location_of(store)) as execute:
        (found,) = execute(
            "SELECT (SELECT COUNT(*) FROM graduate_history),"
            " (SELECT COUNT(*) FROM qualification_pending), (SELECT COUNT(*) FROM audit),"
            " (SELECT COUNT(*) FROM graduate WHERE qualification_no IS NOT NULL"
            " OR employment IS NOT NULL), (SELECT MAX(version) FROM graduate)"
        )
    return tuple(found)


async def test_an_id_number_repeating_one_of_an_earlier_chunk_refuses_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    before = written(store)
    lines = [qualification(index) for index in range(ROWS)]
    lines[ROWS - 1] = qualification(1, name="王小明")  # file row ROWS + 1 repeats file row 3
    report = await import_qualifications(store, write(tmp_path, QUALIFICATIONS, lines), "zh")

    assert report.imported == 0
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (ROWS + 1, "身份证号", "与第 3 行重复")
    ]
    assert written(store) == before


async def test_a_later_chunk_naming_no_graduate_refuses_the_employment_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    before = written(store)
    lines = [f"李娜,{id_number(index)},已就业" for index in range(ROWS)]
    lines[ROWS - 1] = f"李娜,{id_number(ROWS)},已就业"  # no such graduate
    lines[ROWS - 2] = f"李娜,{id_number(2)},已就业"  # repeats file row 4
    report = await import_employment(store, write(tmp_path, EMPLOYMENT, lines), "zh")

    assert report.imported == 0
    assert [(e.row, e.column) for e in report.errors] == [
        (ROWS, "身份证号"),
        (ROWS + 1, "身份证号"),
    ]
    assert report.errors[0].message == "与第 4 行重复"
    assert written(store) == before


async def test_corrections_and_kept_rows_across_chunks_land_together_in_file_order(
    store: Store, tmp_path: Path
) -> None:
    history, pending, audit, filled, _ = written(store)
    lines = [qualification(index) for index in range(ROWS)]
    lines[ROWS - 1] = qualification(ROWS - 1, name="王小明")  # kept: the name differs
    lines.append(qualification(ROWS))  # kept: no such graduate
    report = await import_qualifications(store, write(tmp_path, QUALIFICATIONS, lines), "zh")

    assert isinstance(report, QualificationReport) and report.errors == ()
    assert report.imported == ROWS - 1
    assert report.rows_kept == (ROWS + 1, ROWS + 2)
    assert [p.reason for p in report.kept] == ["name_mismatch", "no_graduate"]
    after = (history, pending, audit, filled)
    assert written(store) == (
        *(int(str(n)) + more for n, more in zip(after, (ROWS - 1, 2, 1, ROWS - 1), strict=True)),
        2,
    )
    found = await store.graduates_by_id_number([id_number(0), id_number(ROWS - 2)])
    first, last = (found[(id_number(i), TERM)].id for i in (0, ROWS - 2))
    (change,) = await store.graduate_history(last)
    assert (json.loads(change.old), json.loads(change.new)) == (
        dict.fromkeys(("qualification_no", "qualification_level"), None),
        {"qualification_no": f"Q{ROWS - 2:08d}", "qualification_level": "三级/高级工"},
    )
    assert (await store.graduate_history(first))[0].at == change.at

    # The same file again changes nothing: no history, the kept rows replaced.
    again = await import_qualifications(store, write(tmp_path, QUALIFICATIONS, lines), "zh")
    assert again.imported == ROWS - 1
    assert written(store)[:2] == (int(str(history)) + ROWS - 1, int(str(pending)) + 2)
