"""Benchmark: write a 100,000-row results file, then read it back; prints rows/s and peak memory.

Run with `.venv/bin/python bench/tabular.py [ROWS]`.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from issuance.core.idcard import check_character
from issuance.formats.tabular import Format, read_table, write_table
from issuance.xcert.importing import RESULT_COLUMNS as RESULTS


def results(count: int) -> Iterator[list[object]]:
    """Plausible exam results with valid ID-card numbers."""
    for index in range(count):
        first17 = (
            f"610114{1990 + index % 15}{1 + index % 12:02d}{1 + index % 28:02d}{index % 1000:03d}"
        )
        yield [
            f"学生{index:06d}",
            first17 + check_character(first17),
            "院校学生" if index % 3 else "社会学员",
            f"S{index % 40:03d}",
            "工业机器人操作与运维",
            ("初级", "中级", "高级")[index % 3],
            "ORG001",
            "2024年第二批考试",
            f"SITE{index % 12:02d}",
            "已通过" if index % 10 else "未通过",
        ]


def read_all(path: Path) -> int:
    """Stream every row, touching each value as an importer would."""
    count = 0
    with read_table(path, RESULTS) as table:
        for _, row in table:
            count += len(row["id_number"]) > 0
    return count


def measure(rows: int, fmt: Format, folder: Path) -> None:
    """Print write time, read throughput and the read's peak traced memory for one file."""
    path = folder / f"results-{rows}.{fmt}"
    started = time.perf_counter()
    write_table(path, [c.header_zh for c in RESULTS], results(rows), fmt)
    written = time.perf_counter() - started

    started = time.perf_counter()
    assert read_all(path) == rows
    read = time.perf_counter() - started

    tracemalloc.start()
    read_all(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    size = path.stat().st_size / 2**20
    print(
        f"{fmt:4} {rows:>7} rows  {size:6.1f} MiB"
        f"  write {written:5.1f} s ({rows / written:>7.0f} rows/s)"
        f"  read {read:5.1f} s ({rows / read:>7.0f} rows/s)  read peak {peak / 2**20:5.1f} MiB"
    )


def main() -> None:
    """Measure 10% and 100% of the row count, so flat memory shows as equal peaks."""
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("xlsx", "csv"):
            for count in (rows // 10, rows):
                measure(count, fmt, Path(folder))
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS {max_rss:.0f} MiB (Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
