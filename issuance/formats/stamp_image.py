"""Signature stamp (负责人签名章) and seal images: check an upload, clean it, preview it."""

from __future__ import annotations

import io
import math
import struct
from typing import Literal

from PIL import Image, ImageChops

from issuance.core.errors import Invalid
from issuance.formats.certificate import CertificateView, Template, render_png, with_stamp

MAX_BYTES = 1_048_576
MAX_SIDE = 4000
MAX_PIXELS = 16_000_000
MIN_SIDE = 60
MIN_ASPECT, MAX_ASPECT = 0.8, 1.25
OUTPUT_SIDE = 300

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# How far a pixel's darkest channel is from white (0-255): below _FAINT it is paper and becomes
# transparent, above _SOLID it is ink and stays opaque; in between it fades, so edges stay smooth.
_FAINT, _SOLID = 28, 80
_RAMP = [min(255, max(0, round(255 * (v - _FAINT) / (_SOLID - _FAINT)))) for v in range(256)]
_MARGIN = 0.04


def _declared_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header, read before any pixel is decoded."""
    if len(data) < 24 or not data.startswith(_PNG_MAGIC) or data[12:16] != b"IHDR":
        raise Invalid("stamp.not_png")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_size(width: int, height: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise Invalid("stamp.too_many_pixels", width=width, height=height, max_side=MAX_SIDE)
    if width < MIN_SIDE or height < MIN_SIDE:
        raise Invalid("stamp.too_small", width=width, height=height, min_side=MIN_SIDE)
    if not MIN_ASPECT <= width / height <= MAX_ASPECT:
        raise Invalid("stamp.not_square", width=width, height=height)


def _decode(data: bytes, size: tuple[int, int]) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.format != "PNG" or image.size != size:
                raise Invalid("stamp.not_png")
            return image.convert("RGBA")
    except Image.DecompressionBombError:
        raise Invalid(
            "stamp.too_many_pixels", width=size[0], height=size[1], max_side=MAX_SIDE
        ) from None
    except (OSError, SyntaxError, ValueError):
        # Pillow reports corrupt or truncated data through these
        raise Invalid("stamp.not_png") from None


def _ink_alpha(image: Image.Image) -> Image.Image:
    """Opacity from how dark each pixel is, times the upload's own transparency."""
    red, green, blue, alpha = image.split()
    darkest = ImageChops.darker(ImageChops.darker(red, green), blue)
    ink = ImageChops.invert(darkest).point(_RAMP)
    return ImageChops.multiply(ink, alpha)


def prepare_stamp(data: bytes) -> bytes:
    """Check an uploaded stamp; return it with a transparent background, square, 300×300 PNG."""
    if len(data) > MAX_BYTES:
        raise Invalid("stamp.too_large", size_kb=math.ceil(len(data) / 1024))
    size = _declared_size(data)
    _check_size(*size)
    image = _decode(data, size)
    alpha = _ink_alpha(image)
    box = alpha.getbbox()
    if box is None:
        raise Invalid("stamp.blank")
    image.putalpha(alpha)
    content = image.crop(box)
    side = round(max(content.size) * (1 + 2 * _MARGIN))
    square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    square.paste(content, ((side - content.width) // 2, (side - content.height) // 2))
    # resample premultiplied so transparent pixels' colour does not bleed into the edges
    resized = square.convert("RGBa").resize((OUTPUT_SIDE, OUTPUT_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    resized.convert("RGBA").save(out, format="PNG", optimize=True)
    return out.getvalue()


def preview_png(
    stamp_png: bytes,
    cert: CertificateView,
    template: Template,
    slot: Literal["school", "issuer"] = "school",
) -> bytes:
    """How the certificate looks with this stamp (or seal, for `slot="issuer"`), as a PNG."""
    return render_png(with_stamp(cert, stamp_png, slot), template)
