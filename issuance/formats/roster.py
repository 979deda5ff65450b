"""Graduate roster (毕业生花名册): the guide's 11 columns as an A4-landscape PDF and as XLSX.

The paper roster goes to the supervisory department under the school's seal and must match the
system, so it carries ID numbers in full; `mask_ids` masks them for anything shown in a chat. One
font size for the whole table, the largest within bounds at which the longest value of every column
fits; a value still too long wraps inside its cell, and a graduate's line is never split across
pages.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.idcard import mask
from issuance.formats.fonts import HEI_CANDIDATES, pdf_font, pick_font
from issuance.formats.tabular import write_table_bytes

COLUMNS = (
    "seq",
    "cert_no",
    "name",
    "id_number",
    "enrolled",
    "graduated",
    "class_level",
    "major",
    "schooling",
    "study_mode",
    "remark",
)

PAGE_W_MM, PAGE_H_MM = (side / mm for side in landscape(A4))
MARGIN_MM = 12.0
TABLE_TOP_MM = 27.0
TABLE_BOTTOM_MM = PAGE_H_MM - 14.0
HEADER_ROW_MM = 8.0
PAD_MM = 1.2
MAX_SIZE, MIN_SIZE = 10.5, 6.0
LEADING = 1.3
# widths are measured at 1 pt and scaled; the longest value must not wrap from rounding
_ROUNDING_PT = 0.01


@dataclass(frozen=True)
class RosterLine:
    """One graduate's line: the 10 columns after 序号, in the guide's order."""

    cert_no: str
    name: str
    id_number: str
    enrolled: date
    graduated: date
    class_level: str
    major: str
    schooling: str
    study_mode: str
    remark: str = ""


@dataclass(frozen=True)
class RosterHeading:
    """What the top of every page names: the school and the graduation term (e.g. 2024年6月)."""

    school: str
    term: str


def headers() -> list[str]:
    """The 11 column headers, in the guide's order."""
    return [t(f"roster.column.{key}") for key in COLUMNS]


def _month(day: date) -> str:
    """Year and month as the ministry software writes them (毕业时间 201506)."""
    return f"{day.year}{day.month:02d}"


def cells(lines: Sequence[RosterLine], mask_ids: bool = False) -> Iterator[list[str]]:
    """Each graduate's 11 cells as text, numbered from 1."""
    for seq, line in enumerate(lines, start=1):
        yield [
            str(seq),
            line.cert_no,
            line.name,
            mask(line.id_number) if mask_ids else line.id_number,
            _month(line.enrolled),
            _month(line.graduated),
            line.class_level,
            line.major,
            line.schooling,
            line.study_mode,
            line.remark,
        ]


def roster_xlsx(lines: Sequence[RosterLine], mask_ids: bool = False) -> bytes:
    """The roster as a spreadsheet: same columns, formula-safe, digits kept as text."""
    rows = ([int(row[0]), *row[1:]] for row in cells(lines, mask_ids))
    return write_table_bytes(headers(), rows, "xlsx")


# --- PDF ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """The measured table: font size, column widths (mm), and each line's wrapped cells."""

    size: float
    widths: tuple[float, ...]
    rows: tuple[tuple[tuple[str, ...], ...], ...]

    @property
    def leading_mm(self) -> float:
        return self.size * LEADING / 72 * 25.4

    def height_mm(self, row: tuple[tuple[str, ...], ...]) -> float:
        return max(len(cell) for cell in row) * self.leading_mm + 2 * PAD_MM


def _capped(widths: list[float], room: float) -> list[float]:
    """Widths with the widest cut down to one cap so they add up to `room` (water filling)."""
    ordered = sorted(widths)
    rest = room
    for index, width in enumerate(ordered):
        cap = rest / (len(ordered) - index)
        if width > cap:
            return [min(w, cap) for w in widths]
        rest -= width
    return widths


def _wrap(text: str, font: str, size: float, room_pt: float) -> tuple[str, ...]:
    """Lines of `text` broken between characters so each fits `room_pt`."""
    room_pt += _ROUNDING_PT
    if pdfmetrics.stringWidth(text, font, size) <= room_pt:
        return (text,)
    lines, current, used = [], "", 0.0
    for char in text:
        advance = pdfmetrics.stringWidth(char, font, size)
        if current and used + advance > room_pt:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += advance
    lines.append(current)
    return tuple(lines)


