"""Whether a graduate's name and major can be printed on every kind of blank: checked when they
are imported or amended, so `grad print` never refuses a term over one graduate."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from issuance.core.errors import Invalid
from issuance.formats.certificate import FontFile
from issuance.formats.font_metrics import narrow_code_points
from issuance.formats.fonts import pdf_font
from issuance.formats.grad_print import Field, PrintLayout, SchoolLevel, fitted, layout_for

PRINTED_FIELDS = ("name", "major")


@cache
def _layouts() -> tuple[PrintLayout, ...]:
    return tuple(layout_for(level) for level in SchoolLevel)


@cache
def _blanks(field: str) -> tuple[tuple[PrintLayout, Field, str, frozenset[int]], ...]:
    """Per kind of blank: the layout, its blank for `field`, its font's reportlab name and the
    code points that font has glyphs for (looked up once, not per cell)."""
    found = []
    for layout in _layouts():
        name = pdf_font(layout.font)
        found.append((layout, layout.field(field), name, _glyphs(name)))
    return tuple(found)


@cache
def _glyphs(font: str) -> frozenset[int]:
    """The code points a registered font has glyphs for."""
    return frozenset(pdfmetrics.getFont(font).face.charToGlyph)


def check_printable(field: str, text: str) -> str:
    """`text` if it fits the field of every blank (shrunk, on two lines at most) with glyphs
    the print font has, else Invalid saying which."""
    longest, narrow = _narrow(field)
    if len(text) > longest or not narrow.issuperset(map(ord, text)):
        _check_printable(field, text)  # not surely printable: measured
    return text


# A file repeats its majors on every row: each is measured once (a refusal is not kept).
@lru_cache(maxsize=4096)
def _check_printable(field: str, text: str) -> None:
    try:
        blanks = _blanks(field)
    except FileNotFoundError:
        return  # no print font on this host: `grad print` says so itself
    for layout, blank, font, covered in blanks:
        # The usual text: every glyph there and one line fits, shrunk no smaller than the
        # smallest size (as `fitted` tries first); the rest (two lines, or refused with its
        # reason) is for `fitted` to settle.
        if covered.issuperset(map(ord, text)):
            widest = pdfmetrics.stringWidth(text, font, layout.size) / mm
            size = layout.size * min(1.0, blank.width_mm / widest) if widest else layout.size
            if size >= layout.min_size - 1e-9:
                continue
        try:
            fitted(text, blank, layout)
        except Invalid as why:
            if why.key == "gradprint.missing_glyph":
                raise Invalid("grad.field.missing_glyph", chars=why.params["chars"]) from None
            raise Invalid("grad.field.unprintable") from None


def surely_printable(field: str) -> Callable[[str], bool]:
    """Whether a text is printable in `field` without measuring it: short enough, and of
    characters every print font has at most one em wide (False: `check_printable` decides)."""
    longest, narrow = _narrow(field)
    return lambda text: len(text) <= longest and narrow.issuperset(map(ord, text))


def surely_printable_all(field: str) -> Callable[[list[str]], bool]:
    """Whether every one of many texts is `surely_printable` in `field`, at C speed."""
    longest, narrow = _narrow(field)
    return lambda texts: (
        max(map(len, texts), default=0) <= longest and narrow.issuperset(map(ord, "".join(texts)))
    )


@cache
def _narrow(field: str) -> tuple[int, frozenset[int]]:
    """How many characters of at most one em fit the field of every blank on one line at its
    smallest size, and those characters' code points (the ones every print font has)."""
    try:
        blanks = [(layout, layout.field(field)) for layout in _layouts()]
    except FileNotFoundError:
        return 0, frozenset()
    longest = min(int(blank.width_mm * mm / layout.min_size) for layout, blank in blanks)
    narrow, *others = {_narrow_glyphs(layout.font) for layout, _ in blanks}
    return longest, narrow.intersection(*others) if others else narrow


def _narrow_glyphs(font: FontFile) -> frozenset[int]:
    """The code points a print font has glyphs for at most one em (1000 units) wide: read from
    its tables (`narrow_code_points`), or from reportlab's parse of the whole font."""
    found = narrow_code_points(font)
    if found is not None:
        return found
    name = pdf_font(font)
    face = pdfmetrics.getFont(name).face
    width = face.charWidths.get
    return frozenset(code for code in _glyphs(name) if width(code, face.defaultWidth) <= 1000)


def printable(field: str) -> Callable[[str], str]:
    """The check of one printed field, as the import's cell checks take it."""
    return lambda text: check_printable(field, text)
