"""Inspect an .xlsx package before a reader allocates anything: zip bombs and giant ranges.

A spreadsheet reader trusts the file: one cell at XFD1048576 makes it allocate the dense
16384 x 1048576 range, and a 2 MB zip can inflate to gigabytes. This module reads the zip's
directory and streams every XML part once (bounded), refusing the file before it is parsed.
A streaming reader may take one part (its sheet) out of that scan and have it checked alike as
it reads it (`PartGuard`): the sheet is then inflated once, not twice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from issuance.core.errors import Invalid

_READ = 1 << 16
# Cell and row references (<c r="B7">, <row r="7">) as written in sheet XML, but only the ones
# that could exceed the bounds: two or more column letters, or a row number of six or more digits
# starting at 2. A literal prefix keeps the scan at C speed; matches are checked exactly.
_FAR_REF = re.compile(rb' r="([A-Z]{0,3})((?<=[A-Z]{2})[0-9]+|[2-9][0-9]{5}|[1-9][0-9]{6,})"')


@dataclass(frozen=True)
class XlsxLimits:
    """What one .xlsx may hold."""

    max_entries: int
    max_uncompressed: int
    max_ratio: int
    max_rows: int  # data rows, below the header row
    max_columns: int


# What reading a damaged or unsupported zip raises (RuntimeError: an encrypted member).
_ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def check_xlsx(path: Path, limits: XlsxLimits) -> None:
    """Raise Invalid unless the package and its sheets stay within `limits`."""
    try:
        with zipfile.ZipFile(path) as package:
            check_package(package, limits, path.name)
    except _ZIP_DAMAGE:
        raise Invalid("tabular.unreadable", name=path.name) from None


def check_package(
    package: zipfile.ZipFile, limits: XlsxLimits, name: str, deferred: str | None = None
) -> None:
    """`check_xlsx` of an open package (`name` its file's), but for the part `deferred`, which
    its reader checks as it reads it (through a `PartGuard`)."""
    try:
        entries = package.infolist()
        _check_directory(entries, limits)
        for entry in entries:
            if entry.filename.endswith(".xml") and entry.filename != deferred:
                _scan_part(package, entry, limits)
    except _ZIP_DAMAGE:
        raise Invalid("tabular.unreadable", name=name) from None


class PartGuard:
    """One part's stream, checked as `check_xlsx` checks it while its reader reads it: what
    inflates, and a tag end in every 64 KiB, as it is read; the cell and row references of
    what the reader takes, as it passes them (`refs`, or `last_row` for rows it has counted)."""

    def __init__(
        self, stream: IO[bytes], entry: zipfile.ZipInfo, limits: XlsxLimits, name: str
    ) -> None:
        self._stream = stream
        self._limits = limits
        self._name = name
        # The directory may lie about sizes; what actually inflates is what counts.
        self._most = min(
            limits.max_uncompressed, max(entry.compress_size, 1) * limits.max_ratio + _READ
        )
        self._inflated = 0
        self._tag_end = False  # one seen in the current 64 KiB (as `_scan_part` reads them)

    def read(self, size: int) -> bytes:
        try:
            data = self._stream.read(size)
        except _ZIP_DAMAGE:
            raise Invalid("tabular.unreadable", name=self._name) from None
        done = 0
        while done < len(data):
            end = min(len(data), done + _READ - self._inflated % _READ)
            self._tag_end = self._tag_end or data.find(b">", done, end) >= 0
            self._inflated += end - done
            done = end
            if self._inflated > self._most:
                raise Invalid("tabular.xlsx_bomb")
            if self._inflated % _READ == 0:
                self._window_ends()
        if not data and self._inflated % _READ:
            self._window_ends()  # the last, shorter piece
        return data

    def _window_ends(self) -> None:
        if not self._tag_end:
            raise Invalid("tabular.xlsx_bomb")
        self._tag_end = False

    def refs(self, xml: bytes) -> None:
        """Check the references in `xml` (cut after a tag end: none is split)."""
        _check_refs(xml, self._limits)

    def last_row(self, number: int) -> None:
        """Check rows read up to `number` (whose cells are in columns A to Z)."""
        if number > self._limits.max_rows + 1:
            raise Invalid("tabular.too_many_rows", limit=self._limits.max_rows)

    def drain(self, tail: bytes) -> None:
        """Check `tail`, the rest of the part its reader did not need, and what follows it."""
        while chunk := self.read(_READ):
            text = tail + chunk
            cut = text.rfind(b">") + 1
            self.refs(text[:cut])
            tail = text[cut:]
        self.refs(tail[: tail.rfind(b">") + 1])


def _check_directory(entries: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    if len(entries) > limits.max_entries:
        raise Invalid("tabular.xlsx_bomb")
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if total > limits.max_uncompressed:
            raise Invalid("tabular.xlsx_bomb")
        if entry.file_size > _READ and ratio > limits.max_ratio:
            raise Invalid("tabular.xlsx_bomb")


def _scan_part(package: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: XlsxLimits) -> None:
    """Stream one XML part: its real inflated size, cell references and text runs, bounded."""
    inflated = 0
    tail = b""
    with package.open(entry) as stream:
        while chunk := stream.read(_READ):
            inflated += len(chunk)
            # The directory may lie about sizes; what actually inflates is what counts.
            if (
                inflated > limits.max_uncompressed
                or inflated > max(entry.compress_size, 1) * limits.max_ratio + _READ
            ):
                raise Invalid("tabular.xlsx_bomb")
            # A chunk without any tag end is one giant text run or tag: no spreadsheet has that,
            # and refusing it bounds what the reader would hold for a single cell.
            if b">" not in chunk:
                raise Invalid("tabular.xlsx_bomb")
            text = tail + chunk
            cut = text.rfind(b">") + 1
            _check_refs(text[:cut], limits)
            tail = text[cut:]


def _check_refs(xml: bytes, limits: XlsxLimits) -> None:
    # Only the cells present count: a <dimension> is what the writer declared (some write
    # A1:XFD1048576 for two rows), and the reader does not allocate by it.
    for match in _FAR_REF.finditer(xml):
        _check_ref(match.group(1), match.group(2), limits)


def _check_ref(letters: bytes, digits: bytes, limits: XlsxLimits) -> None:
    if int(digits) > limits.max_rows + 1:
        raise Invalid("tabular.too_many_rows", limit=limits.max_rows)
    column = 0
    for letter in letters:
        column = column * 26 + letter - 64
    if column > limits.max_columns:
        raise Invalid("tabular.too_many_columns", limit=limits.max_columns)


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def check_ods(path: Path, limits: XlsxLimits) -> None:
    """Raise Invalid unless an .ods package stays within `limits`: the zip as for .xlsx, and
    no cell with content past the bounds once repeated rows and columns are counted (a reader
    expands `number-rows-repeated`; trailing empty repeats, as LibreOffice writes, are fine)."""
    try:
        with zipfile.ZipFile(path) as package:
            entries = package.infolist()
            _check_directory(entries, limits)
            for entry in entries:
                if entry.filename.endswith(".xml"):
                    _scan_part(package, entry, limits)
            with package.open("content.xml") as content:
                _check_repeats(content, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, KeyError):
        raise Invalid("tabular.unreadable", name=path.name) from None
    except (ET.ParseError, DefusedXmlException):
        raise Invalid("tabular.unreadable", name=path.name) from None


def _check_repeats(content: IO[bytes], limits: XlsxLimits) -> None:
    row = 0
    for _, element in safe_xml.iterparse(content, events=("end",)):
        if element.tag != f"{_TABLE}table-row":
            if element.tag == f"{_TABLE}table":
                row = 0
            continue
        repeat = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
        column, last_filled = 0, 0
        for cell in element:
            column += int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
            if len(cell) or cell.get(f"{_OFFICE}value-type"):
                last_filled = column
        if last_filled:
            if last_filled > limits.max_columns:
                raise Invalid("tabular.too_many_columns", limit=limits.max_columns)
            if row + repeat > limits.max_rows + 1:
                raise Invalid("tabular.too_many_rows", limit=limits.max_rows)
        row += repeat
        element.clear()
