"""Import and export files (导入导出): CSV and XLSX tables read and written as streams.

Reading matches a file's header row against known columns (Chinese header or English alias) and
yields each data row as `(row_number, {key: text})`, numbered as the user sees the file in a
spreadsheet: the header is row 1. Writing defuses cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

from python_calamine import CalamineError, CalamineWorkbook
from tqdm import tqdm

from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import DomainError, Invalid
from issuance.core.files import write_output
from issuance.formats.xlsx_check import XlsxLimits, check_ods
from issuance.formats.xlsx_rows import TextBlock, open_first_sheet

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Format = Literal["xlsx", "csv"]
# What an import reads: CSV, and the spreadsheets offices save (Excel, Excel 97–2003, WPS and
# LibreOffice's OpenDocument).
READABLE = (".csv", ".xlsx", ".xls", ".ods")
Row = tuple[int, dict[str, str]]
RawRow = tuple[int, list[str]]
# Rows as a file is read: a block of text rows of one width (stripped), or rows one by one.
RawBlock = TextBlock | list[RawRow]
T = TypeVar("T")

_CHUNK = 1 << 20
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HEADER_NOISE = re.compile(r"[\s_\-]+")
_DIGITS = re.compile(r"\d+[Xx]?")
_EXCEL_EXACT_DIGITS = 15
_WIDTH_SAMPLE_ROWS = 100
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_LIST_SEPARATOR = "、"

# Bounds on what one import file may hold, checked before and while reading, so that a hostile
# file costs at most a few hundred MB of memory. 100,000 results rows fit with room to spare.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 2000
# A CSV line longer than this cannot be a row of at most MAX_COLUMNS cells of MAX_CELL_CHARS.
_MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
XLSX_LIMITS = XlsxLimits(
    max_entries=1000,
    max_uncompressed=512 * 1024 * 1024,
    max_ratio=200,
    max_rows=MAX_ROWS,
    max_columns=MAX_COLUMNS,
)


class NumberText(str):
    """A cell's text that was stored in the spreadsheet as a number (Excel may have rounded it)."""


@dataclass(frozen=True)
class Column:
    """An expected column: `key` in code, `header_zh` as on the platform, or `alias_en`."""

    key: str
    header_zh: str
    alias_en: str
    required: bool = True


@dataclass(frozen=True)
class Columns:
    """Data rows of an import file by column: their numbers, and each column's cell texts, for
    every column of the import (those of the file in its order, then those it lacks, blank)."""

    numbers: list[int]
    cells: dict[str, list[str]]
    # At least the length of the longest cell, when known.
    longest: int | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def rows(self) -> list[Row]:
        """The same rows one by one, as `(number, {key: text})`."""
        keys = tuple(self.cells)
        records = map(dict, map(zip, repeat(keys), zip(*self.cells.values(), strict=True)))
        return list(zip(self.numbers, records, strict=True))

    def take(self, keys: Sequence[str]) -> list[tuple[str, ...]]:
        """Each row's cells of `keys`, in that order."""
        return list(zip(*(self.cells[key] for key in keys), strict=True))

    def part(self, start: int, stop: int) -> Columns:
        """Rows `start` to `stop` (as in a slice)."""
        cells = {key: texts[start:stop] for key, texts in self.cells.items()}
        return Columns(self.numbers[start:stop], cells, self.longest)

    @classmethod
    def of_rows(cls, rows: Sequence[Row], keys: Sequence[str]) -> Columns:
        """`rows` (each with every one of `keys`) by column."""
        cells = {key: [values[key] for _, values in rows] for key in keys}
        return cls([number for number, _ in rows], cells)

    @classmethod
    def joined(cls, parts: Sequence[Columns]) -> Columns:
        """`parts` one after another."""
        if len(parts) == 1:
            return parts[0]
        cells = {
            key: list(chain.from_iterable(p.cells[key] for p in parts)) for key in parts[0].cells
        }
        return cls(list(chain.from_iterable(p.numbers for p in parts)), cells)


