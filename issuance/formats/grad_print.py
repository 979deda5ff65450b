"""Graduation certificates printed onto pre-printed blanks (毕业证打印): fill-in text only.

The province hands out printed blanks of three kinds (技师学院, 高级技工学校, 技工学校); the
school prints only the words that fill the blanks, in a Hei face, one page per certificate. Where
each blank sits is a TOML layout in `config/graduation/`; a printer's own shift is
corrected by an `Offset` found with the calibration page. Everything here is pure: values in,
PDF or PNG bytes out.
"""

from __future__ import annotations

import io
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuance.config import CONFIG_DIR
from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.vocabulary import ClassLevel, SchoolLevel
from issuance.formats.certificate import FontFile
from issuance.formats.fonts import (
    font_files,
    missing_glyphs,
    pdf_font,
    pick_font,
    pil_font,
    width_mm,
)

LAYOUT_FOLDER = CONFIG_DIR / "graduation"
# A printer that is off by more than this is fed wrongly, not in need of calibration.
OFFSET_LIMIT_MM = 20.0
SEXES = ("男", "女")


LAYOUT_FILES = {
    SchoolLevel.TECHNICIAN_COLLEGE: "technician_college.toml",
    SchoolLevel.SENIOR_TECHNICAL_SCHOOL: "senior_technical_school.toml",
    SchoolLevel.TECHNICAL_SCHOOL: "technical_school.toml",
}

COMMON_FIELDS = (
    "cert_no",
    "school",
    "issue_year",
    "issue_month",
    "issue_day",
    "name",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "enrol_year",
    "enrol_month",
    "grad_year",
    "grad_month",
    "major",
    "study_years",
)
CLASS_FIELD = "class_level"


@dataclass(frozen=True)
class GraduationPrint:
    """What one graduation certificate fills in on its blank (毕业证书填写内容).

    `enrolled` and `graduated` print as year and month only; `study_years` is the 学制 number
    as stored ("3", "2.5"); `class_level` in the stored words (预备技师班, 高级工班, 中级工班).
    """

    cert_no: str
    name: str
    sex: str
    birth_date: date
    enrolled: date
    graduated: date
    class_level: ClassLevel
    major: str
    study_years: str
    school_name: str
    issued_on: date


@dataclass(frozen=True)
class Offset:
    """A printer's calibration (打印偏移): millimetres added to every field, right and down."""

    dx_mm: float = 0.0
    dy_mm: float = 0.0

    def __post_init__(self) -> None:
        # not (a <= limit) also refuses nan, which every comparison answers False
        if not (abs(self.dx_mm) <= OFFSET_LIMIT_MM and abs(self.dy_mm) <= OFFSET_LIMIT_MM):
            raise Invalid(
                "gradprint.offset_too_large", dx=self.dx_mm, dy=self.dy_mm, limit=OFFSET_LIMIT_MM
            )


NO_OFFSET = Offset()


@dataclass(frozen=True)
class Field:
    """A blank on the pre-printed page: left end and length of its line, and its baseline."""

    name: str
    x_mm: float
    y_mm: float
    width_mm: float


@dataclass(frozen=True)
class Word:
    """Text printed on the blank itself, drawn on previews only; `x_mm` is its left end."""

    text: str
    x_mm: float
    y_mm: float
    size: float


@dataclass(frozen=True)
class PrintLayout:
    """One kind of blank: page size, font, fill-in blanks and the blank's own printing."""

    school_level: SchoolLevel
    width_mm: float
    height_mm: float
    font: FontFile
    size: float
    min_size: float
    fields: tuple[Field, ...]
    # class level -> words before the printed 班; empty on a blank without a 班 blank
    class_words: tuple[tuple[ClassLevel, str], ...]
    # class level -> words after the major; on a blank without a 班 blank
    major_suffix: tuple[tuple[ClassLevel, str], ...]
    title: Word  # centred on its x_mm
    photo: tuple[float, float, float, float]
    words: tuple[Word, ...]

    def field(self, name: str) -> Field:
        """The blank named `name`."""
        return next(f for f in self.fields if f.name == name)

    def class_levels(self) -> tuple[ClassLevel, ...]:
        """The class levels a certificate on this blank may have."""
        return tuple(level for level, _ in self.class_words or self.major_suffix)


