"""CJK fonts for the graduation renderers: picked from candidate files, registered once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from issuance.formats.certificate import FontFile

# WenQuanYi Zen Hei is a Hei (黑体) face, as the graduation guide asks for printed certificates.
HEI_CANDIDATES = (
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")),
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
)


def pick_font(candidates: Iterable[FontFile]) -> FontFile:
    """The first candidate file that exists; the error names every path tried."""
    tried = list(candidates)
    for font in tried:
        if font.path.is_file():
            return font
    paths = ", ".join(str(f.path) for f in tried) or "(none listed)"
    raise FileNotFoundError(f"no CJK font found; tried: {paths}")


def font_files(entries: Iterable[Mapping[str, object]]) -> list[FontFile]:
    """Candidate files as written in a TOML template: `{ path = "...", subfont = 0 }`."""
    return [FontFile(Path(str(e["path"])), int(str(e.get("subfont", 0)))) for e in entries]


@cache
def pdf_font(font: FontFile) -> str:
    """Register the font with reportlab once per process (embedded as a subset) and name it."""
    name = f"QianfaHei-{font.path.stem}-{font.subfont}"
    pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont))
    return name


def width_mm(text: str, font: FontFile, size: float) -> float:
    """Printed width of `text` at `size` points."""
    return pdfmetrics.stringWidth(text, pdf_font(font), size) / mm


def descent_mm(font: FontFile, size: float) -> float:
    """How far the font's glyph box reaches below the baseline (positive), at `size` points."""
    face = pdfmetrics.getFont(pdf_font(font)).face
    return -face.descent / 1000 * size / 72 * 25.4


@lru_cache(maxsize=64)
def pil_font(font: FontFile, size_px: int) -> ImageFont.FreeTypeFont:
    """The same font for Pillow at a pixel size."""
    return ImageFont.truetype(str(font.path), size_px, index=font.subfont)


def missing_glyphs(text: str, font: FontFile) -> str:
    """The characters of `text` the font has no glyph for (they would print as nothing)."""
    covered = pdfmetrics.getFont(pdf_font(font)).face.charToGlyph
    return "".join(dict.fromkeys(c for c in text if ord(c) not in covered and not c.isspace()))
