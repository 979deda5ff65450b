"""Graduation print pages read back with poppler: fonts, positions, offset, wording, no pictures."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.formats.grad_print import (
    NO_OFFSET,
    ClassLevel,
    Offset,
    PrintLayout,
    SchoolLevel,
    fill_ins,
    layout_for,
    placements,
    render_calibration,
    render_preview,
    render_print,
)
from tests.graduates import many_prints, sample_print

PT_PER_MM = 72 / 25.4


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


@dataclass(frozen=True)
class Word:
    """A word as pdftotext -bbox reports it, in points from the page's top-left corner."""

    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def words(pdf: bytes, tmp_path: Path) -> list[Word]:
    """Every word of every page, with its box."""
    path = tmp_path / f"read-{len(list(tmp_path.iterdir()))}.pdf"
    path.write_bytes(pdf)
    found = []
    for number, page in enumerate(_run("pdftotext", "-bbox", path, "-").split("<page ")[1:], 1):
        for x0, y0, x1, y1, text in _WORD.findall(page):
            found.append(Word(number, text, float(x0), float(y0), float(x1), float(y1)))
    return found


def _saved(pdf: bytes, tmp_path: Path, name: str = "print.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


@pytest.fixture(params=list(SchoolLevel), ids=lambda level: level.name.lower())
def layout(request: pytest.FixtureRequest) -> PrintLayout:
    return layout_for(request.param)


def test_every_font_is_embedded_on_print_and_calibration_pages(
    tmp_path: Path, layout: PrintLayout
) -> None:
    for pdf in (render_print([sample_print()], layout), render_calibration(layout)):
        rows = _run("pdffonts", _saved(pdf, tmp_path)).splitlines()[2:]
        assert rows
        for row in rows:
            assert row.split()[-5:-3] == ["yes", "yes"], row


def test_print_pages_hold_no_picture_of_the_blank(tmp_path: Path, layout: PrintLayout) -> None:
    for pdf in (render_print(many_prints(3), layout), render_calibration(layout)):
        assert _run("pdfimages", "-list", _saved(pdf, tmp_path)).splitlines()[2:] == []
        assert b"/Subtype /Image" not in pdf


def test_one_page_per_certificate_of_the_blank_size(tmp_path: Path, layout: PrintLayout) -> None:
    info = _run("pdfinfo", _saved(render_print(many_prints(5), layout), tmp_path))
    assert re.search(r"^Pages:\s+5$", info, re.M)
    width, height = map(float, re.findall(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)[0])
    assert width == pytest.approx(layout.width_mm * PT_PER_MM, abs=0.05)
    assert height == pytest.approx(layout.height_mm * PT_PER_MM, abs=0.05)


def test_each_fill_in_sits_on_its_blank(tmp_path: Path, layout: PrintLayout) -> None:
    cert = sample_print()
    texts = fill_ins(cert, layout)
    assert len(set(texts.values())) == len(texts), "sample fill-ins must be told apart by text"
    found = {w.text: w for w in words(render_print([cert], layout), tmp_path)}
    for blank in layout.fields:
        word = found[texts[blank.name]]
        centre_mm = (word.x_min + word.x_max) / 2 / PT_PER_MM
        assert centre_mm == pytest.approx(blank.x_mm + blank.width_mm / 2, abs=0.3), blank.name
        assert word.x_min / PT_PER_MM >= blank.x_mm - 0.05, blank.name
        assert word.x_max / PT_PER_MM <= blank.x_mm + blank.width_mm + 0.05, blank.name
        # level with the printed line: the baseline inside the glyph box, near its foot
        baseline = blank.y_mm * PT_PER_MM
        assert word.y_min < baseline < word.y_max, blank.name
        assert word.y_max - baseline < 0.35 * (word.y_max - word.y_min), blank.name


def test_offset_moves_every_field_by_the_calibrated_millimetres(
    tmp_path: Path, layout: PrintLayout
) -> None:
    cert = sample_print()
    offset = Offset(dx_mm=2.5, dy_mm=-1.5)
    plain = {w.text: w for w in words(render_print([cert], layout, NO_OFFSET), tmp_path)}
    moved = {w.text: w for w in words(render_print([cert], layout, offset), tmp_path)}
    assert plain.keys() == moved.keys()
    assert len(plain) == len(layout.fields)
    for text, before in plain.items():
        after = moved[text]
        assert after.x_min - before.x_min == pytest.approx(2.5 * PT_PER_MM, abs=0.02), text
        assert after.y_min - before.y_min == pytest.approx(-1.5 * PT_PER_MM, abs=0.02), text


def _page_text(pdf: bytes, tmp_path: Path) -> list[str]:
    return [w.text for w in words(pdf, tmp_path)]


def test_technical_school_senior_class_gets_the_suffix_after_the_major(tmp_path: Path) -> None:
    layout = layout_for(SchoolLevel.TECHNICAL_SCHOOL)
    senior = _page_text(render_print([sample_print(ClassLevel.SENIOR)], layout), tmp_path)
    assert "数控加工（高级工班）" in senior
    assert "数控加工" not in senior
    assert "高级工" not in senior


def test_technical_school_intermediate_class_has_no_class_words(tmp_path: Path) -> None:
    layout = layout_for(SchoolLevel.TECHNICAL_SCHOOL)
    assert "class_level" not in {f.name for f in layout.fields}
    text = _page_text(render_print([sample_print(ClassLevel.INTERMEDIATE)], layout), tmp_path)
    assert "数控加工" in text
    assert not [w for w in text if "班" in w or "中级" in w]


@pytest.mark.parametrize(
    "level", [SchoolLevel.TECHNICIAN_COLLEGE, SchoolLevel.SENIOR_TECHNICAL_SCHOOL]
)
def test_colleges_fill_the_class_blank_and_leave_the_major_alone(
    tmp_path: Path, level: SchoolLevel
) -> None:
    layout = layout_for(level)
    for class_level, words_before_ban in (
        (ClassLevel.PREPARATORY_TECHNICIAN, "预备技师"),
        (ClassLevel.SENIOR, "高级工"),
        (ClassLevel.INTERMEDIATE, "中级技工"),
    ):
        text = _page_text(render_print([sample_print(class_level)], layout), tmp_path)
        assert words_before_ban in text
        assert "数控加工" in text
        assert not [w for w in text if "（" in w]


def test_technical_school_refuses_a_preparatory_technician_and_prints_nothing() -> None:
    layout = layout_for(SchoolLevel.TECHNICAL_SCHOOL)
    batch = [sample_print(ClassLevel.SENIOR), sample_print(ClassLevel.PREPARATORY_TECHNICIAN)]
    with pytest.raises(Invalid) as refused:
        render_print(batch, layout)
    assert "预备技师班" in str(refused.value)
    assert "技工学校" in str(refused.value)


def test_long_major_shrinks_into_its_blank_and_too_long_is_refused(tmp_path: Path) -> None:
    layout = layout_for(SchoolLevel.TECHNICIAN_COLLEGE)
    blank = layout.field("major")
    long = replace(sample_print(), major="工业机器人应用与维护（智能制造方向）")
    (word,) = [w for w in words(render_print([long], layout), tmp_path) if w.text == long.major]
    assert (word.x_max - word.x_min) / PT_PER_MM <= blank.width_mm + 0.05
    assert word.y_max - word.y_min < layout.size
    with pytest.raises(Invalid, match="太长"):
        render_print([replace(long, major=long.major * 3)], layout)


def test_offset_beyond_twenty_millimetres_is_refused() -> None:
    with pytest.raises(Invalid, match="超出"):
        Offset(dx_mm=0.0, dy_mm=25.0)


def test_calibration_page_labels_every_field_at_its_offset_cross_hair(
    tmp_path: Path, layout: PrintLayout
) -> None:
    offset = Offset(dx_mm=1.5, dy_mm=-2.0)
    found = words(render_calibration(layout, offset), tmp_path)
    text = " ".join(w.text for w in found)
    assert "按 100% 打印，勿选择适合页面" in _run(
        "pdftotext", _saved(render_calibration(layout, offset), tmp_path), "-"
    )
    assert "+1.5" in text and "-2.0" in text
    for blank in layout.fields:
        coords = f"{blank.x_mm:g},{blank.y_mm:g}"
        (where,) = [w for w in found if w.text == coords]
        label = max(
            (w for w in found if abs(w.y_min - where.y_min) < 0.5 and w.x_max <= where.x_min),
            key=lambda w: w.x_max,
        )
        assert label.text == t(f"gradprint.field.{blank.name}")
        # the label starts just right of the cross-hair and sits within 4 mm of its line
        assert label.x_min / PT_PER_MM == pytest.approx(blank.x_mm + 1.5 + 1.2, abs=0.3)
        assert abs(label.y_max / PT_PER_MM - (blank.y_mm - 2.0)) < 4.5


def test_calibration_page_rulers_count_millimetres_across_the_page(
    tmp_path: Path, layout: PrintLayout
) -> None:
    found = words(render_calibration(layout), tmp_path)
    top = sorted(
        (w for w in found if w.y_max < 10 * PT_PER_MM and w.text.isdigit()), key=lambda w: w.x_min
    )
    assert [int(w.text) for w in top] == list(range(10, int(layout.width_mm) - 3, 10))
    for word in top:
        assert (word.x_min + word.x_max) / 2 / PT_PER_MM == pytest.approx(int(word.text), abs=0.2)


def _dark_box(
    image: Image.Image, box: tuple[int, int, int, int]
) -> tuple[int, int, int, int] | None:
    """Bounding box (page pixels) of dark pixels inside `box`."""
    region = image.crop(box).convert("L").point(lambda v: 255 if v < 110 else 0)
    found = region.getbbox()
    if found is None:
        return None
    return (found[0] + box[0], found[1] + box[1], found[2] + box[0], found[3] + box[1])


def test_preview_fill_ins_land_where_the_printer_puts_them(
    tmp_path: Path, layout: PrintLayout
) -> None:
    """The preview's ink (filled minus empty blank) matches the print page rasterised by poppler."""
    dpi = 100
    cert = sample_print()
    empty = Image.open(io.BytesIO(render_preview(None, layout, dpi))).convert("RGB")
    filled = Image.open(io.BytesIO(render_preview(cert, layout, dpi))).convert("RGB")
    assert (
        empty.size
        == filled.size
        == (round(layout.width_mm / 25.4 * dpi), round(layout.height_mm / 25.4 * dpi))
    )
    # the fill-ins are black, the blank's own printing is not: keep only what the filling added
    ink = ImageChops.invert(
        ImageChops.subtract(ImageChops.invert(filled), ImageChops.invert(empty))
    )
    pdf = _saved(render_print([cert], layout), tmp_path)
    _run("pdftoppm", "-r", str(dpi), "-png", "-singlefile", pdf, tmp_path / "printed")
    printed = Image.open(tmp_path / "printed.png").convert("RGB")
    assert abs(printed.width - ink.width) <= 1 and abs(printed.height - ink.height) <= 1
    px = dpi / 25.4
    for blank in layout.fields:
        box = (
            round((blank.x_mm - 2) * px),
            round((blank.y_mm - 6) * px),
            round((blank.x_mm + blank.width_mm + 2) * px),
            round((blank.y_mm + 0.8) * px),
        )
        expected, seen = _dark_box(printed, box), _dark_box(ink, box)
        assert expected is not None and seen is not None, blank.name
        for a, b in zip(expected, seen, strict=True):
            assert abs(a - b) <= 2, (blank.name, expected, seen)


def test_preview_draws_the_blank_underneath(layout: PrintLayout) -> None:
    """Where no fill-in goes, the filled preview is the empty blank, and the blank is drawn."""
    empty = Image.open(io.BytesIO(render_preview(None, layout))).convert("RGB")
    filled = Image.open(io.BytesIO(render_preview(sample_print(), layout))).convert("RGB")
    title_box = (0, 0, empty.width, round(45 / 25.4 * 100))
    assert ImageChops.difference(empty.crop(title_box), filled.crop(title_box)).getbbox() is None
    assert empty.crop(title_box).convert("L").getextrema()[0] < 150


def test_long_names_shrink_then_wrap_and_missing_glyphs_are_refused(tmp_path: Path) -> None:
    layout = layout_for(SchoolLevel.TECHNICIAN_COLLEGE)
    blank = layout.field("name")
    for name, lines in (("买买提·阿不都热合曼", 2), ("欧阳" * 8, 2), ("李娜", 1)):
        cert = replace(sample_print(), name=name)
        placed = [p for p in placements(cert, layout, Offset()) if p.field == "name"]
        assert len(placed) == lines and "".join(p.text for p in placed) == name
        assert all(p.size >= layout.min_size for p in placed)
        printed = [w for w in words(render_print([cert], layout), tmp_path) if w.text in name]
        assert "".join(w.text for w in printed) == name  # every character is on the page
        for word in printed:
            assert (word.x_max - word.x_min) / PT_PER_MM <= blank.width_mm + 0.05
    for name, missing in (("𠀀𪚥", "𠀀𪚥"), ("张😀", "😀")):
        with pytest.raises(Invalid) as refused:
            render_print([replace(sample_print(), name=name)], layout)
        assert refused.value.key == "gradprint.missing_glyph" and missing in str(refused.value)