class Table:
    """An opened import file (导入文件): matched headers, row-count estimate, rows (once), one
    by one (iterating the table) or by column, a block at a time (`blocks`)."""

    def __init__(
        self,
        columns: Sequence[Column],
        header: RawRow,
        positions: dict[str, int],
        total: int | None,
        raw: Iterator[RawBlock],
        close: Callable[[], None],
    ) -> None:
        self._columns = {column.key: column for column in columns}
        self.headers = {key: header[1][index] for key, index in positions.items()}
        self.total = total
        self._raw = raw
        self._close = close
        self._picker = _Picker(positions, columns)

    def __iter__(self) -> Iterator[Row]:
        try:
            for block in self._raw:
                yield from self._picker.records(_raw_rows(block))
        finally:
            self.close()

    def blocks(self) -> Iterator[Columns]:
        """The data rows by column, a block at a time as the file is read (blank rows left
        out); each holds some rows."""
        try:
            for block in self._raw:
                columns = self._picker.texts(block) if isinstance(block, TextBlock) else None
                if columns is None:
                    rows = list(self._picker.records(_raw_rows(block)))
                    columns = Columns.of_rows(rows, self._picker.keys) if rows else None
                if columns is not None:
                    yield columns
        finally:
            self.close()

    def header(self, key: str) -> str:
        """The column's header as written in the file, else its Chinese header."""
        return self.headers.get(key) or self._columns[key].header_zh

    def close(self) -> None:
        """Release the file; rows not yet read are dropped."""
        self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _one_if_same(texts: list[str]) -> list[str]:
    """`texts`, as one string repeated if they are all the same (a column of one school, plan
    or status down a block then costs one string, not one per row)."""
    first = texts[0]
    return [first] * len(texts) if texts.count(first) == len(texts) else texts


def _raw_rows(block: RawBlock) -> list[RawRow]:
    return block.rows() if isinstance(block, TextBlock) else block  # type: ignore[return-value]


def read_table(path: Path, columns: Sequence[Column]) -> Table:
    """Open a .csv or .xlsx file, check its header row against `columns`, stream its rows."""
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise Invalid("tabular.unsupported_type", suffix=path.suffix or path.name)
    _check_file(path)
    if suffix == ".csv":
        raw, total, close = _open_csv(path)
    else:
        raw, total, close = _open_sheet(path)
    try:
        header, rest = _first_filled(raw)
        positions = _match_header(header[0], header[1], columns)
    except BaseException:
        close()
        raise
    if total is not None:
        total = max(total - header[0], 0)
    return Table(columns, header, positions, total, rest, close)


def _check_file(path: Path) -> None:
    """Only a regular file of bounded size: not a device, FIFO or folder (they never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise Invalid("tabular.missing", name=path.name) from None
    if not stat.S_ISREG(info.st_mode):
        raise Invalid("tabular.not_regular", name=path.name)
    if info.st_size > MAX_FILE_BYTES:
        raise Invalid("tabular.too_large", limit=MAX_FILE_BYTES // (1024 * 1024))


def _first_filled(raw: Iterator[RawBlock]) -> tuple[RawRow, Iterator[RawBlock]]:
    """The first non-blank row (the header row), and the blocks of the rows after it."""
    for block in raw:
        for index, (number, cells) in enumerate(_lazy_rows(block)):
            if any(cells):
                rest = _after(block, index + 1)
                return (number, cells), chain([rest] if len(rest) else [], raw)
    raise Invalid("tabular.empty")


def _lazy_rows(block: RawBlock) -> Iterator[RawRow]:
    """The rows of `block`, a text block's taken only as far as they are read."""
    if not isinstance(block, TextBlock):
        return iter(block)
    width, cells = block.width, block.cells
    return ((n, cells[i * width : (i + 1) * width]) for i, n in enumerate(block.numbers))


def _after(block: RawBlock, start: int) -> RawBlock:
    """The rows of `block` from its `start`-th on."""
    if isinstance(block, TextBlock):
        width = block.width
        return TextBlock(block.numbers[start:], width, block.cells[start * width :])
    return block[start:]