def load_layout(path: Path) -> PrintLayout:
    """Read a blank's layout from TOML and check that it has exactly the blanks it needs."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    level = SchoolLevel(data["school_level"])
    class_words = tuple((ClassLevel(k), str(v)) for k, v in data.get("class_words", {}).items())
    major_suffix = tuple((ClassLevel(k), str(v)) for k, v in data.get("major_suffix", {}).items())
    if bool(class_words) == bool(major_suffix):
        raise ValueError(f"{path}: give either [class_words] (a 班 blank) or [major_suffix]")
    fields = tuple(
        Field(name, float(spec["x_mm"]), float(spec["y_mm"]), float(spec["width_mm"]))
        for name, spec in data["fields"].items()
    )
    wanted = set(COMMON_FIELDS) | ({CLASS_FIELD} if class_words else set())
    names = {f.name for f in fields}
    if names != wanted:
        raise ValueError(
            f"{path}: fields missing {sorted(wanted - names)}, unknown {sorted(names - wanted)}"
        )
    blank = data["blank"]
    photo = blank["photo"]
    return PrintLayout(
        school_level=level,
        width_mm=float(data["page"]["width_mm"]),
        height_mm=float(data["page"]["height_mm"]),
        font=pick_font(font_files(data["font"]["candidates"])),
        size=float(data["font"]["size"]),
        min_size=float(data["font"]["min_size"]),
        fields=fields,
        class_words=class_words,
        major_suffix=major_suffix,
        title=_word(blank["title"]),
        photo=(
            float(photo["x_mm"]),
            float(photo["y_mm"]),
            float(photo["width_mm"]),
            float(photo["height_mm"]),
        ),
        words=tuple(_word(w) for w in blank["words"]),
    )


def _word(spec: dict[str, object]) -> Word:
    return Word(
        str(spec["text"]),
        float(str(spec["x_mm"])),
        float(str(spec["y_mm"])),
        float(str(spec["size"])),
    )


def layout_for(level: SchoolLevel, folder: Path = LAYOUT_FOLDER) -> PrintLayout:
    """The layout of the blank a school of `level` prints on."""
    return load_layout(folder / LAYOUT_FILES[level])


def fill_ins(cert: GraduationPrint, layout: PrintLayout) -> dict[str, str]:
    """Field name -> the words printed into that blank, by the guide's rules for this layout."""
    if cert.class_level not in layout.class_levels():
        raise Invalid(
            "gradprint.class_level_not_on_layout",
            layout=layout.school_level.value,
            class_level=cert.class_level.value,
            cert_no=cert.cert_no,
        )
    if cert.sex not in SEXES:
        raise Invalid("gradprint.sex", cert_no=cert.cert_no, sex=cert.sex)
    texts = {
        "cert_no": cert.cert_no,
        "school": cert.school_name,
        "issue_year": str(cert.issued_on.year),
        "issue_month": str(cert.issued_on.month),
        "issue_day": str(cert.issued_on.day),
        "name": cert.name,
        "sex": cert.sex,
        "birth_year": str(cert.birth_date.year),
        "birth_month": str(cert.birth_date.month),
        "birth_day": str(cert.birth_date.day),
        "enrol_year": str(cert.enrolled.year),
        "enrol_month": str(cert.enrolled.month),
        "grad_year": str(cert.graduated.year),
        "grad_month": str(cert.graduated.month),
        # the guide: a 技工学校 高级工班 is told apart by （高级工班） after the major
        "major": cert.major + dict(layout.major_suffix).get(cert.class_level, ""),
        "study_years": cert.study_years,
    }
    if layout.class_words:
        texts[CLASS_FIELD] = dict(layout.class_words)[cert.class_level]
    return texts


