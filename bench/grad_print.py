"""Graduation printing and roster: print pages per second for 1,000 certificates, roster for 5,000.

Run from the repository root: `.venv/bin/python -m bench.grad_print`.
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from collections.abc import Callable

from issuance.core.vocabulary import SchoolLevel
from issuance.formats.grad_print import Offset, layout_for, render_print
from issuance.formats.roster import RosterHeading, render_roster, roster_xlsx
from tests.graduates import many_prints, roster_lines

CERTIFICATES = 1_000
GRADUATES = 5_000


def _measure(work: Callable[[], bytes]) -> tuple[float, float, int]:
    """Seconds, peak Python allocation in MiB, and the output's size.

    Timed on a plain run; the memory peak comes from a second, traced run, since tracemalloc
    slows allocation-heavy code several times over.
    """
    start = time.perf_counter()
    out = work()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak, len(out)


def main() -> None:
    """Warm up once (font registration), then time each job on fresh data."""
    layout = layout_for(SchoolLevel.TECHNICIAN_COLLEGE)
    offset = Offset(1.0, -0.5)
    prints = many_prints(CERTIFICATES)
    render_print(prints[:1], layout, offset)

    start = time.perf_counter()
    one_pdf = render_print(prints, layout, offset)
    batch = time.perf_counter() - start
    print(
        f"print: {CERTIFICATES} certificates in one PDF in {batch:.2f} s "
        f"({CERTIFICATES / batch:.0f} pages/s, {len(one_pdf) / 1024:.0f} KiB)"
    )
    start = time.perf_counter()
    for cert in prints:
        render_print([cert], layout, offset)
    single = time.perf_counter() - start
    print(
        f"print: {CERTIFICATES} one-page PDFs in {single:.2f} s "
        f"({CERTIFICATES / single:.0f} PDFs/s)"
    )

    heading = RosterHeading("福建省第一技师学院", "2024年6月")
    lines = roster_lines(GRADUATES, long_remark_every=50)
    for name, work in (
        ("roster PDF", lambda: render_roster(heading, lines)),
        ("roster XLSX", lambda: roster_xlsx(lines)),
    ):
        elapsed, peak, size = _measure(work)
        print(
            f"{name}: {GRADUATES} graduates in {elapsed:.2f} s, {size / 1024:.0f} KiB, "
            f"peak Python memory {peak:.0f} MiB"
        )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run {peak_rss:.0f} MiB")


if __name__ == "__main__":
    main()