def _match_header(row: int, cells: list[str], columns: Sequence[Column]) -> dict[str, int]:
    """Column key -> cell index for the header row; refuses missing or repeated columns."""
    wanted: dict[str, Column] = {}
    for column in columns:
        wanted[_fold(column.header_zh)] = column
        wanted[_fold(column.alias_en)] = column
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        found = wanted.get(_fold(cell))
        if found is None:
            continue
        if found.key in positions:
            raise Invalid("tabular.duplicate_column", column=found.header_zh)
        positions[found.key] = index
    if not positions:
        names = _LIST_SEPARATOR.join(c.header_zh for c in columns if c.required)
        raise Invalid("tabular.no_header", row=row, columns=names)
    missing = [c.header_zh for c in columns if c.required and c.key not in positions]
    if missing:
        raise Invalid(
            "tabular.missing_columns",
            columns=_LIST_SEPARATOR.join(missing),
            row=row,
            missing=tuple(missing),
        )
    return positions


def _fold(header: str) -> str:
    """Header text reduced for matching: NFKC (full-width forms), case, spaces, _ and - ignored."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", header)).casefold()


class _Picker:
    """The cells of the matched columns, by key, out of each row as read."""

    def __init__(self, positions: dict[str, int], columns: Sequence[Column]) -> None:
        self._absent = {column.key: "" for column in columns if column.key not in positions}
        self._positions = positions
        self._picks = list(positions.items())
        self._reach = max(positions.values()) + 1
        self._headers = {column.key: column.header_zh for column in columns}
        self.keys = (*positions, *self._absent)

    def records(self, raw: Iterable[RawRow]) -> Iterator[Row]:
        """Data rows as {key: text}, blank rows skipped."""
        absent, picks, reach = self._absent, self._picks, self._reach
        keys = tuple(self._positions)
        take = itemgetter(*self._positions.values())
        for number, cells in raw:
            if not any(cells):
                continue
            if number > MAX_ROWS + 1:
                raise Invalid("tabular.too_many_rows", limit=MAX_ROWS)
            width = len(cells)
            if width > MAX_COLUMNS:
                raise Invalid("tabular.too_many_columns", limit=MAX_COLUMNS, row=number)
            if max(map(len, cells)) > MAX_CELL_CHARS:
                _refuse_long_cell(number, cells, picks, self._headers)
            if width >= reach:
                # The usual row, every matched column present: one C-level pick of the cells.
                picked = take(cells)
                record = dict(zip(keys, picked if len(keys) > 1 else (picked,), strict=True))
            else:
                record = {key: cells[i] if i < width else "" for key, i in picks}
            record.update(absent)
            yield number, record

    def texts(self, block: TextBlock) -> Columns | None:
        """The block's rows by column, if none of them is blank or breaks a bound (those are
        taken row by row)."""
        width, cells, numbers = block.width, block.cells, block.numbers
        if not numbers or width > MAX_COLUMNS or numbers[-1] > MAX_ROWS + 1:
            return None
        longest = max(map(len, cells))
        if longest > MAX_CELL_CHARS:
            return None
        rows = zip(*(cells[i::width] for i in range(width)), strict=True)
        if "" in cells and not all(map(any, rows)):
            return None  # a blank row
        blank = [""] * len(numbers)
        picked = {
            key: _one_if_same(cells[index::width]) if index < width else blank
            for key, index in self._positions.items()
        }
        return Columns(numbers, picked | {key: blank for key in self._absent}, longest)


def _refuse_long_cell(
    number: int, cells: list[str], picks: list[tuple[str, int]], headers: dict[str, str]
) -> None:
    """Refuse the row if one of its matched cells is over MAX_CELL_CHARS (others are ignored)."""
    width = len(cells)
    for key, i in picks:
        if i < width and len(cells[i]) > MAX_CELL_CHARS:
            raise Invalid(
                "tabular.cell_too_long", limit=MAX_CELL_CHARS, row=number, column=headers[key]
            )


def _open_csv(path: Path) -> tuple[Iterator[RawBlock], int | None, Callable[[], None]]:
    """Numbered rows of stripped cell texts, an estimated row count, and a closer."""
    encoding, lines = _detect_encoding(path)
    stream = path.open(encoding=encoding, newline="")
    return _batched(_csv_rows(stream, encoding)), lines, stream.close


_BATCH = 1000


def _batched(rows: Iterator[RawRow]) -> Iterator[list[RawRow]]:
    """Rows read one by one, in blocks: up to the header row one at a time (it is checked
    before a row after it is read, as a malformed row after it is a row error)."""
    for row in rows:
        yield [row]
        if any(row[1]):
            break
    while batch := list(islice(rows, _BATCH)):
        yield batch


def _csv_rows(stream: IO[str], encoding: str) -> Iterator[RawRow]:
    """Rows of stripped cells; a malformed row (open quote, overlong line) is a row error."""
    reader = csv.reader(_bounded_lines(stream), strict=True)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise Invalid("tabular.csv_malformed", row=number + 1) from None
        number += 1
        if encoding == "gb18030":
            _refuse_utf8_in_gb18030(number, cells)
        yield number, [cell.strip() for cell in cells]


def _bounded_lines(stream: IO[str]) -> Iterator[str]:
    for number, line in enumerate(stream, start=1):
        if len(line) > _MAX_LINE_CHARS:
            raise Invalid("tabular.line_too_long", row=number)
        yield line


def _refuse_utf8_in_gb18030(row: int, cells: list[str]) -> None:
    """A cell pasted from a UTF-8 source into a GB18030 file decodes as mojibake: refuse it.

    Its bytes are then UTF-8 for Chinese text. Ordinary GB18030 text may be valid UTF-8 by
    chance (女 is C5 AE, UTF-8 for Ů), but it does not read as Chinese that way.
    """
    for cell in cells:
        if cell.isascii():
            continue
        try:
            as_utf8 = cell.encode("gb18030").decode("utf-8")
        except UnicodeError:
            continue
        if _reads_as_chinese(as_utf8):
            raise Invalid("tabular.mixed_encoding", row=row)


def _reads_as_chinese(text: str) -> bool:
    """Some CJK ideographs, and nothing else but ASCII and common punctuation (·、，)."""
    wide = [char for char in text if not char.isascii()]
    return any(_is_ideograph(char) for char in wide) and all(
        _is_ideograph(char) or unicodedata.category(char).startswith(("P", "Z")) for char in wide
    )


def _is_ideograph(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def _detect_encoding(path: Path) -> tuple[str, int]:
    """UTF-8 (BOM optional) if the whole file decodes strictly, else GB18030, else refuse."""
    for encoding in ("utf-8-sig", "gb18030"):
        lines = _decodes_as(path, encoding)
        if lines is not None:
            return encoding, lines
    raise Invalid("tabular.encoding")


def _decodes_as(path: Path, encoding: str) -> int | None:
    """Line count (an estimate of rows) if `path` decodes as `encoding`, else None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    last = b""
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
                lines += chunk.count(b"\n")
                last = chunk
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    return lines + (1 if last and not last.endswith(b"\n") else 0)


