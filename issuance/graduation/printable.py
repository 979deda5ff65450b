"""Whether a graduate's name and major can be printed on every kind of blank: checked when they
are imported or amended, so `grad print` never refuses a term over one graduate."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from issuance.core.errors import Invalid
from issuance.formats.grad_print import PrintLayout, SchoolLevel, fitted, layout_for

PRINTED_FIELDS = ("name", "major")


@cache
def _layouts() -> tuple[PrintLayout, ...]:
    return tuple(layout_for(level) for level in SchoolLevel)


def check_printable(field: str, text: str) -> str:
    """`text` if it fits the field of every blank (shrunk, on two lines at most) with glyphs
    the print font has, else Invalid saying which."""
    try:
        layouts = _layouts()
    except FileNotFoundError:
        return text  # no print font on this host: `grad print` says so itself
    for layout in layouts:
        try:
            fitted(text, layout.field(field), layout)
        except Invalid as why:
            if why.key == "gradprint.missing_glyph":
                raise Invalid("grad.field.missing_glyph", chars=why.params["chars"]) from None
            raise Invalid("grad.field.unprintable") from None
    return text


def printable(field: str) -> Callable[[str], str]:
    """The check of one printed field, as the import's cell checks take it."""
    return lambda text: check_printable(field, text)
