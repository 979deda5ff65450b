"""The statistics chart: bar lengths measured in the PNG, Chinese drawn in a font that has it."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import Image

from issuance.core.errors import Invalid
from issuance.formats.charts import (
    EMPLOYMENT_COLOR,
    QUALIFICATION_COLOR,
    SchoolRates,
    rates_chart_png,
)

SCHOOLS = [
    SchoolRates("福建省第一技师学院", graduates=400, qualified=400, employed=380),
    SchoolRates("厦门市高级技工学校", graduates=200, qualified=100, employed=150),
    SchoolRates("三明市技工学校", graduates=80, qualified=20, employed=64),
]


def _rgb(hex_color: str) -> tuple[int, int, int]:
    value = hex_color.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _bar_lengths(image: Image.Image, color: tuple[int, int, int]) -> list[int]:
    """Length in pixels of each horizontal bar of exactly `color`, top to bottom."""
    pixels = image.load()
    assert pixels is not None
    bars: list[int] = []
    in_bar = False
    for y in range(image.height):
        run = sum(1 for x in range(image.width) if pixels[x, y] == color)
        if run > 2:
            if not in_bar:
                bars.append(0)
            bars[-1] = max(bars[-1], run)
        in_bar = run > 2
    return bars


def test_bars_are_as_long_as_the_rates_in_school_order() -> None:
    image = Image.open(io.BytesIO(rates_chart_png(2024, SCHOOLS))).convert("RGB")
    for color, rates in (
        (QUALIFICATION_COLOR, [s.qualification_rate for s in SCHOOLS]),
        (EMPLOYMENT_COLOR, [s.employment_rate for s in SCHOOLS]),
    ):
        lengths = _bar_lengths(image, _rgb(color))
        # the legend's colour patch is a short bar above the chart: drop it
        lengths = lengths[-len(SCHOOLS) :]
        assert len(lengths) == len(SCHOOLS)
        full = lengths[0] / rates[0]
        for length, rate in zip(lengths, rates, strict=True):
            assert length == pytest.approx(rate * full, abs=3)


def test_chinese_text_is_drawn_with_a_font_that_has_it() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rates_chart_png(2024, SCHOOLS)
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_counts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(Invalid, match="不成立"):
        SchoolRates("某技工学校", graduates=10, qualified=11, employed=3)
    with pytest.raises(Invalid, match="不成立"):
        SchoolRates("某技工学校", graduates=0, qualified=0, employed=0)
    with pytest.raises(Invalid, match="没有"):
        rates_chart_png(2024, [])
