"""Electronic certificate (电子证书): one layout, drawn to PDF with reportlab or to PNG with Pillow.

`render(cert, template)` is pure: the same certificate and template give the same bytes. Fonts,
the drawn border and decoded stamp images are cached at module level because building them is what
costs time; the per-certificate work is a few strings of text and one QR code.
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import tomllib
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import cache, lru_cache, partial
from itertools import groupby
from pathlib import Path
from typing import Literal
from weakref import WeakKeyDictionary

import segno
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFDocument,
    PDFName,
    PDFObjectReference,
    PDFStream,
)
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas

from issuance.config import CERTIFICATE_TEMPLATE
from issuance.core.catalog import t

DEFAULT_TEMPLATE = CERTIFICATE_TEMPLATE


@dataclass(frozen=True)
class CertificateView:
    """What a certificate prints; the ID number is printed in full."""

    cert_no: str
    student_name: str
    id_number: str
    program: str
    level: str
    issuer_name: str
    school_name: str
    issued_on: date
    verify_url: str
    school_stamp_png: bytes | None
    issuer_seal_png: bytes | None
    # The PDF's CreationDate; None: the issue day at midnight, Beijing time (deterministic).
    created_at: datetime | None = None


CREATOR = "Qianfa"
_BEIJING = timezone(timedelta(hours=8))


def pdf_date(moment: datetime) -> str:
    """A PDF date string (D:YYYYMMDDHHmmSS+HH'mm') for an aware or Beijing-time naive moment."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_BEIJING)
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{hours:02d}'{rest:02d}'"


FIELD_NAMES = (
    "student_name",
    "id_number",
    "program",
    "level",
    "cert_no",
    "issuer_name",
    "school_name",
    "issued_on",
)

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class FontFile:
    """A candidate font file; `subfont` indexes a TrueType collection (.ttc)."""

    path: Path
    subfont: int = 0


@dataclass(frozen=True)
class TextSpot:
    """A centred line of static text: baseline position, size and letter spacing."""

    x_mm: float
    y_mm: float
    size: float
    char_space_mm: float


@dataclass(frozen=True)
class Box:
    """A square place on the page (top-left corner, side) and the baseline of its caption."""

    x_mm: float
    y_mm: float
    size_mm: float
    caption_y_mm: float
    caption_size: float


@dataclass(frozen=True)
class Row:
    """One labelled line: which certificate field and the baseline it sits on."""

    name: str
    y_mm: float


@dataclass(frozen=True)
class Template:
    """A certificate layout loaded from TOML; `font` is the first candidate file that exists."""

    width_mm: float
    height_mm: float
    background: Path | None
    paper: RGB
    ink: RGB
    accent: RGB
    ornament: RGB
    font: FontFile
    title: TextSpot
    subtitle: TextSpot
    label_x_mm: float
    value_x_mm: float
    value_max_mm: float
    label_size: float
    value_size: float
    rows: tuple[Row, ...]
    qr: Box
    school_stamp: Box
    issuer_seal: Box


def _color(text: str) -> RGB:
    value = text.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _pick_font(candidates: list[dict[str, object]]) -> FontFile:
    tried = [FontFile(Path(str(c["path"])), int(str(c.get("subfont", 0)))) for c in candidates]
    for font in tried:
        if font.path.is_file():
            return font
    paths = ", ".join(str(f.path) for f in tried) or "(none listed)"
    raise FileNotFoundError(f"no certificate font found; tried: {paths}")


