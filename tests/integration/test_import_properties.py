"""Property-based imports: whatever bytes or text a file holds, the answer is a report or a domain
error, and a refused import leaves the database as it was."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuance.core.errors import DomainError
from issuance.formats.tabular import read_table
from issuance.store import Store
from issuance.xcert.importing import RESULT_COLUMNS
from qianfa.cli import IMPORTERS

HEADER = ",".join(column.header_zh for column in RESULT_COLUMNS)
# Text rich in what breaks parsers: separators, quotes, line ends, controls, CJK, full-width forms.
CELL = st.text(
    alphabet=st.sampled_from(
        list(",\"'\n\r\t\x00\x07\u202e\u200b\ufeff 0123456789Xx张三院校学生已通过１２３")
    ),
    max_size=30,
)
ROWS = st.lists(st.lists(CELL, max_size=12), max_size=6)


def dump_digest(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()


async def _import(folder: Path, kind: str, name: str, data: bytes) -> None:
    db = folder / "qianfa.db"
    store = await Store.open(db)
    try:
        before = dump_digest(db)
        file = folder / name
        file.write_bytes(data)
        try:
            report = await IMPORTERS[kind](store, file)
        except DomainError as error:
            assert error.message()
            report = None
        if report is None or report.errors:
            assert dump_digest(db) == before
    finally:
        await store.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_results_csv_is_reported_or_refused_and_changes_nothing_when_refused(
    rows: list[list[str]], encoding: str
) -> None:
    text = HEADER + "\n" + "\n".join(",".join(row) for row in rows)
    data = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_import(Path(folder), "results", "r.csv", data))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_are_read_or_refused_with_a_domain_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"f{suffix}"
        path.write_bytes(data)
        try:
            with read_table(path, RESULT_COLUMNS) as table:
                for _ in table:
                    pass
        except DomainError as error:
            assert error.message("zh") and error.message("en")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=5), max_size=5),
    kind=st.sampled_from(["orgs", "people"]),
)
def test_any_orgs_or_people_csv_is_reported_or_refused(rows: list[list[str]], kind: str) -> None:
    header = {
        "orgs": "机构代码,机构名称,机构类型,上级机构代码",
        "people": "姓名,手机号,所属机构代码,角色",
    }
    text = header[kind] + "\n" + "\n".join(",".join(row) for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_import(Path(folder), kind, "p.csv", text.encode()))
