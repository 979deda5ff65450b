"""Benchmark: import 100,000 graduates (rows/s, peak memory), then approve a declaration of
9,999 graduates in one act (target under 1 s on SQLite), numbers allocated in the same act.

9,999, not 10,000: the number's serial part has 4 digits per school and year, so one school's
term cannot hold more (the pattern is a setting; a 5-digit serial would make 20-digit numbers).

Run with `.venv/bin/python bench/graduation.py [ROWS] [DECLARED]`.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from issuance.core.chain import Act
from issuance.core.idcard import check_character
from issuance.core.settings import load_settings
from issuance.formats.tabular import write_table
from issuance.graduation import demo
from issuance.graduation.importing import GRADUATE_COLUMNS, import_graduates
from issuance.graduation.service import Graduation
from issuance.store import Store
from issuance.xcert.service import Issuance

SCHOOL = demo.SCHOOLS[1][0]  # under Fuzhou, a final city: 审核 then one 审批


DECLARED = 9_999
TERM = "202406"


def graduates(count: int) -> Iterator[list[object]]:
    """Plausible graduates of one school with valid ID numbers: DECLARED of TERM, the rest of
    the terms of 2025."""
    for index in range(count):
        month, day = 1 + index // 1000 % 12, 1 + index // 12_000 % 28
        first17 = f"3501022006{month:02d}{day:02d}{index % 1000:03d}"
        term = TERM if index < DECLARED else f"2025{1 + index % 12:02d}"
        male = int(first17[16]) % 2 == 1
        yield [
            f"学生{index:06d}",
            first17 + check_character(first17),
            "男" if male else "女",
            SCHOOL,
            "0701",
            "汽车维修",
            ("高级工班", "中级工班")[index % 2],
            f"{int(term[:4]) - 3}09",
            term,
            "3",
            "全日制",
        ]


async def run(rows: int, folder: Path) -> None:
    # The generator's ID numbers repeat every 12 * 28 * 1000 rows.
    assert DECLARED <= rows <= 336_000
    path = folder / "graduates.csv"
    write_table(path, [c.header_zh for c in GRADUATE_COLUMNS], graduates(rows), "csv")
    settings = load_settings(folder)
    store = await Store.open(settings.database_path)
    try:
        await demo.load(Issuance(store, settings))
        before = _max_rss()
        started = time.perf_counter()
        report = await import_graduates(store, path)
        took = time.perf_counter() - started
        assert not report.errors, report.errors[:3]
        print(
            f"import {report.imported:>7} graduates  {took:6.1f} s"
            f"  ({report.imported / took:>7.0f} rows/s)"
            f"  process peak RSS {_max_rss():.0f} MiB (before the import {before:.0f} MiB)"
        )

        grad = Graduation(store, settings)
        leader = await store.person_by_ref("13900000022")
        approver = await store.person_by_ref("13900000004")
        assert leader is not None and approver is not None
        request_id, count = await grad.declare(SCHOOL, TERM)
        await grad.act(leader, request_id, Act.CONFIRM)
        started = time.perf_counter()
        done = await grad.act(approver, request_id, Act.CONFIRM)
        took = time.perf_counter() - started
        assert done.numbered == count == DECLARED
        print(
            f"approve one declaration of {count} graduates in one act: {took:.2f} s"
            f" ({done.numbered} numbers; target < 1 s)"
        )
    finally:
        await store.close()


def _max_rss() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(rows, Path(folder)))
    print(f"process max RSS {_max_rss():.0f} MiB (Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
