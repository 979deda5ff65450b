"""The previews a 经办人 checks before printing, compared with stored pictures within a tolerance.

Run with QIANFA_UPDATE_EXPECTED=1 to write the pictures again after a deliberate layout change
(and look at them before committing).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from issuance.core.vocabulary import SchoolLevel
from issuance.formats.grad_print import layout_for, render_preview
from tests.graduates import sample_print

EXPECTED = Path(__file__).parent.parent / "expected"
DPI = 50
# A pixel differs when a channel moves by more than this (anti-aliasing and font hinting do less).
PIXEL_STEP = 64
# At most this share of pixels may differ: a field moved by 1 mm or a missing word is far more.
TOLERANCE = 0.002


def _differing_share(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > PIXEL_STEP else 0)
    return sum(diff.histogram()[255:]) / (a.width * a.height)


@pytest.mark.parametrize("level", list(SchoolLevel), ids=lambda level: level.name.lower())
def test_filled_preview_matches_its_stored_picture(level: SchoolLevel) -> None:
    picture = render_preview(sample_print(), layout_for(level), DPI)
    stored = EXPECTED / f"grad-preview-{level.name.lower()}.png"
    if os.environ.get("QIANFA_UPDATE_EXPECTED"):
        stored.write_bytes(picture)
    seen = Image.open(io.BytesIO(picture)).convert("RGB")
    expected = Image.open(stored).convert("RGB")
    assert seen.size == expected.size
    assert _differing_share(seen, expected) <= TOLERANCE


def test_the_comparison_sees_a_field_moved_by_a_millimetre() -> None:
    """The tolerance is tight enough to catch a layout drift: the same page 1 mm to the right."""
    layout = layout_for(SchoolLevel.TECHNICIAN_COLLEGE)
    picture = Image.open(io.BytesIO(render_preview(sample_print(), layout, DPI))).convert("RGB")
    empty = Image.open(io.BytesIO(render_preview(None, layout, DPI))).convert("RGB")
    ink = ImageChops.difference(picture, empty)
    shift = round(DPI / 25.4)
    moved = ImageChops.subtract(empty, ImageChops.offset(ink, shift, 0))
    assert _differing_share(moved, picture) > TOLERANCE
