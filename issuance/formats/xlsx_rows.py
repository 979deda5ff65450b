"""The first sheet of an .xlsx workbook (工作表) as a stream of rows, in flat memory.

The sheet's XML is inflated in 1 MiB reads and cut at the last row end; each row is read by
precompiled regular expressions for the cell shapes spreadsheets write (inline and shared
strings, numbers, booleans, formulas with their cached value, empty styled cells). A row the
fast path does not account for cell by cell is parsed exactly with an XML parser, so the fast
path changes only the speed, never a value. Values are what python-calamine gives for the same
cells (str, float, bool, date, time, datetime, timedelta; "" for an empty cell), rows numbered
as in the spreadsheet, cells placed by their column from A.

Blocks as write-only workbooks write them (inline strings, each row's cells from A) are read in
bulk: a few C-level passes over the whole block, checked in bulk. That is what makes the reader
faster than calamine's Rust on the usual import file; every other block is read row by row.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate, chain, islice, repeat
from typing import IO, AnyStr
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from issuance.core.errors import Invalid
from issuance.formats.xlsx_check import PartGuard, XlsxLimits, check_package

Value = str | float | bool | date | time | datetime | timedelta
SheetRow = tuple[int, list[Value]]


@dataclass(frozen=True)
class TextBlock:
    """Consecutive rows of text cells only, all of one width, as the bulk path reads them:
    their numbers, and their cells in one list, row after row (`width` each)."""

    numbers: list[int]
    width: int
    cells: list[str]

    def __len__(self) -> int:
        return len(self.numbers)

    def rows(self) -> list[SheetRow]:
        """The same rows one by one."""
        cells = iter(self.cells)
        widths = repeat(self.width, len(self.numbers))
        return list(zip(self.numbers, map(list, map(islice, repeat(cells), widths)), strict=True))


# What the reader yields at a time: a block of text rows, or rows one by one.
Block = TextBlock | list[SheetRow]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_M = "{" + _MAIN + "}"

_READ = 1 << 20
# One row (or one shared string) of at most 100 cells of 2,000 characters fits many times
# over; a file whose next row end is further away than this is refused, not buffered.
MAX_ROW_BYTES = 16 << 20
# The workbook, its relationships and styles are parsed whole: kilobytes, a few MB at most.
MAX_PART_BYTES = 16 << 20
# Shared strings are kept for the whole read: bounded, whatever the package declares.
MAX_SHARED_CHARS = 24_000_000
MAX_SHARED_STRINGS = 4_000_000

_ERRORS = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DECLARATIONS = re.compile(r"""\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_ROOT = re.compile(rb"<([\w.-]+:)?worksheet\b[^>]*>")
_SHEET_DATA = re.compile(rb"<([\w.-]+:)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension ref="[A-Z]*\d+(?::[A-Z]*(\d+))?"')
_REFERENCE = re.compile(r"([A-Za-z]*)(\d+)")

_DATE, _DELTA = "date", "delta"
# A part's stream, or the same checked as it is read.
_Stream = IO[bytes] | PartGuard
# Builtin number formats that are not dates: General and text (@), what most files use.
_PLAIN_FORMATS = frozenset((None, "0", "49"))


class _Unreadable(Exception):
    """The sheet breaks a rule calamine also refuses (as tabular.unreadable)."""


class _Strings:
    """The shared strings (共享字符串) as one text and offsets: a few MB for 200,000 strings.

    The first ones are also kept as strings: a workbook lists its strings as they first
    appear, so the values repeated down a column (school, status, plan) are among them and
    cost a lookup instead of a slice."""

    _KEPT = 4096

    def __init__(self, text: str, ends: array[int]) -> None:
        self.text = text
        self.ends = ends
        count = min(len(ends) - 1, self._KEPT)
        self._first = [text[ends[i] : ends[i + 1]] for i in range(count)]

    def __len__(self) -> int:
        return len(self.ends) - 1

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        ends = self.ends
        return self.text[ends[index] : ends[index + 1]]

    def get(self, index: int) -> str:
        """The string at `index`, looked up if it is one of the first."""
        return self._first[index] if 0 <= index < len(self._first) else self[index]

    def take(self, indexes: Iterable[int]) -> list[str]:
        """The strings at `indexes`, in order."""
        text, ends, first, kept = self.text, self.ends, self._first, len(self._first)
        return [first[i] if i < kept else text[ends[i] : ends[i + 1]] for i in indexes]


@dataclass(frozen=True)
class Sheet:
    """The first sheet, opened: its declared last row (an estimate) and its rows, once: one by
    one (`rows`) or as the reader reads them, in blocks (`blocks`)."""

    last_row: int | None
    blocks: Iterator[Block]
    close: Callable[[], None]

    @property
    def rows(self) -> Iterator[SheetRow]:
        for block in self.blocks:
            yield from block.rows() if isinstance(block, TextBlock) else block


def open_first_sheet(path: str, name: str, limits: XlsxLimits | None = None) -> Sheet:
    """Open the workbook's first sheet (as calamine finds it); Invalid if it cannot be read.
    With `limits`, the package is checked as `check_xlsx` checks it: the sheet as it is read."""
    package = _open_zip(path, name)
    try:
        if limits is not None:
            check_package(package, limits, name, _sheet_part(package))
        book = _Workbook.read(package)
        stream = _open_part(package, book.sheet, name)
        guard = None
        if limits is not None:
            guard = PartGuard(stream, package.getinfo(book.sheet), limits, name)
        reader = _SheetReader(book, guard or stream, guard)
        last_row = reader.start(package.getinfo(book.sheet).file_size)
    except BaseException as error:
        package.close()
        raise _refusal(error, name) from None
    blocks = _guarded(reader.blocks(), name)

    def close() -> None:
        blocks.close()
        stream.close()
        package.close()

    return Sheet(last_row, blocks, close)


def _open_zip(path: str, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise Invalid("tabular.unreadable", name=name) from None


def _sheet_part(package: zipfile.ZipFile) -> str | None:
    """The first sheet's part, if the workbook names one that is there (else it is checked
    with the others, and reading it says what is wrong)."""
    try:
        workbook = _parse_member(package, "xl/workbook.xml")
        return None if workbook is None else _first_sheet(package, workbook)
    except Exception:
        return None


def _open_part(package: zipfile.ZipFile, member: str, name: str) -> IO[bytes]:
    try:
        return package.open(member)
    except (NotImplementedError, RuntimeError):  # a compression or encryption zipfile lacks
        raise Invalid("tabular.unreadable", name=name) from None


def _guarded(blocks: Iterator[Block], name: str) -> Generator[Block, None, None]:
    try:
        yield from blocks
    except Exception as error:
        raise _refusal(error, name) from None


# What reading a damaged package raises: a truncated or corrupt zip, malformed XML, a value
# that is not a number, a shared string or a row reference that does not exist.
_DAMAGE = (
    _Unreadable,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ParseError,
    DefusedXmlException,
    KeyError,
    IndexError,
    ValueError,
)


def _refusal(error: BaseException, name: str) -> BaseException:
    """A damaged package's error as the catalog's tabular.unreadable; others as they are."""
    if isinstance(error, _DAMAGE) and not isinstance(error, Invalid):
        return Invalid("tabular.unreadable", name=name)
    return error


def _member(package: zipfile.ZipFile, path: str) -> str | None:
    """The package's name for `path`, compared without case as calamine does."""
    wanted = path.lower()
    return next((n for n in package.namelist() if n.lower() == wanted), None)


def _parse_member(package: zipfile.ZipFile, path: str) -> Element | None:
    """A small part (workbook, relationships, styles) parsed whole, if not over MAX_PART_BYTES."""
    member = _member(package, path)
    if member is None:
        return None
    with package.open(member) as stream:
        data = stream.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise Invalid("tabular.xlsx_bomb")
    root: Element = safe_xml.fromstring(data)
    return root


@dataclass(frozen=True)
class _Workbook:
    """What the sheet's cells refer to: shared strings, the date kind of each cell style."""

    sheet: str
    strings: _Strings
    kinds: tuple[str | None, ...]
    is_1904: bool

    @classmethod
    def read(cls, package: zipfile.ZipFile) -> _Workbook:
        workbook = _parse_member(package, "xl/workbook.xml")
        if workbook is None:
            raise _Unreadable("no workbook")
        sheet = _first_sheet(package, workbook)
        properties = workbook.find(f"{_M}workbookPr")
        is_1904 = properties is not None and properties.get("date1904") in ("1", "true")
        return cls(
            sheet=sheet,
            strings=_shared_strings(package),
            kinds=_style_kinds(_parse_member(package, "xl/styles.xml")),
            is_1904=is_1904,
        )


def _first_sheet(package: zipfile.ZipFile, workbook: Element) -> str:
    """The part of the workbook's first <sheet>, through the workbook's relationships."""
    first = workbook.find(f"{_M}sheets/{_M}sheet")
    if first is None:
        raise _Unreadable("no sheet")
    rid = first.get(f"{{{_DOC_RELS}}}id")
    relations = _parse_member(package, "xl/_rels/workbook.xml.rels")
    targets = {} if relations is None else {r.get("Id"): r.get("Target") for r in relations}
    target = targets.get(rid)
    if not target:
        raise _Unreadable("no sheet part")
    if target.startswith("/xl/"):
        part = target[1:]
    else:
        part = target if target.startswith("xl/") else f"xl/{target}"
    member = _member(package, part)
    if member is None:
        raise _Unreadable("sheet part missing")
    return member


def _style_kinds(styles: Element | None) -> tuple[str | None, ...]:
    """Per cell style (cellXfs order): a date, a duration, or neither, by its number format."""
    if styles is None:
        return ()
    custom = {
        f.get("numFmtId"): f.get("formatCode")
        for f in styles.iterfind(f"{_M}numFmts/{_M}numFmt")
        if f.get("formatCode")
    }
    numbers = [xf.get("numFmtId") for xf in styles.iterfind(f"{_M}cellXfs/{_M}xf")]
    if not custom and all(number in _PLAIN_FORMATS for number in numbers):
        return (None,) * len(numbers)
    # Imported here: openpyxl takes 0.15 s to import, which the command line must not pay at
    # start, nor an import of General and text cells (the usual export) at all.
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    kinds: list[str | None] = []
    for number in numbers:
        builtin = int(number) if number and number.isdigit() else None
        code = custom[number] if number in custom else BUILTIN_FORMATS.get(builtin)
        if code and is_timedelta_format(code):
            kinds.append(_DELTA)
        else:
            kinds.append(_DATE if code and is_date_format(code) else None)
    return tuple(kinds)


def _decode(text: str) -> str:
    """OOXML's _xHHHH_ escapes (Excel writes _x000D_ for a carriage return)."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)


def _local(tag: str) -> str:
    """An element's name without its namespace: calamine matches names so, whatever the prefix."""
    return tag.rpartition("}")[2]


def _string(element: Element) -> str | None:
    """A string item (<si> or <is>) as calamine reads it: the first plain <t>, or the rich text
    runs (<r><t>) joined; phonetic runs (<rPh>) left out; None if it holds no text at all."""
    phonetic = {id(t) for ph in element.iter() if _local(ph.tag) == "rPh" for t in ph.iter()}
    runs: list[str] | None = None
    for child in element.iter():
        name = _local(child.tag)
        if name == "r" and runs is None:
            runs = []
        elif name == "t" and id(child) not in phonetic:
            if runs is None:
                return _decode(child.text or "")
            runs.append(child.text or "")
    return None if runs is None else _decode("".join(runs))


def _read_head(
    stream: IO[bytes] | PartGuard, pattern: re.Pattern[bytes]
) -> tuple[re.Match[bytes], bytes]:
    """Read up to the end of the first match of `pattern`: the match and the bytes after it."""
    buffer = b""
    while chunk := stream.read(_READ):
        buffer += chunk
        found = pattern.search(buffer)
        if found is not None:
            return found, buffer[found.end() :]
        if len(buffer) > MAX_ROW_BYTES:
            break
    raise _Unreadable("no data")


def _blocks(
    stream: _Stream,
    end: bytes,
    tail: bytes,
    stop: bytes,
    seen: Callable[[bytes], None] | None = None,
) -> Iterator[bytes]:
    """The rest of the part about 1 MiB at a time, each block cut just after an `end` tag, up
    to the `stop` tag (the last block holds what follows the last `end`, up to `stop` or more;
    what follows is not read). A block too large is refused, once `seen` (a check of the
    bytes read) has passed it."""
    while stop not in tail and (chunk := stream.read(_READ)):
        buffer = tail + chunk
        cut = buffer.rfind(end) + len(end)
        if cut >= len(end):
            yield buffer[:cut]
            buffer = buffer[cut:]
        if len(buffer) > MAX_ROW_BYTES:
            if seen is not None:
                seen(buffer[: buffer.rfind(b">") + 1])
            raise Invalid("tabular.xlsx_row_too_large", limit=MAX_ROW_BYTES >> 20)
        tail = buffer
    yield tail


def _holds(block: AnyStr, mark: AnyStr) -> bool:
    """`mark in block`, its rarer end looked for first (a one-character search is much faster,
    and "<" is everywhere)."""
    probe = mark[-1:] if mark[:1] in ("<", b"<") else mark[:1]
    return probe in block and mark in block


def _declarations(root_tag: bytes) -> str:
    """The namespace declarations of a part's root, for parsing a fragment of the part."""
    return "".join(_DECLARATIONS.findall(root_tag.decode()))


class _StringStore:
    """Shared strings collected block by block into one text and an array of offsets."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._ends = array("I", [0])
        self._chars = 0

    def add(self, texts: list[str]) -> None:
        joined = "".join(texts)
        self._chars += len(joined)
        if self._chars > MAX_SHARED_CHARS or len(self._ends) > MAX_SHARED_STRINGS:
            raise Invalid("tabular.xlsx_bomb")
        self._pieces.append(joined)
        self._ends.extend(islice(accumulate(map(len, texts), initial=self._ends[-1]), 1, None))

    def done(self) -> _Strings:
        return _Strings("".join(self._pieces), self._ends)


_SST_ROOT = re.compile(rb"<([\w.-]+:)?sst\b[^>]*>")


def _shared_strings(package: zipfile.ZipFile) -> _Strings:
    """xl/sharedStrings.xml, streamed (calamine reads that path, not the relationship)."""
    store = _StringStore()
    member = _member(package, "xl/sharedStrings.xml")
    if member is None:
        return store.done()
    with package.open(member) as stream:
        root, rest = _read_head(stream, _SST_ROOT)
        p = (root[1] or b"").decode()
        fast = re.compile(
            rf'<{p}si><{p}t(?: xml:space="preserve")?>([^<&\r]*)</{p}t></{p}si>'
            rf"|<{p}si><{p}t/></{p}si>"
        )
        opening, closing = f"<{p}si", f"</{p}si>"
        wrapper = f"<w{_declarations(root[0])}>{{}}</w>"
        for raw in _blocks(stream, closing.encode(), rest, f"</{p}sst>".encode()):
            body, end, _ = raw.decode().rpartition(closing)
            items = body + end
            texts = fast.findall(items)
            if len(texts) == items.count(opening) and not _holds(items, "_x") and "<!" not in items:
                store.add(texts)
            elif items:
                parsed = safe_xml.fromstring(wrapper.format(items))
                store.add([s for s in map(_string, parsed) if s is not None])
    return store.done()


def _column(letters: str) -> int:
    """0-based column of A, B, …, XFD (as calamine reads it, in either case)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DENSE = (*_ALPHABET, *(a + b for a in _ALPHABET for b in _ALPHABET))


class _SheetReader:
    """Rows of one sheet part: the fast path per row, the exact parse where it does not fit."""

    def __init__(self, book: _Workbook, stream: _Stream, guard: PartGuard | None) -> None:
        self._stream = stream
        self._guard = guard
        self._strings = book.strings
        self._kinds = book.kinds
        self._1904 = book.is_1904
        self._rest = b""
        self._empty = False
        self._next = 0  # the number of the last row read (calamine's row index)

    def start(self, size: int) -> int | None:
        """Read up to the sheet's data; its last row as declared, else as estimated from the
        rows read so far and the part's `size` (for a progress bar: write-only workbooks, the
        usual export, declare none)."""
        data, self._rest = _read_head(self._stream, _SHEET_DATA)
        if self._guard is not None:
            self._guard.refs(data.string[: data.end()])
        head = data.string[: data.start()]
        root = _ROOT.search(head)
        if root is None:
            raise _Unreadable("not a worksheet")
        self._empty = data[2] == b"/"
        self._bulk = not data[1]
        self._compile((data[1] or b"").decode(), _declarations(root[0]))
        dimension = _DIMENSION.search(head)
        if dimension and dimension[1]:
            return int(dimension[1])
        rows = self._rest.count(self._row_end.encode())
        return rows * (size - data.end()) // len(self._rest) if rows else None

    def _compile(self, p: str, declarations: str) -> None:
        self._row_end = f"</{p}row>"
        self._data_end = f"</{p}sheetData>".encode()
        self._cell_open = f"<{p}c"
        self._wrapper = f"<w{declarations}>{{}}</w>"
        self._row_head = re.compile(rf'\s*<{p}row r="(\d+)"[^>/]*>')
        self._cell = re.compile(
            rf'<{p}c r="([A-Z]{{1,3}})(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?(?:/>|>'
            rf'(?:<{p}is><{p}t(?: xml:space="preserve")?>([^<]*)</{p}t></{p}is>'
            rf"|(?:<{p}f[^>]*/>|<{p}f[^>]*>[^<]*</{p}f>)?(?:<{p}v>([^<]*)</{p}v>)?)</{p}c>)"
        )
        self._prefix = p
        self._loose_cell = re.compile(rf"<{p}c[\s/>]")

    def blocks(self) -> Iterator[Block]:
        """The sheet's rows, a block at a time: numbered in order, each with cells."""
        rest, self._rest = self._rest, b""  # held by the blocks below only as long as needed
        if self._empty:
            if self._guard is not None:
                self._guard.drain(rest)
            return
        last = 0
        row_end = self._row_end.encode()
        tail = b""
        guard = self._guard
        seen = None if guard is None else guard.refs
        raws = _blocks(self._stream, row_end, rest, self._data_end, seen)
        del rest
        for raw in raws:
            block = raw
            if not raw.endswith(row_end):  # the last block: rows, then the end of the data
                body, end, tail = raw.rpartition(row_end)
                block = body + end
            bulk = _bulk_rows(block, self._strings, self._number) if self._bulk else None
            if guard is not None:
                _check_block(guard, block, bulk)
            if bulk is not None and bulk.numbers:
                if bulk.numbers[0] <= last:
                    raise _Unreadable("rows out of order")
                last = self._next = bulk.numbers[-1]
                yield bulk.block()
                continue
            rows: list[SheetRow] = []
            for row in self._block_rows(block.decode()) if bulk is None else []:
                if row[0] <= last:
                    if rows:  # the rows before it first (the header row among them is checked)
                        yield rows
                    raise _Unreadable("rows out of order")
                last = row[0]
                if row[1]:
                    rows.append(row)
            if rows:
                yield rows
        if guard is not None:
            guard.drain(tail)
        self._check_tail(tail.decode())
        if self._data_end not in tail:
            raise _Unreadable("sheet data never ends")

    def _block_rows(self, block: str) -> list[SheetRow]:
        """The rows of a block of whole rows: each by the fast path if it accounts for them."""
        if not block:
            return []
        if self._unusual(block):
            return list(self._exact(block))
        plain = "&" not in block and "\r" not in block and not _holds(block, "_x")
        row_end = self._row_end
        rows: list[SheetRow] = []
        for piece in block.split(row_end)[:-1]:
            row = self._fast(piece) if plain or not _special(piece) else None
            if row is None:
                rows.extend(self._exact(piece + row_end))
            else:
                rows.append(row)
        return rows

    def _unusual(self, block: str) -> bool:
        """Whether the block holds what the fast path does not see: comments, CDATA, processing
        instructions, or cells and rows under another prefix (calamine reads any prefix)."""
        if _holds(block, "<!") or _holds(block, "<?"):
            return True
        p = self._prefix
        if not p:
            return _holds(block, ":c") or _holds(block, ":row")
        own = block.count(f"<{p}c") + block.count(f"</{p}c")
        own_rows = block.count(f"<{p}row") + block.count(f"</{p}row")
        return (
            "<c" in block
            or "<row" in block
            or block.count(":c") != own
            or block.count(":row") != own_rows
        )

    def _check_tail(self, tail: str) -> None:
        """What follows the last row end: a cell there is in a row that never ends."""
        if self._loose_cell.search(tail) is not None:
            raise _Unreadable("unterminated row")

    def _fast(self, piece: str) -> SheetRow | None:
        """The row by the cell patterns, or None unless they account for every cell."""
        head = self._row_head.match(piece)
        if head is None:
            return None
        start = head.end()
        cells = self._cell.findall(piece, start)
        if len(cells) != piece.count(self._cell_open, start):
            return None
        number = head[1]
        self._next = int(number)
        if not cells:
            return self._next, []
        columns, rows, styles, types, texts, values = zip(*cells, strict=True)
        if rows.count(number) != len(rows):
            return None
        if types.count("inlineStr") == len(types):
            out: list[Value] = list(texts)
        else:
            out = self._values(styles, types, texts, values)
        if columns != _DENSE[: len(columns)]:
            out = _placed(map(_column, columns), out)
        return self._next, out

    def _values(
        self,
        styles: tuple[str, ...],
        types: tuple[str, ...],
        texts: tuple[str, ...],
        values: tuple[str, ...],
    ) -> list[Value]:
        out: list[Value] = []
        text, ends = self._strings.text, self._strings.ends
        for style, kind, inline, value in zip(styles, types, texts, values, strict=True):
            if inline or kind == "inlineStr":
                out.append(inline)
            elif kind == "s" and value.isdigit():
                index = int(value)
                out.append(text[ends[index] : ends[index + 1]])
            else:
                out.append(self._typed(kind, style, value))
        return out

    def _typed(self, kind: str, style: str, value: str) -> Value:
        """A <v> value of a cell of type `kind` and style `style`, as calamine gives it."""
        if not value:
            return ""
        if not kind or kind == "n":
            return self._number(float(value), style)
        if kind == "s":
            if not value.isdigit():
                raise _Unreadable("shared string index")
            return self._strings[int(value)]
        if kind == "str":
            return _decode(value)
        if kind == "b":
            return _BOOLEANS[value]
        if kind == "e":
            if value not in _ERRORS:
                raise _Unreadable("cell error")
            return ""
        if kind == "d":
            return _iso_moment(value)
        if kind == "inlineStr":
            return ""
        raise _Unreadable("cell type")

    def _number(self, value: float, style: str | bytes) -> Value:
        """A number cell's value: the number, or the date, time or duration its style says."""
        kinds = self._kinds
        index = int(style) if style else 0
        kind = kinds[index] if index < len(kinds) else None
        if kind is None:
            return value
        if kind == _DELTA:
            return timedelta(milliseconds=round(value * 86_400_000))
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        try:
            moment = from_excel(value, CALENDAR_MAC_1904 if self._1904 else CALENDAR_WINDOWS_1900)
        except (OverflowError, ValueError):
            return value
        if isinstance(moment, datetime):
            if value < 1:
                return moment.time()
            if value == int(value):
                return moment.date()
        return moment  # type: ignore[no-any-return]

    def _exact(self, fragment: str) -> Iterator[SheetRow]:
        """Rows of a fragment of sheet data, parsed as XML, placed as calamine places them."""
        found: dict[int, dict[int, Value]] = {}
        for row in safe_xml.fromstring(self._wrapper.format(fragment)):
            if _local(row.tag) != "row":
                continue
            reference = row.get("r")
            number = int(reference) if reference else self._next + 1
            column = 0
            for cell in row:
                if _local(cell.tag) != "c":
                    continue
                at, column = self._position(cell.get("r"), number, column)
                value = self._exact_value(cell)
                column += 1
                if value is not None:
                    found.setdefault(at, {})[column - 1] = value
                else:
                    found.setdefault(at, {})
            found.setdefault(number, {})
            self._next = number
        for number in sorted(found):
            cells = found[number]
            yield number, _placed(cells.keys(), list(cells.values())) if cells else []

    @staticmethod
    def _position(reference: str | None, row: int, column: int) -> tuple[int, int]:
        if reference is None:
            return row, column
        parts = _REFERENCE.fullmatch(reference)
        if parts is None or not parts[1]:
            raise _Unreadable("cell reference")
        return int(parts[2]), _column(parts[1])

    def _exact_value(self, cell: Element) -> Value | None:
        """The cell's value, None when it has none (calamine's Empty)."""
        value: Value | None = None
        for child in cell:
            name = _local(child.tag)
            if name == "is":
                value = _string(child)
            elif name == "v":
                text = child.text or ""
                value = self._typed(cell.get("t", ""), cell.get("s", ""), text) if text else None
                if cell.get("t") == "str" and not text:
                    value = ""
        return value


# A block of rows as spreadsheets usually write them: text cells only, inline strings (a
# write-only workbook, most exports) or shared strings (Excel, WPS), each row's cells from
# column A with none missing. Such a block is read in bulk, a few C-level passes for all its
# rows, and checked in bulk: every row and cell tag accounted for, each row's cells A, B, C, …
# and in that row. Anything else is read row by row.
_ROW_HEAD = re.compile(rb'<row r="(\d+)"[^>/]*>')
_INLINE_TEXT = re.compile(
    rb'<c r="[A-Z]\d+"(?: s="\d+")? t="inlineStr">'
    rb'<is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'
)
_SHARED_INDEX = re.compile(rb'<c r="[A-Z]\d+"(?: s="\d+")? t="s"><v>(\d+)</v></c>')
_SHARED_OR_NUMBER = re.compile(
    rb'<c r="[A-Z]\d+"(?: s="(\d+)")?(?: t="([sn])")?><v>([^<]+)</v></c>'
)
_Number = Callable[[float, "str | bytes"], Value]
_CELL_REFERENCE = re.compile(rb'<c(?=[\s/>])(?: r="([A-Z]{1,3}\d+)")?')
_LETTERS = bytes(range(ord("A"), ord("Z") + 1))
_RUNS = frozenset(_LETTERS[1:width] for width in range(1, len(_LETTERS) + 1))
_UNUSUAL = (b"&", b"\r", b"_x", b"<!", b"<?", b":c", b":row")


@dataclass(frozen=True)
class _Bulk:
    """A block's rows as the bulk path reads them: numbers, widths and cells one after another
    (all text when `texts`)."""

    numbers: list[int]
    widths: list[int]
    values: Sequence[Value]
    texts: bool
    # Whether the block's only references (` r="`) are known to be its rows' and cells'.
    own_refs: bool = False

    def block(self) -> Block:
        widths = self.widths
        if self.texts and widths.count(widths[0]) == len(widths):
            return TextBlock(self.numbers, widths[0], list(self.values))  # type: ignore[arg-type]
        cells = iter(self.values)
        return list(zip(self.numbers, map(list, map(islice, repeat(cells), widths)), strict=True))


def _bulk_rows(block: bytes, strings: _Strings, number: _Number) -> _Bulk | None:
    """The block's rows if it is a usual block (text cells, numbers beside shared strings),
    else None; `number` gives a number cell's value by its style."""
    if any(_holds(block, mark) for mark in _UNUSUAL):
        return None
    if (plain := _text_rows(block, strings)) is not None:
        return plain
    heads = _ROW_HEAD.findall(block)
    if not heads or len(heads) != block.count(b"<row"):
        return None
    references = _CELL_REFERENCE.findall(block)
    widths = _widths(heads, references)
    if widths is None:
        return None
    matched, values, texts = _bulk_values(block, strings, number)
    if matched != len(references) or len(values) != matched:
        return None
    numbers = list(map(int, heads))
    if numbers != sorted(set(numbers)):
        return None
    return _Bulk(numbers, widths, values, texts)


# The cells of a text block read in bulk, after their reference: an inline string, or a
# shared string's index.
_INLINE_CELL = r' t="inlineStr"><is><t(?: xml:space="preserve")?+>[^<]*+</t></is></c>'
_SHARED_CELL = r' t="s"><v>\d++</v></c>'


def _text_block_pattern(body: str, width: int | None = None) -> re.Pattern[bytes]:
    """A whole block of rows of text cells (`body` after each one's reference and style),
    each row's cells A, B, C, … of that row (a backreference to the row's number), nothing
    between the tags: `width` cells each, or (None) from A to at most Z."""
    cell = rf'<c r="{{}}\1"(?: s="\d++")?+{body}'
    if width is None:
        cells = ""
        for letter in reversed(_ALPHABET[1:]):
            cells = f"(?:{cell.format(letter)}{cells})?+"
        cells = cell.format("A") + cells
    else:
        cells = "".join(map(cell.format, _ALPHABET[:width]))
    row = rf'<row r="([1-9]\d*+)"(?:[^>/ ]| (?!r="))*+>{cells}</row>'
    return re.compile(f"(?:{row})++".encode())


def _text_block_patterns(body: str) -> dict[int | None, re.Pattern[bytes]]:
    widths = [None, *range(1, len(_ALPHABET) + 1)]
    return {width: _text_block_pattern(body, width) for width in widths}


# The usual blocks (write-only exports: inline strings; Excel and WPS: shared ones), each
# checked whole by one C-level match with no captures kept (a block whose rows are all as
# wide as its first by a simpler one): their texts are then taken by a second pass.
_INLINE_BLOCKS = _text_block_patterns(_INLINE_CELL)
_SHARED_BLOCKS = _text_block_patterns(_SHARED_CELL)
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_TEXT = re.compile(rb'<t(?: xml:space="preserve")?+>([^<]*+)</t>')
_INDEX = re.compile(rb"<v>(\d++)</v>")


def _text_rows(block: bytes, strings: _Strings) -> _Bulk | None:
    """The rows of the block if it is a block of text cells its patterns match whole, else
    None."""
    patterns = _INLINE_BLOCKS if _holds(block, b"inlineStr") else _SHARED_BLOCKS
    first = block.count(b"<c ", 0, block.find(b"</row>"))
    uniform = patterns.get(first) if first else None
    if uniform is not None and uniform.fullmatch(block) is not None:
        widths = None
    elif patterns[None].fullmatch(block) is not None:
        widths = [row.count(b"<c ") for row in block.split(b"</row>")[:-1]]
    else:
        return None
    numbers = list(map(int, _ROW_NUMBER.findall(block)))
    if any(map(int.__ge__, numbers, numbers[1:])):
        return None
    widths = widths or [first] * len(numbers)
    if patterns is _SHARED_BLOCKS:
        texts = strings.take(map(int, _INDEX.findall(block)))
        return _Bulk(numbers, widths, texts, texts=True, own_refs=True)
    joined = b"\0".join(_TEXT.findall(block))
    own = b' r="' not in joined  # a text may hold one (a far reference is checked in text)
    return _Bulk(numbers, widths, joined.decode().split("\0"), texts=True, own_refs=own)


def _bulk_values(
    block: bytes, strings: _Strings, number: _Number
) -> tuple[int, Sequence[Value], bool]:
    """How many cells the bulk patterns matched, their values, and whether all are text."""
    if _holds(block, b"inlineStr"):
        texts = _INLINE_TEXT.findall(block)
        return len(texts), b"\0".join(texts).decode().split("\0"), True
    if block.count(b'"><v>') == block.count(b' t="s"><v>'):
        indexes = _SHARED_INDEX.findall(block)
        return len(indexes), strings.take(map(int, indexes)), True
    cells: list[tuple[bytes, bytes, bytes]] = _SHARED_OR_NUMBER.findall(block)
    values = [
        strings.get(int(value)) if kind == b"s" else number(float(value), style)
        for style, kind, value in cells
    ]
    return len(cells), values, False


def _check_block(guard: PartGuard, block: bytes, bulk: _Bulk | None) -> None:
    """The block's references, as `check_xlsx` checks them: of a block read in bulk, whose
    references are its rows' and their cells' (A to Z), only its last row."""
    if bulk is not None and (
        bulk.own_refs or block.count(b' r="') == len(bulk.numbers) + len(bulk.values)
    ):
        guard.last_row(bulk.numbers[-1])
    else:
        guard.refs(block)


def _widths(heads: list[bytes], references: list[bytes]) -> list[int] | None:
    """How many cells each row has, if every row's cells are A, B, C, … of that row."""
    joined = b" ".join(references)
    runs = joined.translate(None, b"0123456789 ").split(b"A")
    if runs[0] or len(runs) != len(heads) + 1 or not _RUNS.issuperset(runs):
        return None
    widths = [len(run) + 1 for run in runs[1:]]
    if sum(widths) != len(references):
        return None
    rows = joined.translate(None, _LETTERS).split()
    if rows != list(chain.from_iterable(map(repeat, heads, widths))):
        return None
    return widths


_BOOLEANS = {"1": True, "0": False, "true": True, "false": False}


def _special(piece: str) -> bool:
    return "&" in piece or "_x" in piece or "\r" in piece


def _placed(columns: Iterable[int], values: list[Value]) -> list[Value]:
    """Values put at their columns, "" where a row has no cell."""
    placed: dict[int, Value] = dict(zip(columns, values, strict=True))
    row: list[Value] = [""] * (max(placed) + 1)
    for column, value in placed.items():
        row[column] = value
    return row


def _iso_moment(text: str) -> Value:
    """A cell of type d (an ISO 8601 date, time or both)."""
    if "T" in text:
        return datetime.fromisoformat(text)
    if ":" in text:
        return time.fromisoformat(text)
    return date.fromisoformat(text)
