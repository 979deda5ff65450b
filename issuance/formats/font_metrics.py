"""Which characters a TrueType font draws at most one em wide, read from its cmap and hmtx tables
alone (a few hundred KiB) as reportlab's TTFontFile reads them: reportlab parses the whole file
(16 MiB and 40 MiB of memory for a CJK face, a tenth of a second), which an import that only
asks whether names are surely printable need not pay. Fonts this reader does not take (another
cmap format, PostScript outlines) are for reportlab to read."""

from __future__ import annotations

import struct
from array import array
from functools import cache
from typing import BinaryIO

from issuance.formats.certificate import FontFile

_EM = 1000  # reportlab's glyph widths are in thousandths of an em
# The tables read here, and those reportlab needs to take the font (TrueType outlines).
_NEEDED = frozenset({"cmap", "head", "hhea", "hmtx", "maxp", "glyf", "loca", "OS/2"})


@cache
def narrow_code_points(font: FontFile) -> frozenset[int] | None:
    """The code points the font's cmap maps (as reportlab reads it) to a glyph at most one em
    wide; None when this reader does not take the font."""
    try:
        read = _read_font(font)
    except struct.error:
        return None  # a damaged font: reportlab says what is wrong with it
    if read is None:
        return None
    units, glyphs, widths, mapped = read
    metrics = len(widths)
    # A glyph past the metrics has the last one's width; one past the glyphs, glyph 0's.
    wide = {glyph for glyph, width in enumerate(widths) if width * (_EM / units) > _EM}
    if widths[-1] * (_EM / units) > _EM:
        wide.update(range(metrics, glyphs))
    if widths[0] * (_EM / units) > _EM:
        wide.update(glyph for glyph in set(mapped.values()) if glyph >= glyphs)
    # reportlab draws a no-break space as a space, and a space as a no-break space.
    if 0x20 in mapped:
        mapped[0xA0] = mapped[0x20]
    elif 0xA0 in mapped:
        mapped[0x20] = mapped[0xA0]
    return frozenset(code for code, glyph in mapped.items() if glyph not in wide)


def _read_font(font: FontFile) -> tuple[int, int, array[int], dict[int, int]] | None:
    """The font's units per em, number of glyphs, advance widths (per glyph of the metrics)
    and cmap; None when this reader does not take the font."""
    with open(font.path, "rb") as file:
        tables = _tables(file, font.subfont)
        if tables is None or not set(tables) >= _NEEDED or not _embeddable(file, tables):
            return None
        (units,) = struct.unpack(">H", _read(file, tables["head"], 18, 2))
        (metrics,) = struct.unpack(">H", _read(file, tables["hhea"], 34, 2))
        (glyphs,) = struct.unpack(">H", _read(file, tables["maxp"], 4, 2))
        widths = _ushorts(_read(file, tables["hmtx"], 0, 4 * metrics))[::2]
        mapped = _cmap(_read(file, tables["cmap"]))
    if mapped is None or not 0 < metrics == len(widths) <= glyphs or not units:
        return None
    return units, glyphs, widths, mapped


def _tables(file: BinaryIO, subfont: int) -> dict[str, tuple[int, int]] | None:
    """(offset, length) per table tag of the font (the `subfont` of a collection)."""
    head = file.read(12)
    start = 0
    if head[:4] == b"ttcf":
        (count,) = struct.unpack(">I", head[8:12])
        if not 0 <= subfont < count:
            return None
        (start,) = struct.unpack(">I", _read(file, (0, 16 + 4 * count), 12 + 4 * subfont, 4))
    elif subfont:
        return None
    (count,) = struct.unpack(">H", _read(file, (start, 12), 4, 2))
    records = _read(file, (start + 12, 16 * count))
    return {
        records[i : i + 4].decode("latin-1"): struct.unpack(">II", records[i + 8 : i + 16])
        for i in range(0, 16 * count, 16)
    }


def _embeddable(file: BinaryIO, tables: dict[str, tuple[int, int]]) -> bool:
    """Whether the font's license lets reportlab embed it (OS/2 fsType; else it refuses it)."""
    (allowed,) = struct.unpack(">H", _read(file, tables["OS/2"], 8, 2))
    return allowed != 0x0002 and not allowed & 0x0300


def _read(file: BinaryIO, table: tuple[int, int], at: int = 0, size: int | None = None) -> bytes:
    offset, length = table
    file.seek(offset + at)
    return file.read(length - at if size is None else size)


def _ushorts(data: bytes) -> array[int]:
    values = array("H", data[: len(data) // 2 * 2])
    if struct.pack("=H", 1) != struct.pack(">H", 1):
        values.byteswap()
    return values


def _cmap(cmap: bytes) -> dict[int, int] | None:
    """Code point -> glyph from the subtable reportlab picks (the last one it takes), if it is
    of format 4 or 12."""
    version, count = struct.unpack(">HH", cmap[:4])
    if count == 0 and version != 0:
        count = version
    picked, unicode = None, False
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        if platform == 3 or (platform == 1 and encoding == 1) or (platform == 0 and encoding != 5):
            picked, unicode = offset, True
        elif platform == 1 and encoding == 0 and not unicode:
            picked = offset
    if picked is None:
        return None
    (form,) = struct.unpack(">H", cmap[picked : picked + 2])
    if form == 12:
        return _format12(cmap, picked)
    if form == 4:
        return _format4(cmap, picked)
    return None


def _format12(cmap: bytes, at: int) -> dict[int, int]:
    (groups,) = struct.unpack(">I", cmap[at + 12 : at + 16])
    mapped: dict[int, int] = {}
    for i in range(groups):
        first, last, glyph = struct.unpack(">III", cmap[at + 16 + 12 * i : at + 28 + 12 * i])
        mapped.update(
            zip(range(first, last + 1), range(glyph, glyph + last - first + 1), strict=True)
        )
    return mapped


def _format4(cmap: bytes, at: int) -> dict[int, int]:
    length, _language, doubled = struct.unpack(">HHH", cmap[at + 2 : at + 8])
    segments = doubled // 2
    ends = _ushorts(cmap[at + 14 : at + 14 + doubled])
    starts = _ushorts(cmap[at + 16 + doubled : at + 16 + 2 * doubled])
    deltas = _ushorts(cmap[at + 16 + 2 * doubled : at + 16 + 3 * doubled])
    ranges_at = at + 16 + 3 * doubled
    ranges = _ushorts(cmap[ranges_at : ranges_at + doubled])
    limit = at + length
    mapped: dict[int, int] = {}
    for n in range(segments):
        start, end, delta, offset = starts[n], ends[n], deltas[n], ranges[n]
        if offset == 0:
            mapped.update((code, (code + delta) & 0xFFFF) for code in range(start, end + 1))
            continue
        for code in range(start, end + 1):
            where = ranges_at + 2 * n + offset + 2 * (code - start)
            glyph = struct.unpack(">H", cmap[where : where + 2])[0] if where < limit else 0
            mapped[code] = (glyph + delta) & 0xFFFF if glyph else 0
    return mapped
