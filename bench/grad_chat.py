"""What a chat tap on graduation printouts costs: 打印 for a 1,000-graduate term (the print PDF,
the preview picture), 花名册 for the same term, and 统计 for 80 schools; sizes against the
channels' upload limits (Telegram 50 MB documents, 10 MB photos; WeCom 20 MB files, 10 MB images).

Run from the repository root: `.venv/bin/python -m bench.grad_chat`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from issuance.formats.charts import SchoolRates, rates_chart_png
from issuance.formats.grad_print import (
    Offset,
    SchoolLevel,
    layout_for,
    render_preview,
    render_print,
)
from issuance.formats.roster import RosterHeading, render_roster, roster_xlsx
from issuance.graduation.printouts import PREVIEW_DPI
from tests.graduates import many_prints, roster_lines

TERM = 1_000
SCHOOLS = 80


def _timed(name: str, work: Callable[[], bytes]) -> None:
    start = time.perf_counter()
    out = work()
    elapsed = time.perf_counter() - start
    print(f"{name}: {elapsed:.2f} s, {len(out) / 2**20:.2f} MiB")


def main() -> None:
    """Warm up once (font registration), then time each file a tap sends."""
    layout = layout_for(SchoolLevel.TECHNICAL_SCHOOL)
    prints = many_prints(TERM)
    render_print(prints[:1], layout, Offset())
    render_preview(prints[0], layout, PREVIEW_DPI)
    _timed(
        f"打印: print PDF of {TERM} certificates", lambda: render_print(prints, layout, Offset())
    )
    _timed(
        f"打印: preview PNG at {PREVIEW_DPI} dpi",
        lambda: render_preview(prints[0], layout, PREVIEW_DPI),
    )
    heading = RosterHeading("福建省第一技师学院", "2025年6月")
    lines = roster_lines(TERM)
    _timed(f"花名册: roster PDF of {TERM}, IDs masked", lambda: render_roster(heading, lines, True))
    _timed(f"花名册: roster XLSX of {TERM}, IDs masked", lambda: roster_xlsx(lines, True))
    rates = [SchoolRates(f"第{n}技工学校", 300, 200 + n, 250) for n in range(SCHOOLS)]
    _timed(f"统计: chart of {SCHOOLS} schools", lambda: rates_chart_png(2025, rates))


if __name__ == "__main__":
    main()