def load_template(path: Path) -> Template:
    """Read a certificate layout from a TOML file and pick its font."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    page, colors, flds = data["page"], data["colors"], data["fields"]
    rows = tuple(Row(r["name"], float(r["y_mm"])) for r in flds["rows"])
    unknown = [r.name for r in rows if r.name not in FIELD_NAMES]
    if unknown:
        raise ValueError(f"{path}: unknown certificate fields {unknown}; known: {FIELD_NAMES}")
    background = (path.parent / page["background"]).resolve() if page.get("background") else None
    if background is not None and not background.is_file():
        raise FileNotFoundError(f"{path}: background image {background} does not exist")
    return Template(
        width_mm=float(page["width_mm"]),
        height_mm=float(page["height_mm"]),
        background=background,
        paper=_color(colors["paper"]),
        ink=_color(colors["ink"]),
        accent=_color(colors["accent"]),
        ornament=_color(colors["ornament"]),
        font=_pick_font(data["font"]["candidates"]),
        title=TextSpot(**{k: float(v) for k, v in data["title"].items()}),
        subtitle=TextSpot(**{k: float(v) for k, v in data["subtitle"].items()}),
        label_x_mm=float(flds["label_x_mm"]),
        value_x_mm=float(flds["value_x_mm"]),
        value_max_mm=float(flds["value_max_mm"]),
        label_size=float(flds["label_size"]),
        value_size=float(flds["value_size"]),
        rows=rows,
        qr=Box(**{k: float(v) for k, v in data["qr"].items()}),
        school_stamp=Box(**{k: float(v) for k, v in data["school_stamp"].items()}),
        issuer_seal=Box(**{k: float(v) for k, v in data["issuer_seal"].items()}),
    )


# --- layout: what goes where, shared by the PDF and PNG backends -------------------------------


@dataclass(frozen=True)
class _Text:
    x_mm: float
    y_mm: float
    size: float
    text: str
    color: RGB
    centred: bool = False
    char_space_mm: float = 0.0
    # The same on every certificate of the template (titles, labels, captions).
    fixed: bool = False


@dataclass(frozen=True)
class _Line:
    """A polyline in mm; closed lines are filled when `fill` is set, else stroked."""

    points: tuple[tuple[float, float], ...]
    color: RGB
    width_pt: float
    closed: bool = False
    fill: bool = False


@dataclass(frozen=True)
class _Fonts:
    """The template's font registered under two names sharing one parsed file.

    `fixed` prints the titles, labels and captions: the same characters on every certificate, so
    its subset is the same too and is built and compressed once (`_subset_file`). `varying`
    prints the values, whose subset changes with each certificate and stays small.
    """

    fixed: str
    varying: str


@cache
def _fonts(font: FontFile) -> _Fonts:
    """Register the font once per process: parsing a CJK TrueType file is slow."""
    name = f"QianfaCJK-{font.path.stem}-{font.subfont}"
    # Not ASCII-readable: a subset holds only the characters printed, not all of ASCII too.
    varying = TTFont(name, str(font.path), subfontIndex=font.subfont, asciiReadable=False)
    # A shallow copy shares the parsed tables; its own name keeps the two subsets apart.
    fixed = copy.copy(varying)
    fixed.fontName = f"{name}-fixed"
    fixed.state = WeakKeyDictionary()
    fixed.face = copy.copy(varying.face)
    fixed.face.name = varying.face.name + b"-Fixed"
    for ttf in (varying, fixed):
        ttf.face.addSubsetObjects = partial(_add_subset_objects, ttf.face)
        pdfmetrics.registerFont(ttf)
    return _Fonts(fixed=fixed.fontName, varying=varying.fontName)


@lru_cache(maxsize=64)
def _subset_file(face: TTFontFace, subset: tuple[int, ...]) -> tuple[int, bytes]:
    """The embedded font file for these characters, compressed: its length and its bytes."""
    data = TTFontFace.makeSubset(face, list(subset))
    return len(data), zlib.compress(data, 6)


def _add_subset_objects(
    face: TTFontFace, doc: PDFDocument, fontname: str, subset: list[int]
) -> PDFObjectReference:
    """reportlab's `TTFontFace.addSubsetObjects`, with the font file built and compressed once
    per set of characters (the fixed font's set is the same on every certificate)."""
    length, data = _subset_file(face, tuple(subset))
    font_file = PDFStream(
        PDFDictionary({"Length1": length, "Filter": PDFName("FlateDecode")}), data
    )
    descriptor = PDFDictionary(
        {
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
            "FontBBox": PDFArray(face.bbox),
            "FontName": PDFName(fontname),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": doc.Reference(font_file, f"fontFile:{face.filename}({fontname})"),
            "MissingWidth": face.defaultWidth,
        }
    )
    return doc.Reference(descriptor, "fontDescriptor:" + fontname)


def _font_name(font: FontFile) -> str:
    return _fonts(font).varying


def text_width_mm(text: str, size: float, template: Template) -> float:
    """Printed width of `text` at `size` points in the template's font."""
    return pdfmetrics.stringWidth(text, _font_name(template.font), size) / mm


def _field_text(cert: CertificateView, name: str) -> str:
    value = getattr(cert, name)
    if isinstance(value, date):
        return t("certificate.date", year=value.year, month=value.month, day=value.day)
    return str(value)


def _caption(box: Box, key: str, color: RGB) -> _Text:
    return _Text(
        box.x_mm + box.size_mm / 2,
        box.caption_y_mm,
        box.caption_size,
        t(key),
        color,
        centred=True,
        fixed=True,
    )


def _texts(cert: CertificateView, template: Template) -> list[_Text]:
    """Every line of text on the page, values shrunk to fit their width."""
    tp = template
    items = [
        _Text(
            tp.title.x_mm,
            tp.title.y_mm,
            tp.title.size,
            t("certificate.title"),
            tp.accent,
            centred=True,
            char_space_mm=tp.title.char_space_mm,
            fixed=True,
        ),
        _Text(
            tp.subtitle.x_mm,
            tp.subtitle.y_mm,
            tp.subtitle.size,
            t("certificate.subtitle"),
            tp.accent,
            centred=True,
            char_space_mm=tp.subtitle.char_space_mm,
            fixed=True,
        ),
    ]
    for row in tp.rows:
        value = _field_text(cert, row.name)
        size = tp.value_size
        width = text_width_mm(value, size, tp)
        if width > tp.value_max_mm:
            size *= tp.value_max_mm / width
        items.append(
            _Text(
                tp.label_x_mm,
                row.y_mm,
                tp.label_size,
                t(f"certificate.label.{row.name}"),
                tp.accent,
                fixed=True,
            )
        )
        items.append(_Text(tp.value_x_mm, row.y_mm, size, value, tp.ink))
    items.append(_caption(tp.qr, "certificate.qr_caption", tp.ink))
    items.append(_caption(tp.school_stamp, "certificate.school_stamp", tp.ink))
    items.append(_caption(tp.issuer_seal, "certificate.issuer_seal", tp.ink))
    return items


def _mix(a: RGB, b: RGB, share_of_b: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * share_of_b),
        round(a[1] + (b[1] - a[1]) * share_of_b),
        round(a[2] + (b[2] - a[2]) * share_of_b),
    )


