"""The import pipeline (导入) both workflows use: bounded reading, the header check, ID-number
cells, and all or nothing (every bad row reported, or all written).

An importer reads its file with `read_rows` (every cell visible text of bounded length), checks
each row with a `Checker`, and ends with `finish` (nothing written while any row is bad); a
streaming importer reads it with `read_chunks` and keeps what spans chunks in the store;
`reported` (or the `header_checked` decorator) turns a missing column or a row the reader could
not take into the same report of bad cells.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any, Protocol, TypeVar

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.idcard import are_stored_forms, is_stored_form, parse_id_number
from issuance.core.text import NAME_MAX, has_bad_characters
from issuance.formats.tabular import (
    Column,
    Columns,
    NumberText,
    Row,
    RowError,
    RowErrors,
    Table,
    progress,
    progress_blocks,
    read_table,
)

# Rows checked and written together by a streaming import: memory follows this, not the file.
CHUNK_ROWS = 5000

# Longest accepted value: people's names are short, other cells one line.
PERSON_NAME_MAX = {"name": NAME_MAX}
MAX_CELL = 200


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows written, or the bad rows (and then nothing was written)."""

    imported: int
    errors: tuple[RowError, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
            ],
        }


class Checker:
    """Row-error collection with catalog texts, over the table being imported."""

    def __init__(self, table: Table, locale: str) -> None:
        self.table = table
        self.errors = RowErrors(table, locale)
        self.locale = locale

    def fail(self, row: int, key: str, message_key: str, /, **params: Any) -> None:
        self.errors.add(row, key, t(message_key, self.locale, **params))

    def required(self, row: int, values: dict[str, str], keys: Sequence[str]) -> bool:
        ok = True
        for key in keys:
            if not values.get(key):
                self.fail(row, key, "import.required")
                ok = False
        return ok

    def one_of(self, row: int, key: str, value: str, allowed: Sequence[str]) -> bool:
        if value in allowed:
            return True
        self.fail(row, key, "import.one_of", allowed=" | ".join(allowed))
        return False

    def refused(self) -> ImportReport | None:
        """The report refusing the whole file when any row is bad (rows in file order)."""
        if not self.errors:
            return None
        return ImportReport(0, tuple(sorted(self.errors, key=lambda e: e.row)))


_Ports = TypeVar("_Ports")
_Ports_contra = TypeVar("_Ports_contra", contravariant=True)


class Importer(Protocol[_Ports_contra]):
    """An import coroutine: the store's ports it needs, the file, the language of its report."""

    def __call__(
        self, store: _Ports_contra, path: Path, locale: str = "zh"
    ) -> Awaitable[ImportReport]: ...


async def reported(work: Awaitable[ImportReport], locale: str) -> ImportReport:
    """The import's report; required columns missing from the header row, and a row the reader
    could not take, are reported like bad cells: row N, column C."""
    try:
        return await work
    except Invalid as error:
        if error.key == "tabular.missing_columns":
            message = t("import.missing_column", locale)
            errors = tuple(
                RowError(error.params["row"], c, message) for c in error.params["missing"]
            )
            return ImportReport(0, errors)
        if "row" in error.params:
            # A row the reader could not take (open quote, overlong cell): report it like a
            # bad cell, so `--json` and the chat still get the usual report.
            column = error.params.get("column", "")
            return ImportReport(0, (RowError(error.params["row"], column, error.message(locale)),))
        raise


def header_checked(
    importer: Callable[[_Ports, Path, str], Awaitable[ImportReport]],
) -> Importer[_Ports]:
    """An importer whose header and unreadable rows are `reported` as bad cells."""

    @functools.wraps(importer)
    async def checked(store: _Ports, path: Path, locale: str = "zh") -> ImportReport:
        return await reported(importer(store, path, locale), locale)

    return checked


def read_rows(
    path: Path, columns: Sequence[Column], locale: str, limits: dict[str, int]
) -> tuple[Checker, list[Row]]:
    """Every data row of the file whose cells are plain text, and a checker for reporting bad
    cells in it (cells longer than their limit in `limits`, else `MAX_CELL`, are bad)."""
    with read_table(path, columns) as table:
        checker = Checker(table, locale)
        # Checked as read: a bad row is never held, a good one only once.
        rows = [
            (row, values)
            for row, values in progress(table, table.total, t("import.progress", locale))
            if plain_text(checker, row, values, limits)
        ]
    return checker, rows


