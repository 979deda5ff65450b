"""Benchmark: a school's 20,000 graduates, then their qualifications (1 % kept as name
mismatches), employment, and five course grades each, imported (rows/s); then `grad match`.

Run with `.venv/bin/python bench/qualification.py [GRADUATES]`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from bench.graduation import DECLARED, SCHOOL, TERM, _max_rss, graduates
from issuance.core.settings import load_settings
from issuance.formats.tabular import write_table
from issuance.graduation import demo
from issuance.graduation.holds import match_report
from issuance.graduation.importing import GRADUATE_COLUMNS, import_graduates
from issuance.graduation.qualifications import (
    EMPLOYMENT_COLUMNS,
    GRADE_COLUMNS,
    QUALIFICATION_COLUMNS,
    import_employment,
    import_grades,
    import_qualifications,
)
from issuance.graduation.service import Graduation
from issuance.importing import ImportReport
from issuance.store import Store
from issuance.xcert.service import Issuance

COURSES = ("汽车构造", "汽车电器", "发动机维修", "底盘维修", "职业素养")


def qualifications(rows: list[list[object]]) -> Iterator[list[object]]:
    for index, (name, number, *_rest) in enumerate(rows):
        shown = "某某" if index % 100 == 0 else name  # 1 % name mismatches, kept
        yield [shown, number, f"Q{index:010d}", "三级/高级工", "汽车维修工", "2025-06-30"]


def employment(rows: list[list[object]]) -> Iterator[list[object]]:
    for index, (name, number, *_rest) in enumerate(rows):
        yield [name, number, ("已就业", "升学", "待就业")[index % 3], "福州某公司"]


def grades(rows: list[list[object]]) -> Iterator[list[object]]:
    for index, (name, number, *_rest) in enumerate(rows):
        for course in COURSES:
            yield [number, name, course, str(60 + index % 41), "张老师", "2024-2025-2"]


async def timed(label: str, importer: Callable[[], Awaitable[ImportReport]]) -> None:
    started = time.perf_counter()
    report = await importer()
    took = time.perf_counter() - started
    assert not report.errors, report.errors[:3]
    print(
        f"import {label:<15} {report.imported:>7} rows  {took:6.1f} s"
        f"  ({report.imported / took:>6.0f} rows/s)"
    )


async def run(count: int, folder: Path) -> None:
    rows = list(graduates(count))
    files = {}
    for name, columns, lines in (
        ("graduates", GRADUATE_COLUMNS, rows),
        ("qualifications", QUALIFICATION_COLUMNS, qualifications(rows)),
        ("employment", EMPLOYMENT_COLUMNS, employment(rows)),
        ("grades", GRADE_COLUMNS, grades(rows)),
    ):
        files[name] = folder / f"{name}.csv"
        write_table(files[name], [c.header_zh for c in columns], lines, "csv")
    settings = load_settings(folder)
    store = await Store.open(settings.database_path)
    try:
        await demo.load(Issuance(store, settings))
        await timed("graduates", lambda: import_graduates(store, files["graduates"], "zh"))
        await timed(
            "qualifications",
            lambda: import_qualifications(store, files["qualifications"], school=SCHOOL),
        )
        await timed(
            "employment", lambda: import_employment(store, files["employment"], school=SCHOOL)
        )
        await timed("grades", lambda: import_grades(store, files["grades"], school=SCHOOL))
        grad = Graduation(store, settings)
        started = time.perf_counter()
        report = await match_report(store, await grad.school(SCHOOL), TERM)
        took = time.perf_counter() - started
        print(
            f"grad match ({len(report.kept)} kept, {len(report.unqualified)} unqualified"
            f" of the {DECLARED} graduates of {TERM}): {took:.2f} s"
        )
    finally:
        await store.close()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(count, Path(folder)))
    print(f"process max RSS {_max_rss():.0f} MiB (Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