@dataclass(frozen=True)
class Placement:
    """Where one fill-in lands: left end of the text, baseline, size in points."""

    field: str
    text: str
    x_mm: float
    y_mm: float
    size: float


def placements(cert: GraduationPrint, layout: PrintLayout, offset: Offset) -> list[Placement]:
    """Every fill-in centred on its blank, shrunk to fit (then on two lines), moved by the
    printer's offset; a fill-in that still does not fit, or has a character the font lacks, is
    refused (nothing is ever dropped silently)."""
    texts = fill_ins(cert, layout)
    found = []
    for blank in layout.fields:
        text = texts[blank.name]
        try:
            lines, size = fitted(text, blank, layout)
        except Invalid as why:
            field = t(f"gradprint.field.{blank.name}")
            raise Invalid(why.key, cert_no=cert.cert_no, field=field, **why.params) from None
        # two lines share the blank: the first above the baseline, the second on it
        step = size * 1.15 * 25.4 / 72
        for index, line in enumerate(lines):
            width = width_mm(line, layout.font, size)
            x = blank.x_mm + (blank.width_mm - width) / 2 + offset.dx_mm
            y = blank.y_mm - step * (len(lines) - 1 - index) + offset.dy_mm
            found.append(Placement(blank.name, line, x, y, size))
    return found


def fitted(text: str, blank: Field, layout: PrintLayout) -> tuple[list[str], float]:
    """The lines and size `text` prints at in `blank`: one line shrunk down to the smallest
    size, else two; Invalid (gradprint.too_long or gradprint.missing_glyph) if neither."""
    missing = missing_glyphs(text, layout.font)
    if missing:
        raise Invalid("gradprint.missing_glyph", text=text, chars=missing)
    for lines in ([text], _halves(text)):
        widest = max(width_mm(line, layout.font, layout.size) for line in lines)
        size = layout.size * min(1.0, blank.width_mm / widest) if widest else layout.size
        if size >= layout.min_size - 1e-9:
            return lines, size
    raise Invalid("gradprint.too_long", text=text)


def _halves(text: str) -> list[str]:
    """`text` as two lines: after a middle dot (维吾尔族 names) nearest the middle, else halved."""
    dots = [i + 1 for i, c in enumerate(text) if c in "·•・."]
    cut = min(dots, key=lambda i: abs(i - len(text) / 2)) if dots else (len(text) + 1) // 2
    return [text[:cut], text[cut:]]


# --- PDF: the pages that go through the printer ------------------------------------------------


def _canvas(out: io.BytesIO, layout: PrintLayout, title: str) -> Canvas:
    canvas = Canvas(
        out,
        pagesize=(layout.width_mm * mm, layout.height_mm * mm),
        invariant=True,
        pageCompression=True,
        initialFontName=pdf_font(layout.font),
        initialFontSize=layout.size,
    )
    canvas.setTitle(title)
    return canvas


def render_print(
    certificates: Sequence[GraduationPrint], layout: PrintLayout, offset: Offset = NO_OFFSET
) -> bytes:
    """A PDF with one page per certificate: the fill-in text only, no picture of the blank."""
    if not certificates:
        raise Invalid("gradprint.no_certificates")
    # check every certificate before drawing any, so a bad one stops the batch, not page 37
    pages = [placements(cert, layout, offset) for cert in certificates]
    out = io.BytesIO()
    title = t("gradprint.document_title", layout=layout.school_level.value, count=len(certificates))
    canvas = _canvas(out, layout, title)
    font = pdf_font(layout.font)
    for page in pages:
        canvas.setFillColorRGB(0, 0, 0)
        for item in page:
            canvas.setFont(font, item.size)
            canvas.drawString(item.x_mm * mm, (layout.height_mm - item.y_mm) * mm, item.text)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- the calibration page ----------------------------------------------------------------------

_RULER_MM = 9.0
_CROSS_MM = 4.0
_LABEL_SIZE = 5.0