def _measure(texts: list[list[str]], font: str) -> _Table:
    """Pick the font size and column widths, and wrap what still does not fit."""
    room = PAGE_W_MM - 2 * MARGIN_MM
    unit = [pdfmetrics.stringWidth(h, font, 1) / mm for h in headers()]
    for row in texts:
        for index, text in enumerate(row):
            unit[index] = max(unit[index], pdfmetrics.stringWidth(text, font, 1) / mm)
    padding = 2 * PAD_MM * len(COLUMNS)
    size = min(MAX_SIZE, max(MIN_SIZE, (room - padding) / sum(unit)))
    natural = [u * size + 2 * PAD_MM for u in unit]
    total = sum(natural)
    # spread what is left over the columns, so the table spans the page
    widths = [w * room / total for w in natural] if total <= room else _capped(natural, room)
    rows = tuple(
        tuple(
            _wrap(text, font, size, (width - 2 * PAD_MM) * mm)
            for text, width in zip(row, widths, strict=True)
        )
        for row in texts
    )
    return _Table(size, tuple(widths), rows)


def _pages(table: _Table, lines: Sequence[RosterLine]) -> list[list[int]]:
    """Row indexes per page; a row goes whole onto the next page when it does not fit."""
    room = TABLE_BOTTOM_MM - TABLE_TOP_MM - HEADER_ROW_MM
    pages: list[list[int]] = [[]]
    used = 0.0
    for index, row in enumerate(table.rows):
        height = table.height_mm(row)
        if height > room:
            raise Invalid("roster.line_too_tall", seq=index + 1, name=lines[index].name)
        if used + height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(index)
        used += height
    return pages


def render_roster(
    heading: RosterHeading, lines: Sequence[RosterLine], mask_ids: bool = False
) -> bytes:
    """The roster as an A4-landscape PDF: header and page number on every page."""
    if not lines:
        raise Invalid("roster.empty")
    font = pdf_font(pick_font(HEI_CANDIDATES))
    table = _measure(list(cells(lines, mask_ids)), font)
    pages = _pages(table, lines)
    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=landscape(A4),
        invariant=True,
        pageCompression=True,
        initialFontName=font,
        initialFontSize=table.size,
    )
    canvas.setTitle(t("roster.document_title", school=heading.school, term=heading.term))
    for number, indexes in enumerate(pages, start=1):
        _draw_page(canvas, font, table, heading, indexes, number, len(pages))
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_page(
    canvas: Canvas,
    font: str,
    table: _Table,
    heading: RosterHeading,
    indexes: list[int],
    number: int,
    count: int,
) -> None:
    def y_pt(y_mm: float) -> float:
        return (PAGE_H_MM - y_mm) * mm

    middle = PAGE_W_MM / 2 * mm
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(font, 16)
    canvas.drawCentredString(middle, y_pt(14), t("roster.title"))
    canvas.setFont(font, 10)
    canvas.drawString(
        MARGIN_MM * mm,
        y_pt(22.5),
        t("roster.subtitle", school=heading.school, term=heading.term),
    )
    page_label = t("roster.page", page=number, pages=count)
    canvas.drawRightString((PAGE_W_MM - MARGIN_MM) * mm, y_pt(22.5), page_label)
    canvas.setFont(font, 9)
    canvas.drawCentredString(middle, y_pt(PAGE_H_MM - 7), page_label)

    lefts = [MARGIN_MM]
    for width in table.widths:
        lefts.append(lefts[-1] + width)
    canvas.setFont(font, table.size)
    header_base = TABLE_TOP_MM + HEADER_ROW_MM / 2 + table.size * 0.35 / 72 * 25.4
    for title, left, width in zip(headers(), lefts, table.widths, strict=False):
        canvas.drawCentredString((left + width / 2) * mm, y_pt(header_base), title)
    bottoms = [TABLE_TOP_MM, TABLE_TOP_MM + HEADER_ROW_MM]
    ascent = table.size * 0.86 / 72 * 25.4
    for index in indexes:
        row = table.rows[index]
        top = bottoms[-1]
        for cell, left, width in zip(row, lefts, table.widths, strict=False):
            for k, text in enumerate(cell):
                baseline = y_pt(top + PAD_MM + ascent + k * table.leading_mm)
                if len(cell) == 1:
                    canvas.drawCentredString((left + width / 2) * mm, baseline, text)
                else:
                    canvas.drawString((left + PAD_MM) * mm, baseline, text)
        bottoms.append(top + table.height_mm(row))
    canvas.setLineWidth(0.4)
    for y in bottoms:
        canvas.line(lefts[0] * mm, y_pt(y), lefts[-1] * mm, y_pt(y))
    for x in lefts:
        canvas.line(x * mm, y_pt(bottoms[0]), x * mm, y_pt(bottoms[-1]))
