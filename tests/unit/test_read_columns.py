"""Chunks by column (`read_columns`) and their rows (`read_chunks`) hold what a row-by-row read
(`read_rows`) gives: the same rows, cells and key order, the same bad cells reported, whichever
way the reader took each block (in bulk, as text blocks, or row by row)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from issuance.formats import xlsx_rows
from issuance.formats.tabular import Column
from issuance.importing import read_chunks, read_columns, read_rows

COLUMNS = [
    Column("name", "学生姓名", "name"),
    Column("id_number", "身份证号", "id_number"),
    Column("school", "所属院校", "school"),
    Column("title", "职务", "title", required=False),
]
LIMITS = {"name": 8}


def write_file(path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["备注", "所属院校", "学生姓名", "身份证号"])  # another order, an extra column
    for i in range(3000):
        if i % 701 == 3:
            sheet.append([])  # a blank row
        elif i % 503 == 7:
            sheet.append(["x", "学校", "名字\u202e", "110101199003077774"])  # a bad character
        elif i % 401 == 9:
            sheet.append(["x", "学校", "很长很长很长很长的名字", "1"])  # over its limit
        elif i % 307 == 11:
            sheet.append(["x", "学校"])  # a short row
        elif i % 211 == 13:
            sheet.append(["", " 学校 ", f" 名字{i} ", i])  # padded, a number
        else:
            sheet.append([f"备注{i}", f"学校{i % 5}", f"名字{i}", f"11010119900307{i:04d}"])
    book.save(path)


def write_narrow_file(path: Path) -> None:
    """The optional last column mostly left out of the rows, as graduates files leave theirs."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["所属院校", "学生姓名", "身份证号", "职务"])
    for i in range(3000):
        row = [f"学校{i % 5}", f"名字{i}", f"11010119900307{i:04d}"]
        sheet.append([*row, f"职务{i}"] if i % 997 == 5 else row)
    book.save(path)


@pytest.mark.parametrize("write", [write_file, write_narrow_file])
@pytest.mark.parametrize("size", [1, 7, 5000])
def test_chunks_hold_the_rows_a_row_by_row_read_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, write: Callable[[Path], None]
) -> None:
    monkeypatch.setattr(xlsx_rows, "_READ", 1 << 14)  # many blocks
    path = tmp_path / "rows.xlsx"
    write(path)
    checker, expected = read_rows(path, COLUMNS, "zh", LIMITS)
    with read_chunks(path, COLUMNS, "zh", LIMITS, size) as (chunked, chunks):
        rows = [list(chunk) for chunk in chunks]
    with read_columns(path, COLUMNS, "zh", LIMITS, size) as (by_column, columns):
        as_rows = [chunk.rows() for chunk in columns]
    assert all(0 < len(chunk) <= size for chunk in rows)
    flat = [row for chunk in rows for row in chunk]
    assert [(n, list(v.items())) for n, v in flat] == [(n, list(v.items())) for n, v in expected]
    assert as_rows == rows
    assert list(chunked.errors) == list(by_column.errors) == list(checker.errors)
    assert len(list(checker.errors)) > 2 or write is write_narrow_file