def _wave(
    start: tuple[float, float],
    end: tuple[float, float],
    amplitude: float,
    period: float,
    phase: float,
) -> tuple[tuple[float, float], ...]:
    """A sine wave from `start` to `end` with a whole number of periods, so corners meet."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    periods = max(1, round(length / period))
    steps = periods * 12
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    points = []
    for i in range(steps + 1):
        f = i / steps
        off = amplitude * math.sin(2 * math.pi * periods * f + phase)
        points.append((x0 + (x1 - x0) * f + nx * off, y0 + (y1 - y0) * f + ny * off))
    return tuple(points)


def _rosette(
    cx: float, cy: float, radius: float, depth: float, lobes: int, phase: float, steps: int
) -> tuple[tuple[float, float], ...]:
    return tuple(
        (cx + r * math.cos(a), cy + r * math.sin(a))
        for a in (2 * math.pi * i / steps for i in range(steps))
        for r in (radius + depth * math.cos(lobes * a + phase),)
    )


@cache
def _border(template: Template) -> tuple[_Line, ...]:
    """The drawn paper, frame, guilloché band and watermark rosette; computed once per template."""
    tp = template
    w, h = tp.width_mm, tp.height_mm
    pale = _mix(tp.paper, tp.ornament, 0.22)

    def rect(inset: float) -> tuple[tuple[float, float], ...]:
        return ((inset, inset), (w - inset, inset), (w - inset, h - inset), (inset, h - inset))

    lines = [_Line(rect(0), tp.paper, 0, closed=True, fill=True)]
    if tp.background is None:
        lines.append(_Line(rect(8.0), tp.accent, 2.2, closed=True))
        lines.append(_Line(rect(9.4), tp.ornament, 0.6, closed=True))
        lines.append(_Line(rect(15.6), tp.ornament, 0.6, closed=True))
        lines.append(_Line(rect(16.6), tp.accent, 0.9, closed=True))
        band = 12.5
        corners = rect(band)
        for i, start in enumerate(corners):
            end = corners[(i + 1) % 4]
            for phase in (0.0, math.pi):
                lines.append(_Line(_wave(start, end, 1.6, 5.0, phase), tp.ornament, 0.45))
        for cx, cy in corners:
            lines.append(_Line(_rosette(cx, cy, 2.6, 0.9, 8, 0, 96), tp.paper, 0, True, True))
            for phase in (0.0, math.pi / 8):
                lines.append(_Line(_rosette(cx, cy, 2.6, 0.9, 8, phase, 96), tp.accent, 0.5, True))
        cx, cy = w / 2, h / 2 + 8
        for k in range(5):
            rosette = _rosette(cx, cy, 44 - 5 * k, 4.0, 18, k * 0.6, 360)
            lines.append(_Line(rosette, pale, 0.5, closed=True))
    return tuple(lines)


# --- PDF backend -------------------------------------------------------------------------------


def _rg(color: RGB, op: str) -> str:
    return f"{color[0] / 255:.3f} {color[1] / 255:.3f} {color[2] / 255:.3f} {op}"


@cache
def _border_stream(template: Template) -> bytes:
    """The border as compressed PDF path operators, built once per template."""
    height = template.height_mm
    ops = ["q", "1 J 1 j"]
    for line in _border(template):
        coords = [f"{x * mm:.2f} {(height - y) * mm:.2f}" for x, y in line.points]
        path = f"{coords[0]} m " + " ".join(f"{c} l" for c in coords[1:])
        if line.fill:
            ops.append(f"{_rg(line.color, 'rg')} {path} h f")
        else:
            close = " h" if line.closed else ""
            ops.append(f"{_rg(line.color, 'RG')} {line.width_pt} w {path}{close} S")
    ops.append("Q")
    return zlib.compress("\n".join(ops).encode("ascii"), 9)


_BORDER_FORM = "QianfaBorder"


def _place_stream(canvas: Canvas, name: str, entries: dict[str, object], data: bytes) -> None:
    """Add a ready-compressed XObject to this document and draw it in the current space.

    reportlab compresses every stream anew for each document; the border and the stamps are the
    same on hundreds of certificates and would cost more than the rest of the page, so they are
    compressed once and handed over as they are. That needs the canvas's document (`_doc`); a
    fresh PDFStream per document because reportlab ties an object to the first document using it.
    """
    if not canvas.hasForm(name):
        stream = PDFStream(PDFDictionary({**entries, "Filter": PDFName("FlateDecode")}), data)
        canvas._doc.addForm(name, stream)
    canvas.doForm(name)


def _draw_border(canvas: Canvas, template: Template) -> None:
    width, height = template.width_mm * mm, template.height_mm * mm
    entries = {
        "Type": PDFName("XObject"),
        "Subtype": PDFName("Form"),
        "BBox": PDFArray([0, 0, width, height]),
    }
    _place_stream(canvas, _BORDER_FORM, entries, _border_stream(template))


@dataclass(frozen=True)
class _Raster:
    """A PNG decoded and compressed into PDF image streams: colour and soft mask (alpha)."""

    name: str
    width: int
    height: int
    rgb: bytes
    alpha: bytes


@lru_cache(maxsize=64)
def _raster(png: bytes) -> _Raster:
    """Decode a stamp once: the same school stamp is printed on hundreds of certificates."""
    with Image.open(io.BytesIO(png)) as source:
        image = source.convert("RGBA")
    return _Raster(
        name="QianfaImg" + hashlib.sha256(png).hexdigest()[:20],
        width=image.width,
        height=image.height,
        rgb=zlib.compress(image.convert("RGB").tobytes(), 6),
        alpha=zlib.compress(image.getchannel("A").tobytes(), 6),
    )


def _draw_picture(canvas: Canvas, png: bytes | None, box: Box, height_mm: float) -> None:
    if png is None:
        return
    raster = _raster(png)
    image = {
        "Type": PDFName("XObject"),
        "Subtype": PDFName("Image"),
        "Width": raster.width,
        "Height": raster.height,
        "BitsPerComponent": 8,
    }
    if not canvas.hasForm(raster.name):
        mask = PDFStream(
            PDFDictionary(
                {**image, "ColorSpace": PDFName("DeviceGray"), "Filter": PDFName("FlateDecode")}
            ),
            raster.alpha,
        )
        image["SMask"] = canvas._doc.Reference(mask)
    side = box.size_mm * mm
    canvas.saveState()
    canvas.translate(box.x_mm * mm, (height_mm - box.y_mm) * mm - side)
    canvas.scale(side, side)
    _place_stream(canvas, raster.name, {**image, "ColorSpace": PDFName("DeviceRGB")}, raster.rgb)
    canvas.restoreState()


def _qr(url: str) -> segno.QRCode:
    """The verification QR code; a fixed mask skips segno's mask search, most of its time."""
    return segno.make_qr(url, error="m", mask=_QR_MASK)