def _ruler_ticks(length_mm: float) -> Iterator[tuple[int, float]]:
    """(mm, tick length): 1 mm ticks, longer every 5 and 10 mm."""
    for at in range(int(length_mm) + 1):
        yield at, 5.0 if at % 10 == 0 else 3.5 if at % 5 == 0 else 2.0


@dataclass
class _Pen:
    """Draws on a calibration page in mm from the top-left corner, as the layouts measure."""

    canvas: Canvas
    font: str
    height: float

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.canvas.line(x0 * mm, (self.height - y0) * mm, x1 * mm, (self.height - y1) * mm)

    def text(self, x: float, y: float, size: float, words: str, centred: bool = False) -> None:
        self.canvas.setFont(self.font, size)
        draw = self.canvas.drawCentredString if centred else self.canvas.drawString
        draw(x * mm, (self.height - y) * mm, words)


def render_calibration(layout: PrintLayout, offset: Offset = NO_OFFSET) -> bytes:
    """The test page: mm rulers, a cross-hair and label at every blank (offset applied), notes."""
    out = io.BytesIO()
    canvas = _canvas(
        out, layout, t("gradprint.calibration.title", layout=layout.school_level.value)
    )
    pen = _Pen(canvas, pdf_font(layout.font), layout.height_mm)
    _draw_rulers(pen, layout)
    _draw_blanks(pen, layout, offset)
    _draw_notes(pen, layout, offset)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_rulers(pen: _Pen, layout: PrintLayout) -> None:
    """The mm rulers along the top and left edges."""
    canvas, height, line, text = pen.canvas, pen.height, pen.line, pen.text
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setFillColorRGB(0, 0, 0)
    # the rulers are the printer's own frame, so they are drawn without the offset
    canvas.setLineWidth(0.25)
    for at, tick in _ruler_ticks(layout.width_mm):
        line(at, 0, at, tick)
        if at % 10 == 0 and 0 < at < layout.width_mm - 3:
            text(at, tick + 2.2, 5, str(at), centred=True)
    for at, tick in _ruler_ticks(height):
        line(0, at, tick, at)
        if at % 10 == 0 and 0 < at < height - 3:
            text(tick + 0.8, at + 0.9, 5, str(at))


def _draw_blanks(pen: _Pen, layout: PrintLayout, offset: Offset) -> None:
    """A cross-hair, a dotted line and a label at every blank, the offset applied."""
    canvas, height, line, text = pen.canvas, pen.height, pen.line, pen.text
    canvas.setLineWidth(0.3)
    by_line: dict[float, int] = {}
    for blank in layout.fields:
        x, y = blank.x_mm + offset.dx_mm, blank.y_mm + offset.dy_mm
        line(x - _CROSS_MM, y, x + _CROSS_MM, y)
        line(x, y - _CROSS_MM, x, y + _CROSS_MM)
        canvas.circle(x * mm, (height - y) * mm, 1.2 * mm)
        canvas.setDash(1, 2)
        line(x, y, x + blank.width_mm, y)
        canvas.setDash()
        # neighbours on one line alternate above and below, so short blanks keep their labels apart
        index = by_line.get(blank.y_mm, 0)
        by_line[blank.y_mm] = index + 1
        label_y = y - 1.6 if index % 2 == 0 else y + 3.6
        label = f"{t(f'gradprint.field.{blank.name}')} {blank.x_mm:g},{blank.y_mm:g}"
        text(x + 1.2, label_y, _LABEL_SIZE, label)


