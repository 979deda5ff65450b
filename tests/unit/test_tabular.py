"""Import/export files: encodings, header matching, row numbers, cell text, formula defusing."""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.idcard import parse_id_number
from issuance.formats.tabular import (
    Column,
    RowError,
    RowErrors,
    progress,
    read_table,
    write_table,
    write_table_bytes,
)

COLUMNS = [
    Column("name", "学生姓名", "name"),
    Column("id_number", "身份证号", "id_number"),
    Column("school", "所属院校", "school"),
    Column("title", "职务", "title", required=False),
]
CSV_TEXT = (
    "学生姓名,身份证号,所属院校\n朱鹏飞,610114199001011018,S001\n王芳,110101199003077774,S002\n"
)
EXPECTED = [
    (2, {"name": "朱鹏飞", "id_number": "610114199001011018", "school": "S001", "title": ""}),
    (3, {"name": "王芳", "id_number": "110101199003077774", "school": "S002", "title": ""}),
]
FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]


def rows_of(path: Path, columns: list[Column] = COLUMNS) -> list[tuple[int, dict[str, str]]]:
    with read_table(path, columns) as table:
        return list(table)


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    """A workbook as a user's Excel would save it (normal mode, with a dimension)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def invalid_key(path: Path, columns: list[Column] = COLUMNS) -> str:
    with pytest.raises(Invalid) as caught:
        rows_of(path, columns)
    return caught.value.key


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_with_chinese_headers_reads_in_each_accepted_encoding(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    assert rows_of(path) == EXPECTED


def test_gb18030_file_is_not_mistaken_for_utf8(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(CSV_TEXT.encode("gb18030"))
    assert CSV_TEXT.encode("gb18030") != CSV_TEXT.encode("utf-8")
    assert rows_of(path)[0][1]["name"] == "朱鹏飞"


def test_english_aliases_match_ignoring_case_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("\u3000NAME ,Id Number,school\n朱鹏飞,610114199001011018,S001\n")
    with read_table(path, COLUMNS) as table:
        assert list(table) == [EXPECTED[0]]
        assert table.header("name") == "NAME"
        assert table.header("title") == "职务"


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("学生姓名,备注\n朱鹏飞,x\n")
    with pytest.raises(Invalid) as caught:
        read_table(path, COLUMNS)
    assert caught.value.key == "tabular.missing_columns"
    assert str(caught.value) == "缺少必填列：身份证号、所属院校"
    assert "职务" not in str(caught.value)


def test_extra_columns_are_ignored_and_optional_ones_read(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "备注,所属院校,职务,学生姓名,身份证号\nnote,S001,校长,朱鹏飞,610114199001011018\n"
    )
    assert rows_of(path) == [
        (
            2,
            {
                "name": "朱鹏飞",
                "id_number": "610114199001011018",
                "school": "S001",
                "title": "校长",
            },
        )
    ]


def test_blank_rows_are_skipped_and_rows_keep_file_numbers(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        "\n学生姓名,身份证号,所属院校\n\n , ,\u3000\n朱鹏飞 , 610114199001011018 ,S001\n,,\n"
        "王芳,110101199003077774,S002\n"
    )
    numbers = [number for number, _ in rows_of(path)]
    assert numbers == [5, 7]
    assert rows_of(path)[0][1]["name"] == "朱鹏飞"


def test_short_rows_give_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("学生姓名,身份证号,所属院校\n朱鹏飞\n")
    assert rows_of(path) == [(2, {"name": "朱鹏飞", "id_number": "", "school": "", "title": ""})]


def test_duplicate_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("学生姓名,身份证号,所属院校,name\n")
    assert invalid_key(path) == "tabular.duplicate_column"


def test_undecodable_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes("学生姓名,身份证号,所属院校\n".encode() + b"\x80\xff,1,2\n")
    with pytest.raises(Invalid) as caught:
        read_table(path, COLUMNS)
    assert caught.value.key == "tabular.encoding"
    assert str(caught.value) == "无法识别的文件编码，请使用 UTF-8 或 GB18030"


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.numbers"
    path.write_text(CSV_TEXT)
    with pytest.raises(Invalid) as caught:
        read_table(path, COLUMNS)
    assert caught.value.key == "tabular.unsupported_type"
    assert ".numbers" in str(caught.value) and ".xls" in str(caught.value)


def test_a_csv_named_xls_is_unreadable_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "results.xls"
    path.write_text(CSV_TEXT)
    with pytest.raises(Invalid) as caught:
        read_table(path, COLUMNS)
    assert caught.value.key == "tabular.unreadable"


def test_empty_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"")
    (tmp_path / "b.csv").write_text("\n , \n")
    write_xlsx(tmp_path / "c.xlsx", [])
    for name in ("a.csv", "b.csv", "c.xlsx"):
        assert invalid_key(tmp_path / name) == "tabular.empty"


def test_file_without_header_row_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("朱鹏飞,610114199001011018,S001\n")
    with pytest.raises(Invalid) as caught:
        read_table(path, COLUMNS)
    assert caught.value.key == "tabular.no_header"
    assert "学生姓名" in str(caught.value)


def test_damaged_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    path.write_text(CSV_TEXT)
    assert invalid_key(path) == "tabular.unreadable"


def test_xlsx_cells_read_as_the_text_the_user_typed(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    columns = [Column("code", "机构代码", "code"), Column("number", "证书编号", "cert_no")]
    columns.append(Column("when", "日期", "date"))
    write_xlsx(
        path,
        [
            ["机构代码", "证书编号", "日期"],
            [1.0, "12345678901234567890123", date(2024, 3, 5)],
            [61011419900101, 1.1010119900307e17, datetime(2024, 3, 5, 8, 30)],
            ["  S001 ", 0.000001, datetime(2024, 3, 6)],
        ],
    )
    assert rows_of(path, columns) == [
        (2, {"code": "1", "number": "12345678901234567890123", "when": "2024-03-05"}),
        (
            3,
            {
                "code": "61011419900101",
                "number": "110101199003070000",
                "when": "2024-03-05 08:30:00",
            },
        ),
        (4, {"code": "S001", "number": "0.000001", "when": "2024-03-06"}),
    ]


def test_xlsx_blank_rows_skipped_with_row_numbers_as_in_excel(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A2"], sheet["B2"], sheet["C2"] = "学生姓名", "身份证号", "所属院校"
    sheet["A4"], sheet["B4"], sheet["C4"] = "朱鹏飞", "610114199001011018", "S001"
    sheet["A5"] = "  "
    sheet["A7"], sheet["B7"], sheet["C7"] = "王芳", "110101199003077774", "S002"
    book.save(path)
    with read_table(path, COLUMNS) as table:
        assert table.total == 5
        assert [number for number, _ in table] == [4, 7]


def test_xlsx_with_stale_dimension_still_reads_every_row(tmp_path: Path) -> None:
    fresh, stale = tmp_path / "fresh.xlsx", tmp_path / "stale.xlsx"
    write_xlsx(
        fresh, [["学生姓名", "身份证号", "所属院校"], *[list(row.values()) for _, row in EXPECTED]]
    )
    with zipfile.ZipFile(fresh) as source, zipfile.ZipFile(stale, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C1"', data)
            target.writestr(item, data)
    assert [number for number, _ in rows_of(stale)] == [2, 3]


def test_xlsx_reads_only_the_first_sheet(tmp_path: Path) -> None:
    path = tmp_path / "results.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["学生姓名", "身份证号", "所属院校"])
    book.create_sheet("其他").append(["学生姓名", "身份证号", "所属院校"])
    book["其他"].append(["王芳", "110101199003077774", "S002"])
    book.active.title = "名单"
    book.move_sheet("其他", offset=1)
    book.save(path)
    assert rows_of(path) == []


def test_csv_export_defuses_formulas_and_has_bom(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    count = write_table(path, ["=HEADER", "值"], [[text, -5] for text in FORMULAS], "csv")
    raw = path.read_bytes()
    assert count == len(FORMULAS)
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["'=HEADER", "值"]
    assert [row[0] for row in rows[1:]] == ["'" + text for text in FORMULAS]
    assert {row[1] for row in rows[1:]} == {"-5"}


def test_csv_export_renders_values_plainly(tmp_path: Path) -> None:
    data = write_table_bytes(
        ["证书编号", "日期", "时间", "空"],
        [["12345678901234567890123", date(2024, 3, 5), datetime(2024, 3, 5, 8, 30), None]],
        "csv",
    )
    assert data.decode("utf-8-sig").splitlines()[1] == (
        "12345678901234567890123,2024-03-05,2024-03-05 08:30:00,"
    )


def test_xlsx_export_defuses_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_table(path, ["内容"], [[text] for text in FORMULAS], "xlsx")
    sheet = openpyxl.load_workbook(path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML turns a stored carriage return into a line feed; the quote in front is what matters.
    assert [cell.value for cell in cells] == ["'" + text.replace("\r", "\n") for text in FORMULAS]
    assert {cell.data_type for cell in cells} == {"s"}


def test_xlsx_export_keeps_long_numbers_as_text_with_bold_frozen_header(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows = [["12345678901234567890123", 12345678901234567890123, 42, "朱鹏飞"]]
    write_table(path, ["证书编号", "编号数字", "人数", "姓名"], rows, "xlsx")
    sheet = openpyxl.load_workbook(path).active
    number, big, count, name = sheet[2]
    assert (number.value, number.data_type, number.number_format) == (
        "12345678901234567890123",
        "s",
        "@",
    )
    assert (big.value, big.data_type) == ("12345678901234567890123", "s")
    assert (count.value, count.data_type) == (42, "n")
    assert name.value == "朱鹏飞"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len("12345678901234567890123")


def test_export_round_trips_through_import(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_table(
        path,
        ["学生姓名", "身份证号", "所属院校"],
        [["朱鹏飞", "610114199001011018", "S001"]],
        "xlsx",
    )
    assert rows_of(path) == [EXPECTED[0]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bytes_match_the_file_format(tmp_path: Path, fmt: str) -> None:
    data = write_table_bytes(
        ["学生姓名", "身份证号", "所属院校"], [["王芳", "110101199003077774", "S002"]], fmt
    )
    path = tmp_path / f"sent.{fmt}"
    path.write_bytes(data)
    assert rows_of(path) == [(2, EXPECTED[1][1])]


def test_failed_export_leaves_no_file(tmp_path: Path) -> None:
    def broken() -> object:
        yield ["ok"]
        raise RuntimeError("database went away")

    path = tmp_path / "out.xlsx"
    with pytest.raises(RuntimeError):
        write_table(path, ["内容"], broken(), "xlsx")
    assert list(tmp_path.iterdir()) == []


def test_row_error_reads_row_column_reason() -> None:
    assert str(RowError(5, "身份证号", "校验码不正确")) == "第 5 行，身份证号：校验码不正确"


def test_row_errors_collect_every_bad_cell_under_the_file_header(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        "name,身份证号,所属院校\n朱鹏飞,610114199001011018,S001\n王芳,123,S002\n,110101199003077778,S1\n"
    )
    with read_table(path, COLUMNS) as table:
        errors = RowErrors(table)
        parsed = []
        for number, row in table:
            parsed.append(errors.check(number, "id_number", parse_id_number, row["id_number"]))
            if not row["name"]:
                errors.add(number, "name", "必填")
    assert parsed[0] is not None and parsed[1] is None and parsed[2] is None
    assert [str(error) for error in errors] == [
        f"第 3 行，身份证号：{t('id.shape')}",
        f"第 4 行，身份证号：{t('id.check_digit')}",
        "第 4 行，name：必填",
    ]


def test_progress_is_silent_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert list(progress(range(1000), total=1000, desc="读取")) == list(range(1000))
    assert capsys.readouterr().err == ""


def test_progress_shows_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(terminal, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stderr", terminal)
    assert not progress(range(3), total=3, desc="读取").disable


def test_every_tabular_message_exists_in_chinese_and_english() -> None:
    keys = ["unsupported_type", "encoding", "unreadable", "empty", "no_header"]
    keys += ["missing_columns", "duplicate_column"]
    params = {"suffix": ".x", "name": "f", "row": 1, "columns": "c", "column": "c"}
    for key in keys:
        zh, en = t(f"tabular.{key}", "zh", **params), t(f"tabular.{key}", "en", **params)
        assert zh != en and en.isascii()


def test_a_bad_header_is_refused_before_a_malformed_row_after_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text('\n学生姓名,其他\n"open quote,b\n', encoding="utf-8")
    assert invalid_key(path) == "tabular.missing_columns"
