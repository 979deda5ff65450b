"""Pictures for tests and benches: stamps drawn with Pillow, a sample certificate."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw

from issuance.formats.certificate import CertificateView

STAMP_RED = (190, 20, 20)


def png_bytes(image: Image.Image) -> bytes:
    """Encode a Pillow image as PNG."""
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def drawn_stamp(width: int = 400, height: int = 400) -> bytes:
    """A red square seal on a white sheet, like a scanned signature stamp."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        [width * 0.2, height * 0.2, width * 0.8, height * 0.8],
        outline=STAMP_RED,
        width=max(2, width // 25),
    )
    draw.rectangle([width * 0.4, height * 0.4, width * 0.6, height * 0.6], fill=STAMP_RED)
    return png_bytes(image)


def sample_certificate() -> CertificateView:
    """The guide's student 朱鹏飞, without stamps."""
    return CertificateView(
        cert_no="15600031015610012000045",
        student_name="朱鹏飞",
        id_number="61011420000101101X",
        program="特殊焊接技术职业技能等级证书",
        level="中级",
        issuer_name="中船教育科技(北京)有限公司",
        school_name="陕西工业职业技术学院",
        issued_on=date(2025, 6, 30),
        verify_url="https://qianfa.example.cn/verify/15600031015610012000045",
        school_stamp_png=None,
        issuer_seal_png=None,
    )