def _draw_notes(pen: _Pen, layout: PrintLayout, offset: Offset) -> None:
    """The title, the note, the offset in use and a 100 mm bar to measure the scale."""
    canvas, height, line, text = pen.canvas, pen.height, pen.line, pen.text
    middle = layout.width_mm / 2
    text(middle, 24, 11, t("gradprint.calibration.title", layout=layout.school_level.value), True)
    text(middle, height - 30, 14, t("gradprint.calibration.note"), True)
    dx, dy = f"{offset.dx_mm:+.1f}", f"{offset.dy_mm:+.1f}"
    text(middle, height - 23, 8, t("gradprint.calibration.offset", dx=dx, dy=dy), True)
    text(middle, height - 17.5, 7, t("gradprint.calibration.howto"), True)
    canvas.setLineWidth(0.4)
    bar_x, bar_y = _RULER_MM + 16, height - 9
    line(bar_x, bar_y, bar_x + 100, bar_y)
    line(bar_x, bar_y - 2, bar_x, bar_y + 2)
    line(bar_x + 100, bar_y - 2, bar_x + 100, bar_y + 2)
    text(bar_x + 102, bar_y + 1, 6, t("gradprint.calibration.hundred"))


# --- PNG preview: the filled page over a drawing of the blank ----------------------------------

_PAPER = (251, 247, 236)
_PRINTED = (120, 40, 32)
_TITLE = (170, 32, 32)
_FOLD = (205, 196, 180)
_FILL = (0, 0, 0)
_SUPERSAMPLE = 2


def render_preview(cert: GraduationPrint | None, layout: PrintLayout, dpi: int = 100) -> bytes:
    """A PNG of the blank as printed by the province, filled in with `cert` (None: left empty).

    The fill-ins sit where the layout puts them, without the printer's offset: the picture shows
    the page as it should come out of a calibrated printer, for the 经办人 to check the words.
    """
    scale = dpi / 25.4 * _SUPERSAMPLE
    final = (round(layout.width_mm * dpi / 25.4), round(layout.height_mm * dpi / 25.4))
    size = (final[0] * _SUPERSAMPLE, final[1] * _SUPERSAMPLE)
    page = Image.new("RGB", size, _PAPER)
    draw = ImageDraw.Draw(page)

    def px(value_mm: float) -> float:
        return value_mm * scale

    for inset, width in ((4.0, 0.8), (5.5, 0.3)):
        draw.rectangle(
            (px(inset), px(inset), px(layout.width_mm - inset), px(layout.height_mm - inset)),
            outline=_TITLE,
            width=max(1, round(px(width))),
        )
    middle = layout.width_mm / 2
    for dash in range(8, int(layout.height_mm) - 8, 4):
        draw.line(
            (px(middle), px(dash), px(middle), px(dash + 2)),
            fill=_FOLD,
            width=max(1, round(px(0.3))),
        )
    x, y, w, h = layout.photo
    draw.rectangle(
        (px(x), px(y), px(x + w), px(y + h)), outline=_PRINTED, width=max(1, round(px(0.3)))
    )
    _pil_text(
        draw,
        layout.font,
        Word(t("gradprint.blank.photo"), x + w / 2, y + h / 2 + 2, 10),
        scale,
        _PRINTED,
        "ms",
    )
    _pil_text(draw, layout.font, layout.title, scale, _TITLE, "ms")
    for word in layout.words:
        _pil_text(draw, layout.font, word, scale, _PRINTED, "ls")
    for blank in layout.fields:
        underline = px(blank.y_mm + 1.2)
        draw.line(
            (px(blank.x_mm), underline, px(blank.x_mm + blank.width_mm), underline),
            fill=_PRINTED,
            width=max(1, round(px(0.25))),
        )
    if cert is not None:
        for item in placements(cert, layout, NO_OFFSET):
            word = Word(item.text, item.x_mm, item.y_mm, item.size)
            _pil_text(draw, layout.font, word, scale, _FILL, "ls")
    out = io.BytesIO()
    page.resize(final, Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()


def _pil_text(
    draw: ImageDraw.ImageDraw,
    font: FontFile,
    word: Word,
    scale: float,
    color: tuple[int, int, int],
    anchor: str,
) -> None:
    size_px = max(1, round(word.size / 72 * 25.4 * scale))
    draw.text(
        (word.x_mm * scale, word.y_mm * scale),
        word.text,
        fill=color,
        font=pil_font(font, size_px),
        anchor=anchor,
    )
