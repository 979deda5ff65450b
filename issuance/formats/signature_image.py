"""Online handwritten signature (在线手写签名): check what the signing page sent.

The pen strokes are the one source of truth: the stored image is drawn here from them, and the
page's own PNG is only read for the pad's size. A black or noise PNG sent beside a few strokes
therefore cannot become the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageOps

from issuance.core.errors import Invalid

MAX_PNG_BYTES = 512 * 1024
MAX_STROKES_JSON = 512 * 1024
MIN_SIDE, MAX_SIDE = 100, 4096
MAX_PIXELS = 8_000_000
MIN_STROKES, MAX_STROKES = 2, 500
MIN_POINTS, MAX_POINTS = 20, 50_000
# Ink bounding box as a share of the pad: a dot or a short dash stays well under it.
MIN_INK_SHARE_W, MIN_INK_SHARE_H = 0.15, 0.12
# Ink pixels as a share of the pad area (with an absolute floor for small pads).
MIN_INK_SHARE_AREA, MIN_INK_PIXELS = 0.001, 150
INK_LEVEL = 160
# The pad's height in CSS pixels (web/static/app.css .pad): the page's PNG is this many CSS
# pixels high times the device pixel ratio, and the strokes are in CSS pixels.
PAD_CSS_HEIGHT = 200
LINE_WIDTH_CSS = 2.6
INK = (16, 32, 58)

_DATA_URL_PREFIX = "data:image/png;base64,"

Point = tuple[float, float, float]
Stroke = tuple[Point, ...]


@dataclass(frozen=True)
class SignatureInput:
    """A checked signature: PNG drawn from the strokes, its SHA-256 and the pen strokes."""

    png: bytes
    sha256: str
    strokes: tuple[Stroke, ...]
    width: int
    height: int

    @property
    def strokes_json(self) -> str:
        """The strokes as compact JSON, for storing beside the PNG."""
        return json.dumps(self.strokes, separators=(",", ":"))


def check_signature(png_data_url_or_bytes: str | bytes, strokes_json: str) -> SignatureInput:
    """Validate a signature (PNG data URL or bytes + strokes JSON) or raise Invalid."""
    raw = _png_bytes(png_data_url_or_bytes)
    strokes = _parse_strokes(strokes_json)
    pad = _open_png(raw)
    flat = draw_strokes(strokes, pad.width, pad.height)
    _require_ink(flat)
    out = io.BytesIO()
    flat.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    return SignatureInput(
        png=png,
        sha256=hashlib.sha256(png).hexdigest(),
        strokes=strokes,
        width=flat.width,
        height=flat.height,
    )


def _png_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        raw = value
    else:
        if not value.startswith(_DATA_URL_PREFIX):
            raise Invalid("signature.format")
        encoded = value[len(_DATA_URL_PREFIX) :]
        # Refuse before decoding: base64 grows by 4/3, so this bounds the work done.
        if len(encoded) > MAX_PNG_BYTES * 4 // 3 + 4:
            raise Invalid("signature.too_large")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("signature.format") from None
    if not raw:
        raise Invalid("signature.format")
    if len(raw) > MAX_PNG_BYTES:
        raise Invalid("signature.too_large")
    return raw


def _open_png(raw: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format != "PNG":
                raise Invalid("signature.not_png")
            # Check the header's size before decoding pixels, so a huge image costs nothing.
            width, height = image.size
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE // 2 <= height <= MAX_SIDE):
                raise Invalid("signature.dimensions")
            if width * height > MAX_PIXELS:
                raise Invalid("signature.dimensions")
            image.load()
    except Invalid:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise Invalid("signature.not_png") from None
    return image


def draw_strokes(strokes: tuple[Stroke, ...], width: int, height: int) -> Image.Image:
    """The strokes drawn as the pad draws them (round pen, dark ink) on a white pad of this size."""
    scale = height / PAD_CSS_HEIGHT
    pen = max(1, round(LINE_WIDTH_CSS * scale))
    radius = pen / 2
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * scale, y * scale) for x, y, _ in stroke]
        if len(points) > 1:
            draw.line(points, fill=INK, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=INK)
    return image


def _require_ink(image: Image.Image) -> None:
    gray = ImageOps.grayscale(image)
    ink = gray.point(lambda level: 255 if level < INK_LEVEL else 0)
    box = ink.getbbox()
    if box is None:
        raise Invalid("signature.trivial")
    left, top, right, bottom = box
    too_narrow = right - left < image.width * MIN_INK_SHARE_W
    if too_narrow or bottom - top < image.height * MIN_INK_SHARE_H:
        raise Invalid("signature.trivial")
    ink_pixels = ink.histogram()[255]
    if ink_pixels < max(MIN_INK_PIXELS, image.width * image.height * MIN_INK_SHARE_AREA):
        raise Invalid("signature.trivial")


def _parse_strokes(strokes_json: str) -> tuple[Stroke, ...]:
    if len(strokes_json) > MAX_STROKES_JSON:
        raise Invalid("signature.too_large")
    try:
        data: Any = json.loads(strokes_json)
    except (ValueError, RecursionError):
        raise Invalid("signature.strokes_format") from None
    if not isinstance(data, list) or len(data) > MAX_STROKES:
        raise Invalid("signature.strokes_format")
    strokes = tuple(_parse_stroke(stroke) for stroke in data)
    strokes = tuple(stroke for stroke in strokes if stroke)
    if len(strokes) < MIN_STROKES or sum(len(s) for s in strokes) < MIN_POINTS:
        raise Invalid("signature.too_few_strokes")
    if sum(len(s) for s in strokes) > MAX_POINTS:
        raise Invalid("signature.too_large")
    return strokes


def _parse_stroke(stroke: Any) -> Stroke:
    if not isinstance(stroke, list):
        raise Invalid("signature.strokes_format")
    return tuple(_parse_point(point) for point in stroke)


def _parse_point(point: Any) -> Point:
    if not isinstance(point, list) or len(point) != 3:
        raise Invalid("signature.strokes_format")
    values = []
    for value in point:
        # bool is an int subclass; true/false in the JSON is not a coordinate.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("signature.strokes_format")
        if not math.isfinite(value):
            raise Invalid("signature.strokes_format")
        values.append(round(float(value), 1))
    return values[0], values[1], values[2]