_QR_MASK = 2


def _qr_ops(url: str, box: Box, height_mm: float, ink: RGB) -> str:
    """The QR code as filled rectangles, one per horizontal run of dark modules."""
    qr = _qr(url)
    size = qr.symbol_size(border=2)[0]
    unit = box.size_mm * mm / size
    side = box.size_mm * mm
    left, top = box.x_mm * mm, (height_mm - box.y_mm) * mm
    ops = [
        "q",
        f"1 1 1 rg {left:.2f} {top - side:.2f} {side:.2f} {side:.2f} re f",
        _rg(ink, "rg"),
    ]
    # The quiet zone is two modules wide: the matrix's first row and column sit two units in.
    origin = left + 2 * unit
    for r, row in enumerate(qr.matrix, start=3):
        y = f"{top - r * unit:.2f}"
        c = 0
        for dark, run in groupby(row):
            length = len(list(run))
            if dark:
                ops.append(f"{origin + c * unit:.2f} {y} {length * unit:.2f} {unit:.2f} re")
            c += length
    ops.append("f Q")
    return "\n".join(ops)


@lru_cache(maxsize=4)
def _background_reader(path: Path) -> ImageReader:
    return ImageReader(str(path))


def _draw_text(canvas: Canvas, fonts: _Fonts, item: _Text, height_mm: float) -> None:
    font = fonts.fixed if item.fixed else fonts.varying
    canvas.setFillColorRGB(*(c / 255 for c in item.color))
    canvas.setFont(font, item.size)
    space = item.char_space_mm * mm
    x = item.x_mm * mm
    if item.centred:
        width = pdfmetrics.stringWidth(item.text, font, item.size) + space * (len(item.text) - 1)
        x -= width / 2
    canvas.drawString(x, (height_mm - item.y_mm) * mm, item.text, charSpace=space)


