"""Statistics chart (统计图): each school's qualification-certificate and employment rates as bars.

The province publishes these two rates per school and year; the picture is a PNG drawn by
matplotlib's Agg backend through its object API (no pyplot state, safe in a worker thread), every
text in the Hei font file the certificates use, so Chinese school names never come out as boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.formats.fonts import HEI_CANDIDATES, pick_font

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

QUALIFICATION_COLOR = "#1f5fa8"
EMPLOYMENT_COLOR = "#e08a1e"


@dataclass(frozen=True)
class SchoolRates:
    """One school's graduates in a year, how many hold a qualification and how many work."""

    school: str
    graduates: int
    qualified: int
    employed: int

    def __post_init__(self) -> None:
        if self.graduates <= 0 or not (
            0 <= self.qualified <= self.graduates and 0 <= self.employed <= self.graduates
        ):
            raise Invalid(
                "gradchart.bad_counts",
                school=self.school,
                graduates=self.graduates,
                qualified=self.qualified,
                employed=self.employed,
            )

    @property
    def qualification_rate(self) -> float:
        """职业资格证书取得率, 0 to 1."""
        return self.qualified / self.graduates

    @property
    def employment_rate(self) -> float:
        """就业率, 0 to 1."""
        return self.employed / self.graduates


@cache
def _font() -> FontProperties:
    from matplotlib.font_manager import FontProperties

    font = pick_font(HEI_CANDIDATES)
    return FontProperties(fname=str(font.path))


def rates_chart_png(year: int, schools: Sequence[SchoolRates], dpi: int = 100) -> bytes:
    """Horizontal grouped bars, one pair per school in the given order, rates labelled in %."""
    if not schools:
        raise Invalid("gradchart.no_schools")
    # Imported here: matplotlib takes about half a second to import, which every start of the
    # command line (and every test running it) would pay for a chart it rarely draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _font()
    small = font.copy()
    small.set_size(9)
    bar = 0.38
    figure = Figure(figsize=(9.0, 1.6 + 0.62 * len(schools)), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # the first school on top, as read in a table
    places = [len(schools) - 1 - i for i in range(len(schools))]
    for shift, color, key, rates in (
        (
            bar / 2,
            QUALIFICATION_COLOR,
            "gradchart.qualification",
            [s.qualification_rate for s in schools],
        ),
        (-bar / 2, EMPLOYMENT_COLOR, "gradchart.employment", [s.employment_rate for s in schools]),
    ):
        values = [rate * 100 for rate in rates]
        bars = axes.barh([p + shift for p in places], values, height=bar, color=color, label=t(key))
        for rect, value in zip(bars, values, strict=True):
            axes.text(
                rect.get_width() + 0.8,
                rect.get_y() + rect.get_height() / 2,
                f"{value:.1f}%",
                va="center",
                fontproperties=small,
            )
    axes.set_yticks(
        places, [t("gradchart.graduates", school=s.school, graduates=s.graduates) for s in schools]
    )
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
    axes.set_xlim(0, 112)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel(t("gradchart.axis"), fontproperties=font)
    title = font.copy()
    title.set_size(13)
    axes.set_title(t("gradchart.title", year=year), fontproperties=title, pad=30)
    axes.spines[["top", "right"]].set_visible(False)
    # above the bars, where no bar can run under it
    axes.legend(prop=font, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