@contextmanager
def read_chunks(
    path: Path,
    columns: Sequence[Column],
    locale: str,
    limits: dict[str, int],
    size: int = CHUNK_ROWS,
) -> Iterator[tuple[Checker, Iterator[list[Row]]]]:
    """The file's data rows in lists of at most `size`, as `read_rows` checks them (bad cells
    reported, bad rows left out), and the checker; the file is closed on leaving the block.
    A streaming importer holds one chunk at a time and keeps what spans chunks in the store.
    (`read_columns` gives the same chunks by column, without a dict per row.)"""
    with read_columns(path, columns, locale, limits, size) as (checker, chunks):
        yield checker, (chunk.rows() for chunk in chunks)


@contextmanager
def read_columns(
    path: Path,
    columns: Sequence[Column],
    locale: str,
    limits: dict[str, int],
    size: int = CHUNK_ROWS,
) -> Iterator[tuple[Checker, Iterator[Columns]]]:
    """`read_chunks`, each chunk by column (`Columns`: row numbers, each column's texts)."""
    with read_table(path, columns) as table:
        checker = Checker(table, locale)
        blocks = progress_blocks(table.blocks(), table.total, t("import.progress", locale))
        yield checker, _plain_chunks(checker, _sized(blocks, size), limits)


def _sized(blocks: Iterable[Columns], size: int) -> Iterator[Columns]:
    """The rows of `blocks` in chunks of `size` (the last one shorter)."""
    held: list[Columns] = []
    count = 0
    for block in blocks:
        start = 0
        while count + len(block) - start >= size:
            stop = start + size - count
            held.append(block.part(start, stop))
            yield Columns.joined(held)
            held, count, start = [], 0, stop
        if start < len(block):
            held.append(block.part(start, len(block)) if start else block)
            count += len(block) - start
    if held:
        yield Columns.joined(held)


def _plain_chunks(
    checker: Checker, chunks: Iterable[Columns], limits: dict[str, int]
) -> Iterator[Columns]:
    for chunk in chunks:
        # The usual chunk, every cell printable and within the shortest limit, is settled in
        # two passes at C speed; otherwise row by row.
        cells = chunk.cells.values()
        longest = chunk.longest
        if longest is None:
            longest = max(map(len, chain.from_iterable(cells)), default=0)
        if "".join(chain.from_iterable(cells)).isprintable() and longest <= _shortest(limits):
            yield chunk
        elif plain := [(row, v) for row, v in chunk.rows() if plain_text(checker, row, v, limits)]:
            yield Columns.of_rows(plain, tuple(chunk.cells))


def _shortest(limits: dict[str, int]) -> int:
    return min(limits.values(), default=MAX_CELL)


def plain_text(checker: Checker, row: int, values: dict[str, str], limits: dict[str, int]) -> bool:
    """Whether every cell is visible text of bounded length; bad ones are reported."""
    # The common row, every cell printable (str.isprintable refuses every bad character's
    # category) and within the shortest limit, is settled at C speed.
    cells = values.values()
    if all(map(str.isprintable, cells)) and max(map(len, cells), default=0) <= _shortest(limits):
        return True
    ok = True
    for key, value in values.items():
        limit = limits.get(key, MAX_CELL)
        if has_bad_characters(value):
            checker.fail(row, key, "import.bad_text")
            ok = False
        elif len(value) > limit:
            checker.fail(row, key, "import.too_long", limit=limit)
            ok = False
    return ok


def id_numbers(checker: Checker, rows: Iterable[Row]) -> dict[int, str]:
    """Each row's checked 身份证号 (text cells only: Excel numbers lose digits), by row."""
    today = date.today()
    numbers: dict[int, str] = {}
    for row, v in rows:
        cell = v.get("id_number", "")
        if cell.__class__ is str and is_stored_form(cell, today):
            numbers[row] = cell  # the usual cell
        elif isinstance(cell, NumberText):
            checker.fail(row, "id_number", "import.id_numeric")
        elif parsed := checker.errors.check(row, "id_number", parse_id_number, cell):
            numbers[row] = parsed.value
    return numbers


def id_number_column(checker: Checker, chunk: Columns) -> list[str | None]:
    """`id_numbers` of a chunk, in its row order (None for a bad one); a column of cells all in
    their stored form is settled at C speed."""
    cells = chunk.cells["id_number"]
    if are_stored_forms(cells, date.today()):
        return list(cells)
    numbers = id_numbers(checker, chunk.rows())
    return [numbers.get(row) for row in chunk.numbers]


async def finish(
    checker: Checker, rows: Sequence[Any], write: Callable[[Sequence[Any]], Any]
) -> ImportReport:
    """All or nothing: the bad rows, or `rows` written and counted."""
    refused = checker.refused()
    if refused is not None:
        return refused
    if rows:
        await write(rows)
    return ImportReport(len(rows), ())