def render(cert: CertificateView, template: Template) -> bytes:
    """The certificate as a one-page PDF with its font embedded (subset)."""
    tp = template
    fonts = _fonts(tp.font)
    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=(tp.width_mm * mm, tp.height_mm * mm),
        invariant=True,
        pageCompression=True,
        initialFontName=fonts.varying,
        initialFontSize=tp.value_size,
    )
    canvas.setTitle(t("certificate.document_title", cert_no=cert.cert_no))
    canvas.setAuthor(cert.issuer_name)
    canvas.setCreator(CREATOR)
    created = cert.created_at or datetime.combine(cert.issued_on, time(), _BEIJING)
    # invariant=True keeps the document id reproducible; the dates are set here instead.
    canvas.setDateFormatter(lambda *_: pdf_date(created))
    _draw_border(canvas, tp)
    if tp.background is not None:
        canvas.drawImage(
            _background_reader(tp.background), 0, 0, tp.width_mm * mm, tp.height_mm * mm
        )
    for item in _texts(cert, tp):
        _draw_text(canvas, fonts, item, tp.height_mm)
    canvas.addLiteral(_qr_ops(cert.verify_url, tp.qr, tp.height_mm, tp.ink))
    _draw_picture(canvas, cert.school_stamp_png, tp.school_stamp, tp.height_mm)
    _draw_picture(canvas, cert.issuer_seal_png, tp.issuer_seal, tp.height_mm)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# --- PNG backend -------------------------------------------------------------------------------