def _open_sheet(
    path: Path,
) -> tuple[Iterator[RawBlock], int | None, Callable[[], None]]:
    """Numbered rows of the first sheet (.xlsx, .xls or .ods) as cell texts, its row count
    (an estimate), a closer."""
    # An .xlsx is streamed (xlsx_rows: flat memory, faster than calamine on the usual sheet).
    # calamine (Rust) reads .xls and .ods whole; it trusts the file's cell references and
    # sizes, so those are checked first (.xlsx and .ods are zip packages of XML; an .xls is
    # bounded by its file size). The rows present are bounded below as they are read,
    # whatever a sheet declares.
    if path.suffix.lower() == ".xlsx":
        # Checked as check_xlsx checks it, its sheet as it is read (inflated once).
        first = open_first_sheet(str(path), path.name, XLSX_LIMITS)
        return _sheet_blocks(first.blocks), first.last_row, first.close
    if path.suffix.lower() == ".ods":
        check_ods(path, XLSX_LIMITS)
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except (CalamineError, OSError, IndexError, ValueError):
        raise Invalid("tabular.unreadable", name=path.name) from None
    if sheet.height > MAX_ROWS + 1:
        raise Invalid("tabular.too_many_rows", limit=MAX_ROWS)
    if sheet.width > MAX_COLUMNS:
        raise Invalid("tabular.too_many_columns", limit=MAX_COLUMNS, row=1)
    rows = enumerate(sheet.iter_rows(), start=1)
    blocks = _batched(_sheet_rows(rows))
    return blocks, sheet.end[0] + 1 if sheet.end else None, lambda: None


