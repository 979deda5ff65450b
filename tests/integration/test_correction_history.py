"""The history text a qualifications or employment import keeps (old and new values of the
fields changed, as JSON built by SQL over the staged rows) is byte for byte what json.dumps
wrote before the imports were staged, on SQLite and PostgreSQL: any text, None, only the
fields changed, in their order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.core.settings import load_settings
from issuance.graduation import demo as grad_demo
from issuance.graduation.importing import import_graduates
from issuance.graduation.qualifications import import_employment, import_qualifications
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.workload import GRADUATES_HEADER, graduate_line, id_number

TERM = grad_demo.TERM
SCHOOL = grad_demo.SCHOOLS[1][0]
QUALIFICATIONS = "姓名,身份证号,职业资格证书编号,职业资格等级,职业(工种),发证日期"
EMPLOYMENT = "姓名,身份证号,就业情况,就业单位"
# Text json.dumps escapes (quote, backslash) and text it keeps as it is (CJK, an emoji).
ODD = 'a "quoted" \\ name 😀'


def write(folder: Path, name: str, header: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.fixture
async def store(tmp_path: Path, database: str) -> AsyncIterator[Store]:
    settings = load_settings(tmp_path, environ={"QIANFA_DATABASE_URL": database})
    opened: Store = await Store.open(settings.database)
    await grad_demo.load(Issuance(opened, settings))
    graduates = [graduate_line(index) for index in range(3)]
    report = await import_graduates(
        opened, write(tmp_path, "g.csv", GRADUATES_HEADER, graduates), "zh"
    )
    assert report.imported == 3
    yield opened
    await opened.close()


async def history(store: Store, index: int) -> list[tuple[str, str]]:
    graduate = await store.graduate_by_ref(id_number(index))
    assert graduate is not None
    return [(change.old, change.new) for change in await store.graduate_history(graduate.id)]


def dumped(old: dict[str, object], new: dict[str, object]) -> tuple[str, str]:
    return json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)


async def test_history_text_is_what_json_dumps_writes(store: Store, tmp_path: Path) -> None:
    first = [
        f"李娜,{id_number(0)},Q0001,三级/高级工,{cell(ODD)},2025-06-30",
        f"李娜,{id_number(1)},Q0002,四级/中级工,,",
    ]
    path = write(tmp_path, "q1.csv", QUALIFICATIONS, first)
    assert (await import_qualifications(store, path, "zh", SCHOOL)).imported == 2
    fields = ("qualification_no", "qualification_level", "qualification_occupation")
    assert await history(store, 0) == [
        dumped(
            dict.fromkeys((*fields, "qualification_date")),
            dict(
                zip(
                    (*fields, "qualification_date"),
                    ("Q0001", "三级/高级工", ODD, "2025-06-30"),
                    strict=True,
                )
            ),
        )
    ]
    assert await history(store, 1) == [
        dumped(
            dict.fromkeys(fields[:2]),
            {"qualification_no": "Q0002", "qualification_level": "四级/中级工"},
        )
    ]

    # Only the fields changed, old values of any text, a value cleared (None), in field order.
    again = [
        f"李娜,{id_number(0)},Q0001,三级/高级工,汽车维修工,2025-06-30",
        f"李娜,{id_number(1)},Q0002,四级/中级工,,",
    ]
    path = write(tmp_path, "q2.csv", QUALIFICATIONS, again)
    assert (await import_qualifications(store, path, "zh", SCHOOL)).imported == 2
    assert (await history(store, 0))[1:] == [
        dumped({"qualification_occupation": ODD}, {"qualification_occupation": "汽车维修工"})
    ]
    assert (await history(store, 1))[1:] == []

    jobs = [f"李娜,{id_number(0)},已就业,{cell(ODD)}", f"李娜,{id_number(2)},升学,"]
    path = write(tmp_path, "e1.csv", EMPLOYMENT, jobs)
    assert (await import_employment(store, path, "zh", SCHOOL)).imported == 2
    assert (await history(store, 0))[2:] == [
        dumped({"employment": None, "employer": None}, {"employment": "已就业", "employer": ODD})
    ]
    assert await history(store, 2) == [dumped({"employment": None}, {"employment": "升学"})]

    jobs = [f"李娜,{id_number(0)},待就业,"]
    path = write(tmp_path, "e2.csv", EMPLOYMENT, jobs)
    assert (await import_employment(store, path, "zh", SCHOOL)).imported == 1
    assert (await history(store, 0))[3:] == [
        dumped(
            {"employment": "已就业", "employer": ODD}, {"employment": "待就业", "employer": None}
        )
    ]
