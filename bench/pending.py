"""/pending (待签发) in chat with 100,000 records against the same screen on the 61-record demo.

Run from the repository root: `.venv/bin/python -m bench.pending [--quick]`. Two homes side by
side: the demo alone, and the demo plus RECORDS more records in one pending list per school of 20
other schools. The demo school's head asks for /pending in both (the use case and the screen the
chat shows, as the Telegram and WeCom handlers run them), in alternating rounds; the figure is
the 95th percentile of a round. Targets: p95 ≤ 10 ms with 100,000 records and ≤ 2× the demo's.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.compare import ROUNDS, Row, p95, report
from issuance.chat import xcert as screens
from issuance.core.people import Person
from issuance.core.settings import load_settings
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance
from tests.workload import PLAN, id_number, people

RECORDS = 100_000
SCHOOLS = 20
TARGET_P95_MS = 10.0


async def open_home(home: Path, records: int) -> tuple[Issuance, Person]:
    """The demo, plus `records` listed records of other schools; the demo school's head."""
    settings = load_settings(home, environ={"QIANFA_SECRET_KEY": "x"})
    store = await Store.open(settings.database_path)
    issuance = Issuance(store, settings)
    await demo.load(issuance)
    _, head, _ = await people(issuance)
    if records:
        codes = [f"2102{i:016d}" for i in range(1, SCHOOLS + 1)]
        await store.insert_orgs(
            [(code, f"院校{i}", "试点院校", "210200", None) for i, code in enumerate(codes)]
        )
        orgs = await store.orgs_by_code([demo.ISSUER[0], *codes])
        issuer = orgs[demo.ISSUER[0]].id
        schools = [orgs[code].id for code in codes]
        rows = []
        for i in range(records):
            school = schools[i % SCHOOLS]
            rows.append(
                ResultRow(f"学生{i}", id_number(i), "院校学生", school, demo.PROGRAM, "中级",
                          issuer, PLAN, school, 1)
            )  # fmt: skip
        await store.import_results(rows)
        await issuance.create_lists(PLAN)
    return issuance, head


async def pending_ms(issuance: Issuance, head: Person, times: int) -> float:
    """p95 in ms of what /pending does for the head: the visible batches and their screen."""
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        screens.pending_list(await issuance.visible_batches(head))
        samples.append((time.perf_counter() - start) * 1000)
    return p95(samples)


async def run(folder: Path, quick: bool) -> int:
    small, small_head = await open_home(folder / "demo", 0)
    large, large_head = await open_home(folder / "large", RECORDS)
    times = 100 if quick else 300
    try:
        await pending_ms(small, small_head, 20)
        await pending_ms(large, large_head, 20)
        demo_p95, large_p95 = await _alternate(
            lambda: pending_ms(large, large_head, times),
            lambda: pending_ms(small, small_head, times),
        )
    finally:
        await small.store.close()
        await large.store.close()
    rows = [
        Row(f"/pending p95, {RECORDS:,} records", "61-record demo", demo_p95, large_p95, "ms",
            at_most=2),
        Row(f"/pending p95, {RECORDS:,} records", f"the {TARGET_P95_MS:g} ms ceiling",
            TARGET_P95_MS, large_p95, "ms", at_most=1),
    ]  # fmt: skip
    return report(rows)


async def _alternate(
    qianfa: Callable[[], Awaitable[float]], reference: Callable[[], Awaitable[float]]
) -> tuple[float, float]:
    """`alternate` for coroutine factories, in this event loop."""
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(ROUNDS):
        theirs.append(await reference())
        ours.append(await qianfa())
    return statistics.median(theirs), statistics.median(ours)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder:
        raise SystemExit(asyncio.run(run(Path(folder), "--quick" in sys.argv)))


if __name__ == "__main__":
    main()
