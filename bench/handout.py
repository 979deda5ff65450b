"""Benchmark: 验印 of one school's term of 5,000 printed graduates (roster, numbers and serials
checked, then every blank sealed in one transaction), then the 经办人 handing all of them out.

Run with `.venv/bin/python -m bench.handout [GRADUATES]` (SQLite; set QIANFA_DATABASE_URL to a
postgresql:// URL of an empty database for PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.graduation import SCHOOL, TERM, graduates
from issuance.core.chain import Act
from issuance.core.settings import load_settings
from issuance.formats.tabular import write_table
from issuance.graduation import demo
from issuance.graduation.importing import GRADUATE_COLUMNS, import_graduates
from issuance.graduation.sealing import Sealing
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.store import Store
from issuance.xcert.service import Issuance


async def run(count: int, folder: Path) -> None:
    path = folder / "graduates.csv"
    write_table(path, [c.header_zh for c in GRADUATE_COLUMNS], graduates(count), "csv")
    settings = load_settings(folder)
    store = await Store.open(os.environ.get("QIANFA_DATABASE_URL") or settings.database_path)
    try:
        await demo.load(Issuance(store, settings))
        assert not (await import_graduates(store, path)).errors
        await store._execute("UPDATE graduate SET qualification_no = 'Q'")
        grad, stock = Graduation(store, settings), Stock(store, settings)
        people = {p: await grad.person(p) for p in ("13900000004", "13900000021", "13900000022")}
        approver, clerk, leader = people.values()
        school = await grad.school(SCHOOL)
        assert school.level is not None
        declared, n = await grad.declare(SCHOOL, TERM)
        blanks = await grad.request_blanks(SCHOOL, school.level, n, None)
        for who in (leader, approver):
            for request in (declared, blanks):
                await grad.act(who, request, Act.CONFIRM)
        await stock.receive(school.level, "B000001", f"B{n:06d}", "13900000002")
        await stock.issue(blanks, "B000001", "13900000003")
        roster = await store.seal_roster(school.id, TERM)
        printed = [(f"B{i:06d}", g.id) for i, g in enumerate(roster, 1)]
        await stock.record_printing(school.id, printed, clerk)

        sealing = Sealing(grad)
        started = time.perf_counter()
        sealed = await sealing.seal(approver, SCHOOL, TERM)
        took = time.perf_counter() - started
        print(f"验印 of {len(sealed.serials)} certificates (check and seal): {took:.2f} s")
        started = time.perf_counter()
        done = await sealing.hand_out(clerk, SCHOOL, TERM)
        took = time.perf_counter() - started
        print(f"hand-out of {len(done.handed)} graduation certificates in one act: {took:.2f} s")
    finally:
        await store.close()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(count, Path(folder)))


if __name__ == "__main__":
    main()
