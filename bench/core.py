"""Import 100,000 exam results from XLSX, generate their lists, confirm 10,000 in one act.

Prints import throughput (rows/s), peak memory (RSS and tracemalloc), list generation time and
the time of one batch confirm of 10,000 records (target: under 1 s on SQLite).

Run from the repository root: `.venv/bin/python -m bench.core [ROWS]`.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl

from issuance.core.idcard import check_character
from issuance.core.records import RecordFilter
from issuance.core.settings import load_settings
from issuance.store import Store
from issuance.xcert.importing import RESULT_COLUMNS, import_orgs, import_people, import_results
from issuance.xcert.service import Issuance

ROWS = 100_000
CONFIRM = 10_000
SCHOOLS = 20
ISSUER = "ISSUER0001"
PLAN = "2025年6月考试计划特殊焊接技术职业技能等级证书初级"


def id_numbers(count: int, seed: int = 7) -> list[str]:
    """`count` distinct valid ID numbers."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        first17 = (
            f"{rng.choice(('610114', '610121', '210202', '110101'))}"
            f"{rng.randint(1995, 2006)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 999):03d}"
        )
        seen.add(first17 + check_character(first17))
    return sorted(seen)


def school_code(index: int) -> str:
    return f"SCHOOL{index:04d}"


def write_setup(folder: Path) -> tuple[Path, Path]:
    """The orgs and people CSVs: one evaluation organization, SCHOOLS schools with their heads."""
    orgs = folder / "orgs.csv"
    lines = ["机构代码,机构名称,机构类型", f"{ISSUER},中船教育科技(北京)有限公司,培训评价组织"]
    lines += [f"{school_code(i)},试点院校{i},试点院校" for i in range(SCHOOLS)]
    orgs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    people = folder / "people.csv"
    lines = ["姓名,手机号,所属机构代码,角色", f"王建国,13800000000,{ISSUER},签发人"]
    lines += [f"负责人{i},139{i:08d},{school_code(i)},负责人" for i in range(SCHOOLS)]
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return orgs, people


def write_results(path: Path, rows: int) -> None:
    """A results workbook as an evaluation organization would upload it."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([column.header_zh for column in RESULT_COLUMNS])
    for index, number in enumerate(id_numbers(rows)):
        school = school_code(index % SCHOOLS)
        sheet.append(
            [
                f"学生{index}",
                number,
                "院校学生",
                school,
                "特殊焊接技术职业技能等级证书",
                "初级",
                ISSUER,
                PLAN,
                school,
                "已通过",
            ]
        )
    book.save(path)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench(folder: Path, rows: int) -> None:
    settings = load_settings(folder, environ={})
    orgs, people = write_setup(folder)
    results = folder / "results.xlsx"
    start = time.perf_counter()
    write_results(results, rows)
    print(
        f"wrote {rows} rows to XLSX in {time.perf_counter() - start:.1f} s "
        f"({results.stat().st_size / 2**20:.1f} MiB)"
    )

    store = await Store.open(settings.database_path)
    try:
        assert (await import_orgs(store, orgs)).imported == SCHOOLS + 1
        assert (await import_people(store, people)).imported == SCHOOLS + 1
        rss_before = peak_rss_mib()
        start = time.perf_counter()
        report = await import_results(store, results)
        elapsed = time.perf_counter() - start
        assert report.imported == rows, report.errors[:5]
        import_rss = peak_rss_mib()
        # tracemalloc slows Python down several times: the timed run goes without it, and a second
        # import of the same file into a fresh database measures the traced peak.
        traced = await Store.open(folder / "traced.db")
        try:
            await import_orgs(traced, orgs)
            await import_people(traced, people)
            tracemalloc.start()
            report = await import_results(traced, results)
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert report.imported == rows, report.errors[:5]
        finally:
            await traced.close()
        print(
            f"import results: {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s; "
            f"peak RSS {import_rss:.0f} MiB (before the import {rss_before:.0f} MiB), "
            f"tracemalloc peak {traced_peak / 2**20:.0f} MiB"
        )

        issuance = Issuance(store, settings)
        start = time.perf_counter()
        batches = await issuance.create_lists(PLAN)
        elapsed = time.perf_counter() - start
        print(
            f"list create: {len(batches)} batches, {sum(b.records for b in batches)} records "
            f"with numbers in {elapsed:.2f} s"
        )

        evaluator = await store.person_by_ref("13800000000")
        assert evaluator is not None
        records = await store.records(RecordFilter(), limit=CONFIRM)
        png = b"signature"
        signature = await store.add_signature(
            evaluator.id, png, hashlib.sha256(png).hexdigest(), "[]"
        )
        ids = [record.id for record in records]
        start = time.perf_counter()
        confirmed = await issuance.confirm(evaluator, ids, signature)
        elapsed = time.perf_counter() - start
        assert all(r.status == "考核站点待签发" for r in confirmed)
        verdict = "under" if elapsed < 1 else "OVER"
        print(
            f"batch confirm: {len(ids)} records in one act in {elapsed:.3f} s "
            f"({verdict} the 1 s target)"
        )
        counts = await issuance.counts(RecordFilter())
        print("counts:", counts)
    finally:
        await store.close()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder:
        asyncio.run(bench(Path(folder), rows))


if __name__ == "__main__":
    main()
