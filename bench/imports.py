"""Imports against a raw read of the same XLSX, and their peak memory at 10,000 and ROWS rows.

Run from the repository root: `.venv/bin/python -m bench.imports [--quick]` (ROWS 100,000;
20,000 with --quick). Every measurement is a fresh process, so each peak RSS is its own: the
import of a results (or graduates) workbook into a fresh database, and the reference, the same
file read row by row with python-calamine and nothing done with the rows; alternating, 3 rounds,
medians. The streaming XLSX reader the imports use (issuance.formats.xlsx_rows), alone, is
measured against the same reference (target ≥ 1×, and flat memory). Qualifications and
employment (a school's ROWS graduates imported first) are compared with the results import.
Targets: ≥ 0.5× the raw read; peak RSS ≤ 150 MiB and, at ROWS rows, within 1.2× of the peak
at 10,000 (flat); qualifications and employment ≥ 0.5× the results import.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from python_calamine import CalamineWorkbook

from bench import core, graduation, qualification
from bench.compare import ROUNDS, Row, report
from issuance.core.settings import load_settings
from issuance.formats.tabular import write_table
from issuance.formats.xlsx_rows import open_first_sheet
from issuance.graduation import demo as grad_demo
from issuance.graduation.importing import GRADUATE_COLUMNS, import_graduates
from issuance.graduation.qualifications import (
    EMPLOYMENT_COLUMNS,
    QUALIFICATION_COLUMNS,
    import_employment,
    import_qualifications,
)
from issuance.graduation.service import Graduation
from issuance.store import Store
from issuance.xcert.importing import ImportReport, import_orgs, import_people, import_results
from issuance.xcert.service import Issuance

FLAT = 1.2
CEILING_MIB = 150.0
SMALL = 10_000
WARM = 20


def _peak_mib() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux carries it over
    exec from the parent (here the process that wrote the workbooks), VmHWM starts afresh."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def write_files(folder: Path, rows: int) -> None:
    """results-N.xlsx and graduates-N.xlsx for N in (WARM, SMALL, rows); qualifications and
    employment of the `rows` graduates."""
    for count in sorted({WARM, SMALL, rows}):
        core.write_results(folder / f"results-{count}.xlsx", count)
        headers = [c.header_zh for c in GRADUATE_COLUMNS]
        write_table(
            folder / f"graduates-{count}.xlsx", headers, graduation.graduates(count), "xlsx"
        )
    people = list(graduation.graduates(rows))
    for name, columns, lines in (
        ("qualifications", QUALIFICATION_COLUMNS, qualification.qualifications(people)),
        ("employment", EMPLOYMENT_COLUMNS, qualification.employment(people)),
    ):
        write_table(folder / f"{name}.xlsx", [c.header_zh for c in columns], lines, "xlsx")


def raw_read(path: Path) -> dict[str, float]:
    """The reference: every row of the first sheet read by calamine, nothing done with it."""
    start = time.perf_counter()
    rows = sum(1 for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
    return {"rate": (rows - 1) / (time.perf_counter() - start), "rss": _peak_mib()}


def reader_read(path: Path) -> dict[str, float]:
    """The streaming reader the imports use, every row read, nothing done with it."""
    start = time.perf_counter()
    sheet = open_first_sheet(str(path), path.name)
    rows = sum(1 for _ in sheet.rows)
    sheet.close()
    return {"rate": (rows - 1) / (time.perf_counter() - start), "rss": _peak_mib()}


async def _timed(importer: Callable[[], Awaitable[ImportReport]]) -> float:
    start = time.perf_counter()
    result = await importer()
    elapsed = time.perf_counter() - start
    assert not result.errors, result.errors[:3]
    return result.imported / elapsed


async def import_one(kind: str, path: Path, home: Path) -> dict[str, float]:
    """Import `path` (results or graduates, after what it needs) into a fresh database."""
    settings = load_settings(home, environ={})
    store = await Store.open(settings.database_path)
    try:
        if kind == "results":
            orgs, people = core.write_setup(home)
            await import_orgs(store, orgs)
            await import_people(store, people)
            rate = await _timed(lambda: import_results(store, path))
            return {"rate": rate, "rss": _peak_mib()}
        await grad_demo.load(Issuance(store, settings))
        rate = await _timed(lambda: import_graduates(store, path))
        if kind == "graduates":
            return {"rate": rate, "rss": _peak_mib()}
        folder = path.parent
        school = await Graduation(store, settings).school(graduation.SCHOOL)
        quals, jobs = folder / "qualifications.xlsx", folder / "employment.xlsx"
        return {
            "qualifications": await _timed(
                lambda: import_qualifications(store, quals, "zh", school, "bench")
            ),
            "employment": await _timed(
                lambda: import_employment(store, jobs, "zh", school, "bench")
            ),
        }
    finally:
        await store.close()


async def _warmed_import(kind: str, path: Path, home: Path) -> dict[str, float]:
    """`import_one` in a process warmed as a server's is: its first import loads what every later
    one reuses (the message catalog, the print font's narrow glyphs: ~50 ms, 2–3 % of 100,000
    graduates, 15 % of 20,000), so a small import into a home of its own goes first, as
    bench.certificates warms its processes by one certificate."""
    warm = path.with_name(f"{path.name.split('-')[0]}-{WARM}.xlsx")
    if kind in ("results", "graduates") and warm.exists():
        (home / "warm").mkdir()
        await import_one(kind, warm, home / "warm")
    return await import_one(kind, path, home)


def _child(*args: str) -> dict[str, float]:
    """One measurement in a fresh process (its own peak RSS)."""
    command = [sys.executable, "-m", "bench.imports", "--child", *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def compare(quick: bool) -> int:
    rows = 20_000 if quick else 100_000
    results: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as name:
        folder = Path(name)
        write_files(folder, rows)
        imported: dict[str, dict[str, float]] = {}
        for kind in ("results", "graduates"):
            big = folder / f"{kind}-{rows}.xlsx"
            raw_runs, import_runs, reader_runs = [], [], []
            for index in range(ROUNDS):
                raw_runs.append(_child("raw", str(big)))
                import_runs.append(_child(kind, str(big), str(folder / f"{kind}-home-{index}")))
                reader_runs.append(_child("reader", str(big)))
            raw, ours = _medians(raw_runs), _medians(import_runs)
            reader = _medians(reader_runs)
            small = _child(kind, str(folder / f"{kind}-{SMALL}.xlsx"), str(folder / f"{kind}-s"))
            small_reader = _child("reader", str(folder / f"{kind}-{SMALL}.xlsx"))
            imported[kind] = ours
            label = f"import {rows:,} {kind} (XLSX)"
            read = f"read {rows:,} {kind} rows (XLSX reader)"
            results += [
                Row(read, "raw calamine read", raw["rate"], reader["rate"], "/s", at_least=1),
                Row(f"{read}, peak RSS", f"the same at {SMALL:,} rows", small_reader["rss"],
                    reader["rss"], "MiB", at_most=FLAT),
                Row(label, "raw calamine read", raw["rate"], ours["rate"], "/s", at_least=0.5),
                Row(f"{label}, peak RSS", f"the same at {SMALL:,} rows", small["rss"],
                    ours["rss"], "MiB", at_most=FLAT),
                Row(f"{label}, peak RSS", "the ceiling", CEILING_MIB, ours["rss"], "MiB",
                    at_most=1),
            ]  # fmt: skip
        runs = [
            _child("qualifications", str(folder / f"graduates-{rows}.xlsx"), str(folder / f"q{i}"))
            for i in range(ROUNDS)
        ]
        school = _medians(runs)
        base = imported["results"]["rate"]
        for kind in ("qualifications", "employment"):
            results.append(
                Row(f"import {rows:,} {kind} (XLSX)", "the results import", base, school[kind],
                    "/s", at_least=0.5)
            )  # fmt: skip
    return report(results)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        kind, path, *home = sys.argv[2:]
        if kind == "raw":
            figures = raw_read(Path(path))
        elif kind == "reader":
            figures = reader_read(Path(path))
        else:
            Path(home[0]).mkdir(parents=True, exist_ok=True)
            figures = asyncio.run(_warmed_import(kind, Path(path), Path(home[0])))
        print(json.dumps(figures))
        return
    raise SystemExit(compare("--quick" in sys.argv))


if __name__ == "__main__":
    main()