# Pillow draws lines without anti-aliasing; drawing twice as large and shrinking smooths them
_SUPERSAMPLE = 2


@lru_cache(maxsize=32)
def _pil_font(font: FontFile, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font.path), size_px, index=font.subfont)


def _paste_png(page: Image.Image, png: bytes, box: Box, px_per_mm: float) -> None:
    side = round(box.size_mm * px_per_mm)
    with Image.open(io.BytesIO(png)) as source:
        picture = source.convert("RGBA")
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    left = round(box.x_mm * px_per_mm + (side - picture.width) / 2)
    top = round(box.y_mm * px_per_mm + (side - picture.height) / 2)
    page.alpha_composite(picture, (left, top))


def _draw_pil_text(
    draw: ImageDraw.ImageDraw, font: FontFile, item: _Text, px_per_mm: float
) -> None:
    pil_font = _pil_font(font, max(1, round(item.size * px_per_mm * 25.4 / 72)))
    space = item.char_space_mm * px_per_mm
    if not space:
        anchor = "ms" if item.centred else "ls"
        draw.text(
            (item.x_mm * px_per_mm, item.y_mm * px_per_mm),
            item.text,
            fill=item.color,
            font=pil_font,
            anchor=anchor,
        )
        return
    advances = [pil_font.getlength(ch) + space for ch in item.text]
    x = item.x_mm * px_per_mm
    if item.centred:
        x -= (sum(advances) - space) / 2
    for ch, advance in zip(item.text, advances, strict=True):
        draw.text((x, item.y_mm * px_per_mm), ch, fill=item.color, font=pil_font, anchor="ls")
        x += advance


def render_png(cert: CertificateView, template: Template, dpi: int = 100) -> bytes:
    """The certificate as a PNG picture at `dpi`, for previews; same layout as the PDF."""
    tp = template
    scale = dpi / 25.4 * _SUPERSAMPLE
    size = (round(tp.width_mm * scale), round(tp.height_mm * scale))
    page = Image.new("RGBA", size, (*tp.paper, 255))
    if tp.background is not None:
        with Image.open(tp.background) as background:
            page.alpha_composite(background.convert("RGBA").resize(size))
    draw = ImageDraw.Draw(page)
    for line in _border(tp):
        points = [(x * scale, y * scale) for x, y in line.points]
        if line.fill:
            draw.polygon(points, fill=line.color)
        else:
            width = max(1, round(line.width_pt / 72 * 25.4 * scale))
            draw.line(
                [*points, points[0]] if line.closed else points,
                fill=line.color,
                width=width,
                joint="curve",
            )
    for item in _texts(cert, tp):
        _draw_pil_text(draw, tp.font, item, scale)
    qr_side = round(tp.qr.size_mm * scale)
    qr = _qr(cert.verify_url)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", border=2, scale=1, dark=tp.ink)
    buffer.seek(0)
    with Image.open(buffer) as symbol:
        qr_image = symbol.convert("RGBA").resize((qr_side, qr_side), Image.Resampling.NEAREST)
    page.alpha_composite(qr_image, (round(tp.qr.x_mm * scale), round(tp.qr.y_mm * scale)))
    if cert.school_stamp_png is not None:
        _paste_png(page, cert.school_stamp_png, tp.school_stamp, scale)
    if cert.issuer_seal_png is not None:
        _paste_png(page, cert.issuer_seal_png, tp.issuer_seal, scale)
    final = page.convert("RGB").resize(
        (size[0] // _SUPERSAMPLE, size[1] // _SUPERSAMPLE), Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    final.save(out, format="PNG", optimize=False)
    return out.getvalue()


def with_stamp(
    cert: CertificateView, png: bytes, slot: Literal["school", "issuer"]
) -> CertificateView:
    """The certificate with `png` in the school-stamp or issuer-seal place."""
    if slot == "school":
        return replace(cert, school_stamp_png=png)
    return replace(cert, issuer_seal_png=png)
