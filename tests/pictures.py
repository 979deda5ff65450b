"""Pictures for tests: stamps drawn with Pillow."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

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