# Cell texts of a sheet's first rows are kept once and shared by later equal cells: a column
# of a few values (学生类型, 考试计划, 机构代码) then costs one string, not one per row.
_SHARING_ROWS = 256
_SHARED_TEXTS = 4096


def _sheet_blocks(blocks: Iterable[TextBlock | list[tuple[int, list[Any]]]]) -> Iterator[RawBlock]:
    """The blocks of xlsx_rows as the texts the user typed: a text block stripped at C speed,
    other rows as `_sheet_rows` takes them."""
    shared: dict[str, str] = {}
    for block in blocks:
        if isinstance(block, TextBlock):
            yield TextBlock(block.numbers, block.width, list(map(str.strip, block.cells)))
        else:
            yield list(_sheet_rows(block, shared))


def _sheet_rows(
    numbered: Iterable[tuple[int, Sequence[object]]], shared: dict[str, str] | None = None
) -> Iterator[RawRow]:
    """Cell values (calamine's, or xlsx_rows' alike) as the texts the user typed."""
    shared = {} if shared is None else shared
    for number, cells in numbered:
        try:
            # The usual row, text cells only: stripped and shared at C speed.
            texts = list(map(str.strip, cells))  # type: ignore[arg-type]
        except TypeError:  # numbers, dates, blanks: each cell as the user typed it
            yield number, [_cell_text(value) for value in cells]
            continue
        if number <= _SHARING_ROWS and len(shared) < _SHARED_TEXTS:
            shared.update(zip(texts, texts, strict=True))
        yield number, list(map(shared.get, texts, texts))


def _cell_text(value: object) -> str:
    """An Excel cell as the text the user typed: 1.0 -> '1', 1.1e17 -> digits, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return NumberText(value)
    if isinstance(value, float):
        if value.is_integer():
            return NumberText(int(value))
        return NumberText(format(Decimal(repr(value)), "f"))
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True)
class RowError:
    """One bad cell of an import: file row number, column header as in the file, the reason
    (in `locale`, which also words the row and column: 第 2 行，身份证号：…)."""

    row: int
    column: str
    message: str
    locale: str = field(default=DEFAULT_LOCALE, compare=False)

    def __str__(self) -> str:
        if not self.column:
            return t("tabular.row_error_no_column", self.locale, row=self.row, message=self.message)
        return t(
            "tabular.row_error",
            self.locale,
            row=self.row,
            column=self.column,
            message=self.message,
        )


@dataclass(frozen=True)
class MoreErrors(RowError):
    """What stands for the bad cells past the first MAX_REPORTED: …及其他 N 处."""

    def __str__(self) -> str:
        return self.message


# A file with a million bad cells is refused just the same: past this many, bad cells are
# counted, not kept (memory stays flat, the report stays readable).
MAX_REPORTED = 1000


class RowErrors:
    """Collects the bad rows of an import (the first MAX_REPORTED, and a count of the rest),
    so the caller can refuse the file all at once."""

    def __init__(self, table: Table, locale: str = DEFAULT_LOCALE) -> None:
        self._table = table
        self._locale = locale
        self._errors: list[RowError] = []
        self._more = 0
        self._last_row = 0

    def add(self, row: int, key: str, message: str) -> None:
        """Record that column `key` of `row` is bad because of `message`."""
        self._last_row = max(self._last_row, row)
        if len(self._errors) >= MAX_REPORTED:
            self._more += 1
            return
        self._errors.append(RowError(row, self._table.header(key), message, self._locale))

    def check(self, row: int, key: str, parse: Callable[[str], T], value: str) -> T | None:
        """`parse(value)`, or record its domain error for this cell and return None."""
        try:
            return parse(value)
        except DomainError as error:
            self.add(row, key, error.message(self._locale))
            return None

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __len__(self) -> int:
        return len(self._errors) + self._more

    def __iter__(self) -> Iterator[RowError]:
        """The errors kept, then (sorting last by row) one line for those only counted."""
        if not self._more:
            return iter(self._errors)
        more = t("tabular.more_errors", self._locale, count=self._more)
        return chain(self._errors, [MoreErrors(self._last_row, "", more, self._locale)])


def write_table(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]], fmt: Format
) -> int:
    """Write a table to `path` (complete or not at all); returns the number of data rows."""
    counted: list[int] = []
    write_output(path, lambda stream: counted.append(_write(stream, headers, rows, fmt)))
    return counted[0]


def write_table_bytes(
    headers: Sequence[str], rows: Iterable[Sequence[object]], fmt: Format
) -> bytes:
    """The same file as `write_table`, in memory, for sending in chat."""
    stream = io.BytesIO()
    _write(stream, headers, rows, fmt)
    return stream.getvalue()


def _write(
    stream: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[object]], fmt: Format
) -> int:
    """Write the table in `fmt` to a binary stream; returns the number of data rows."""
    if fmt == "csv":
        return _write_csv(stream, headers, rows)
    if fmt == "xlsx":
        return _write_xlsx(stream, headers, rows)
    raise ValueError(f"unknown table format {fmt!r}")


def _defuse(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (CSV injection, OWASP)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _write_csv(stream: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """CSV rows, UTF-8 with BOM."""
    # UTF-8 with BOM: Excel on Chinese Windows otherwise reads the file as GBK.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([_defuse(str(header)) for header in headers])
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        count += 1
    text.flush()
    text.detach()
    return count


def _csv_cell(value: object) -> str:
    """A value as CSV text: ISO dates, plain numbers, defused strings."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _defuse(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return _defuse(str(value))


