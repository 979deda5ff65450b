"""The reference for `bench.render`: the same certificate drawn by a plain reportlab script.

What a developer writes first with reportlab's public API: the font registered once (as any
script does), then per certificate a canvas on which the border, every line of text, the QR code
(segno, one square per dark module) and the two stamps (`drawImage` from the PNG bytes) are
drawn anew.
"""

from __future__ import annotations

import io

import segno
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from issuance.core.catalog import t
from issuance.formats.certificate import CertificateView, Template, _border, _field_text

FONT = "NaiveCJK"


def register(template: Template) -> None:
    """Register the template's font under FONT (once per process)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        font = template.font
        pdfmetrics.registerFont(TTFont(FONT, str(font.path), subfontIndex=font.subfont))


def render(cert: CertificateView, template: Template) -> bytes:
    """One certificate, everything drawn on a fresh canvas."""
    tp = template
    width, height = tp.width_mm * mm, tp.height_mm * mm
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=True)
    canvas.setTitle(cert.cert_no)
    for line in _border(tp):
        path = canvas.beginPath()
        (x0, y0), *rest = line.points
        path.moveTo(x0 * mm, height - y0 * mm)
        for x, y in rest:
            path.lineTo(x * mm, height - y * mm)
        if line.closed:
            path.close()
        if line.fill:
            canvas.setFillColorRGB(*(c / 255 for c in line.color))
            canvas.drawPath(path, stroke=0, fill=1)
        else:
            canvas.setStrokeColorRGB(*(c / 255 for c in line.color))
            canvas.setLineWidth(line.width_pt)
            canvas.drawPath(path, stroke=1, fill=0)
    canvas.setFillColorRGB(*(c / 255 for c in tp.accent))
    for spot, key in ((tp.title, "certificate.title"), (tp.subtitle, "certificate.subtitle")):
        canvas.setFont(FONT, spot.size)
        canvas.drawCentredString(spot.x_mm * mm, height - spot.y_mm * mm, t(key))
    for row in tp.rows:
        canvas.setFillColorRGB(*(c / 255 for c in tp.accent))
        canvas.setFont(FONT, tp.label_size)
        canvas.drawString(
            tp.label_x_mm * mm, height - row.y_mm * mm, t(f"certificate.label.{row.name}")
        )
        canvas.setFillColorRGB(*(c / 255 for c in tp.ink))
        canvas.setFont(FONT, tp.value_size)
        canvas.drawString(tp.value_x_mm * mm, height - row.y_mm * mm, _field_text(cert, row.name))
    qr = segno.make_qr(cert.verify_url, error="m")
    modules = qr.symbol_size(border=2)[0]
    unit = tp.qr.size_mm * mm / modules
    left, top = tp.qr.x_mm * mm, height - tp.qr.y_mm * mm
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(left, top - modules * unit, modules * unit, modules * unit, stroke=0, fill=1)
    canvas.setFillColorRGB(*(c / 255 for c in tp.ink))
    path = canvas.beginPath()
    for r, modules_of_row in enumerate(qr.matrix_iter(scale=1, border=2)):
        for c, dark in enumerate(modules_of_row):
            if dark:
                path.rect(left + c * unit, top - (r + 1) * unit, unit, unit)
    canvas.drawPath(path, stroke=0, fill=1)
    for png, box in (
        (cert.school_stamp_png, tp.school_stamp),
        (cert.issuer_seal_png, tp.issuer_seal),
    ):
        if png is not None:
            side = box.size_mm * mm
            canvas.drawImage(
                ImageReader(io.BytesIO(png)),
                box.x_mm * mm,
                height - box.y_mm * mm - side,
                side,
                side,
                mask="auto",
            )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
