"""The narrow characters of a font read from its cmap and hmtx tables are the ones reportlab's
whole parse gives (the print font's, and fonts whose cmap is of the other format read)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFontFile

from issuance.formats.certificate import FontFile
from issuance.formats.font_metrics import narrow_code_points
from issuance.formats.fonts import HEI_CANDIDATES

# The print fonts (a cmap of format 12) and two common faces (format 4), where installed.
FONTS = [
    font
    for font in (
        *HEI_CANDIDATES,
        FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 1),
        FontFile(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")),
        FontFile(Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")),
    )
    if font.path.is_file()
]


def test_some_font_to_compare_is_installed() -> None:
    assert FONTS, "no font of the list is installed: the comparison below tests nothing"


@pytest.mark.parametrize("font", FONTS, ids=lambda font: f"{font.path.name}:{font.subfont}")
def test_the_narrow_code_points_are_those_reportlab_reads(font: FontFile) -> None:
    face = TTFontFile(str(font.path), subfontIndex=font.subfont)
    expected = {
        code for code in face.charToGlyph if face.charWidths.get(code, face.defaultWidth) <= 1000
    }
    found = narrow_code_points(font)
    assert found is not None and found == expected


def test_a_font_this_reader_does_not_take_is_left_to_reportlab(tmp_path: Path) -> None:
    for font in FONTS:
        assert narrow_code_points(FontFile(font.path, 99)) is None
    not_a_font = tmp_path / "x.ttf"
    not_a_font.write_bytes(b"\0\1\0\0" + bytes(8))
    assert narrow_code_points(FontFile(not_a_font)) is None