def _write_xlsx(stream: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """A write-only (streamed) workbook: bold frozen header, fitted column widths."""
    # Imported here: openpyxl (with numpy, which it loads when installed) takes over half a
    # second to import, which every start of the command line would pay to write no workbook.
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    rows = iter(rows)
    sample = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    for index, width in enumerate(_column_widths(headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_header_cell(sheet, header, bold) for header in headers])
    count = 0
    for row in chain(sample, rows):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        count += 1
    book.save(stream)
    return count


def _header_cell(sheet: WriteOnlyWorksheet, header: str, font: Font) -> WriteOnlyCell:
    """A bold header cell."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(sheet, value=_defuse(ILLEGAL_CHARACTERS_RE.sub("", str(header))))
    cell.font = font
    return cell


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: object) -> Any:
    """A value openpyxl writes safely: long digit runs as text so Excel keeps every digit."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat(sep=" ", timespec="seconds")  # Excel has no time zones
    if value is None or isinstance(value, bool | float | Decimal | date | time):
        return value
    if isinstance(value, int):
        if abs(value) < 10**_EXCEL_EXACT_DIGITS:
            return value
        value = str(value)
    text = _defuse(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    if _DIGITS.fullmatch(text):
        cell = WriteOnlyCell(sheet, value=text)
        cell.number_format = "@"
        return cell
    return text


def _column_widths(headers: Sequence[str], sample: list[Sequence[object]]) -> list[float]:
    """Widths fitting the header and the first rows, CJK characters counted double."""
    widths = [_display_width(str(header)) for header in headers]
    for row in sample:
        for index, value in enumerate(row[: len(widths)]):
            if value is not None:
                widths[index] = max(widths[index], _display_width(str(value)))
    return [min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH) for width in widths]


def _display_width(text: str) -> int:
    """Text width in spreadsheet columns."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def progress(iterable: Iterable[T], total: int | None, desc: str) -> Iterable[T]:
    """A progress bar on stderr for long CLI jobs; silent when stderr is not a terminal."""
    return tqdm(iterable, total=total, desc=desc, **_bar())


def progress_blocks(blocks: Iterable[Columns], total: int | None, desc: str) -> Iterator[Columns]:
    """`progress` of rows read a block at a time."""
    with tqdm(total=total, desc=desc, **_bar()) as bar:
        for block in blocks:
            yield block
            bar.update(len(block))


def _bar() -> dict[str, Any]:
    """How every progress bar shows: on stderr when it is a terminal, after two seconds."""
    return {
        "unit": "行",
        "file": sys.stderr,
        "disable": not sys.stderr.isatty(),
        "delay": 2.0,
        "leave": False,
    }
