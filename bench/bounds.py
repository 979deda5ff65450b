"""Benchmark: cost of the pre-read .xlsx check on a 100,000-row results file, beside the read.

Run with `.venv/bin/python bench/bounds.py [ROWS]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.tabular import read_all, results
from issuance.formats.tabular import XLSX_LIMITS, write_table
from issuance.formats.xlsx_check import check_xlsx
from issuance.xcert.importing import RESULT_COLUMNS


def main() -> None:
    """Print the check's time and the whole read's time for one generated file."""
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.xlsx"
        write_table(path, [c.header_zh for c in RESULT_COLUMNS], results(rows), "xlsx")
        started = time.perf_counter()
        check_xlsx(path, XLSX_LIMITS)
        checked = time.perf_counter() - started
        started = time.perf_counter()
        read_all(path)
        read = time.perf_counter() - started
    print(f"xlsx {rows} rows: check {checked:.2f} s, whole read (check included) {read:.2f} s")


if __name__ == "__main__":
    main()
