"""The streaming .xlsx reader gives the rows calamine gives, on every shape of workbook: a
differential test, each file read by both and compared as the import sees the rows."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from issuance.core.errors import Invalid
from issuance.formats import xlsx_rows
from issuance.formats.tabular import XLSX_LIMITS, _sheet_rows
from issuance.formats.xlsx_check import check_xlsx
from issuance.formats.xlsx_rows import open_first_sheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
Rows = list[tuple[int, list[str]]]

VALUES: list[object] = [
    "朱鹏飞",
    "  padded  ",
    "a & b < c > d \"q\" 'a'",
    "line\r\nbreak\rand\nmore",
    "_x000D_ and _x005F_ literal",
    "Ü ß 中文 ☃ 𝄞",
    "",
    0,
    1,
    -7,
    110101199001011234,
    1.1e17,
    0.1,
    -3.25,
    1e-7,
    123456789.123,
    True,
    False,
    None,
]
DATES: list[tuple[object, str]] = [
    (date(2024, 3, 5), "yyyy-mm-dd"),
    (datetime(2024, 3, 5, 8, 30), "yyyy-mm-dd h:mm"),
    (datetime(1900, 2, 27, 12, 0), "yyyy-mm-dd h:mm:ss"),
    (time(8, 30, 15), "h:mm:ss"),
    (timedelta(days=1, hours=6), "[h]:mm:ss"),
    (date(2024, 3, 5), 'yyyy"年"m"月"d"日"'),
    (45000.5, "0.00%"),
    (45000, "mm-dd-yy"),
]


def calamine_rows(path: Path) -> Rows:
    """What the import read before: calamine's rows as texts, columns counted from A."""
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    skipped = [""] * (sheet.start[1] if sheet.start else 0)
    rows = ((n, [*skipped, *cells]) for n, cells in enumerate(sheet.iter_rows(), start=1))
    return normalized(_sheet_rows(rows))


def streamed_rows(path: Path) -> Rows:
    sheet = open_first_sheet(str(path), path.name)
    try:
        return normalized(_sheet_rows(sheet.rows))
    finally:
        sheet.close()


def normalized(rows: Iterable[tuple[int, Sequence[str]]]) -> Rows:
    """Rows with some text, trailing empty cells dropped (calamine pads every row to the
    sheet's width, the streaming reader stops at a row's last cell)."""
    kept: Rows = []
    for number, cells in rows:
        texts = list(cells)
        while texts and not texts[-1]:
            texts.pop()
        if texts:
            kept.append((number, texts))
    return kept


def assert_same(path: Path) -> Rows:
    """The file, and the same with its strings shared (as Excel and WPS save), read alike."""
    expected = calamine_rows(path)
    assert streamed_rows(path) == expected
    assert expected, "the corpus file has rows"
    with zipfile.ZipFile(path) as package:
        if "xl/sharedStrings.xml" in package.namelist():
            return expected
    shared = path.with_name(f"shared-{path.name}")
    with_shared_strings(path, shared)
    assert calamine_rows(shared) == expected
    assert streamed_rows(shared) == expected
    return expected


INLINE_CELL = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', re.S)


def with_shared_strings(source: Path, target: Path) -> None:
    """`source` with its inline strings moved to a shared string table (openpyxl writes inline
    strings only)."""
    items: dict[str, int] = {}

    def shared(cell: re.Match[str]) -> str:
        index = items.setdefault(f"<si>{cell[3]}</si>", len(items))
        return f'<c {cell[1]}t="s"{cell[2]}><v>{index}</v></c>'

    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for entry in original.infolist():
            data = original.read(entry)
            if entry.filename.startswith("xl/worksheets/"):
                data = INLINE_CELL.sub(shared, data.decode()).encode()
            copy.writestr(entry, data)
        table = f'<sst xmlns="{MAIN}" count="{len(items)}">{"".join(items)}</sst>'
        copy.writestr("xl/sharedStrings.xml", table)


def corpus_rows() -> list[list[object]]:
    rows: list[list[object]] = [["姓名", "数值", "备注"]]
    rows += [[f"第{i}行", value, f"v{i}"] for i, value in enumerate(VALUES)]
    return rows


def styled(sheet: object, row: int, formats: list[tuple[object, str]]) -> None:
    for column, (value, code) in enumerate(formats, start=1):
        cell = sheet.cell(row=row, column=column, value=value)  # type: ignore[attr-defined]
        cell.number_format = code


def test_normal_workbook_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "normal.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    for row in corpus_rows():
        sheet.append(row)
    styled(sheet, 30, DATES)
    sheet["E40"] = "gapped, far right"
    sheet["B45"] = CellRichText(["rich ", TextBlock(InlineFont(b=True), "text"), " 富文本"])
    sheet["C46"] = "=1+1"
    book.save(path)
    rows = assert_same(path)
    assert (40, ["", "", "", "", "gapped, far right"]) in rows


def test_inline_string_workbook_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "write-only.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in corpus_rows():
        sheet.append(row)
    sheet.append([])
    sheet.append([None, None, "starts at C"])
    book.save(path)
    rows = assert_same(path)
    assert rows[0] == (1, ["姓名", "数值", "备注"])


def test_dates_times_and_durations_by_builtin_and_custom_formats(tmp_path: Path) -> None:
    path = tmp_path / "dates.xlsx"
    book = openpyxl.Workbook()
    for offset in range(3):
        styled(book.active, offset + 1, DATES[offset:] + DATES[:offset])
    book.save(path)
    rows = assert_same(path)
    assert rows[0][1][:4] == [
        "2024-03-05",
        "2024-03-05 08:30:00",
        "1900-02-27 12:00:00",
        "08:30:15",
    ]


def test_1904_workbook_dates(tmp_path: Path) -> None:
    path = tmp_path / "mac.xlsx"
    book = openpyxl.Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    styled(book.active, 2, DATES)
    book.save(path)
    assert_same(path)


def test_sheet_starting_below_row_one_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "low.xlsx"
    book = openpyxl.Workbook()
    book.active["C3"] = "表头"
    book.active["D3"] = "列二"
    book.active["C7"] = "数据"
    book.active["D9"] = 5
    book.save(path)
    assert assert_same(path) == [
        (3, ["", "", "表头", "列二"]),
        (7, ["", "", "数据"]),
        (9, ["", "", "", "5"]),
    ]


def test_many_rows_across_blocks_mixing_fast_and_exact_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_rows, "_READ", 1 << 16)  # many blocks, each read in bulk or not
    path = tmp_path / "big.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for i in range(16_000):
        if i < 3000 and i % 997 == 5:
            sheet.append([f"名字{i}", i, "a&b", None, True])
        elif i < 3000 and i % 1009 == 7:
            sheet.append([None, f"稀疏{i}"])
        elif i < 9000:  # write-only rows of inline strings, of varying widths
            sheet.append([f"名字{i}", f"1101011990{i:08d}", "院校学生", " 站点 "][: 2 + i % 3])
        else:  # and of text, numbers and dates (shared strings and numbers once shared)
            sheet.append(
                [f"名字{i}", f"ID{i}", i * 1.5, date(2024, 1, 1) + timedelta(i)][: 2 + i % 3]
            )
    book.save(path)
    rows = assert_same(path)
    assert len(rows) == 16_000
    assert rows[-1] == (16_000, ["名字15999", "ID15999"])
    assert rows[-2] == (15_999, ["名字15998", "ID15998", "23997", "2067-10-20"])


def bulk_row(number: int, width: int, style: str = "", space: str = "") -> str:
    cells = "".join(
        f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{space}>{letter}{number} </t></is></c>'
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:width]
    )
    return f'<row r="{number}" spans="1:{width}">{cells}</row>'


def test_blocks_of_inline_rows_read_in_bulk_as_calamine_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_rows, "_READ", 1 << 12)  # many blocks, of one width or several
    rows = [bulk_row(1, 26)]
    rows += [bulk_row(n, 3, ' s="2"' if n % 2 else "") for n in range(2, 200)]
    rows += [bulk_row(n, 1 + n % 26, space=' xml:space="preserve"') for n in range(200, 400)]
    rows += [bulk_row(400, 26).replace('r="Z400"', 'r="Z401"'), bulk_row(402, 4)]
    rows += [bulk_row(403, 26).replace("</row>", '<c r="AA403"><v>1</v></c></row>')]
    rows += [bulk_row(n, 5) for n in range(404, 600)]
    rows += [f'<row r="{n}"></row>' for n in range(600, 1000)]  # blocks of rows without cells
    rows += [bulk_row(1000, 2)]
    path = tmp_path / "bulk.xlsx"
    sheet_data = "".join(rows)
    write_package(
        path, f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>'
    )
    read = assert_same(path)
    assert read[0] == (1, [f"{letter}1" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
    assert read[1] == (2, ["A2", "B2", "C2"])
    assert (400, [f"{letter}400" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXY"]) in read
    assert (401, [""] * 25 + ["Z400"]) in read
    assert read[-2:] == [
        (599, ["A599", "B599", "C599", "D599", "E599"]),
        (1000, ["A1000", "B1000"]),
    ]
    sheet = open_first_sheet(str(path), path.name, XLSX_LIMITS)
    blocks = list(sheet.blocks)
    sheet.close()
    texts = [block for block in blocks if isinstance(block, xlsx_rows.TextBlock)]
    assert texts and len(texts) < len(blocks)  # blocks of one width, and the others
    assert all(block.width and len(block.cells) == block.width * len(block) for block in texts)


PACKAGE_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def write_package(path: Path, sheet_xml: str, strings: str | None = None) -> None:
    """A workbook written by hand, for shapes openpyxl does not write."""
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="/xl/worksheets/data.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId7"/></sheets>'
        "</workbook>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("_rels/.rels", PACKAGE_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", rels)
        package.writestr("xl/worksheets/data.xml", sheet_xml)
        if strings is not None:
            package.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')


HAND_ROWS = (
    '<row r="2" spans="1:9"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
    '<c r="C2" t="s"><v>2</v></c><c r="D2" t="str"><f>A2&amp;"x"</f><v>公式&amp;结果</v></c>'
    '<c r="E2"><f>1+1</f><v>2</v></c><c r="F2" t="b"><v>1</v></c><c r="G2" t="e">'
    '<v>#N/A</v></c><c r="H2" s="0"/><c r="I2" t="inlineStr"><is><t xml:space="preserve">'
    " 空格 </t></is></c></row>"
    '<row r="3"><c r="A3" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t>'
    '</r><rPh sb="0" eb="1"><t>フ</t></rPh></is></c><c r="B3" t="inlineStr"><is><t>'
    "&#13;&#x41;&amp;&lt;&gt;&quot;&apos;_x0041_</t></is></c><!-- a comment -->"
    '<c r="C3" t="inlineStr"><is><t><![CDATA[<cdata>]]></t></is></c></row>'
    '<row><c><v>7</v></c><c t="inlineStr"><is><t>x</t></is></c><c r="E4"><v>8</v></c>'
    "<c><v>9</v></c></row>"
    '<row r="6" ht="20" customHeight="1"/>'
    '<row r="7">\n  <c r="B7">\n    <v>1.5</v>\n  </c>\n</row>'
)
STRINGS = (
    "<si><t>共享</t></si><si><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r></si>"
    '<si><t xml:space="preserve">a_x000D_b  </t></si>'
)


def test_hand_written_shapes_read_as_calamine_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "hand.xlsx"
    write_package(
        path, f'<worksheet xmlns="{MAIN}"><sheetData>{HAND_ROWS}</sheetData></worksheet>', STRINGS
    )
    rows = assert_same(path)
    assert rows[0] == (2, ["共享", "rich", "a\rb", "公式&结果", "2", "TRUE", "", "", "空格"])


def test_namespace_prefixed_sheet_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "prefixed.xlsx"
    prefixed = HAND_ROWS.replace("<", "<x:").replace("<x:/", "</x:").replace("<x:!", "<!")
    write_package(
        path,
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>{prefixed}</x:sheetData></x:worksheet>',
        STRINGS,
    )
    assert streamed_rows(path) == calamine_rows(path)
    assert streamed_rows(path)[0][1][0] == "共享"


@pytest.mark.parametrize(
    "sheet_xml",
    [
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">' + '<c r="A1"><v>1</v></c>' * 9000,
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        + "长" * 40_000,
    ],
    ids=["many-cells", "giant-cell"],
)
def test_row_larger_than_the_bound_is_refused_without_buffering_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sheet_xml: str
) -> None:
    monkeypatch.setattr(xlsx_rows, "MAX_ROW_BYTES", 64 * 1024)
    monkeypatch.setattr(xlsx_rows, "_READ", 4096)
    path = tmp_path / "giant.xlsx"
    write_package(path, sheet_xml + "</row></sheetData></worksheet>")
    sheet = open_first_sheet(str(path), path.name)
    with pytest.raises(Invalid) as caught:
        list(sheet.rows)
    sheet.close()
    assert caught.value.key == "tabular.xlsx_row_too_large"


@pytest.mark.parametrize(
    "damage",
    [
        lambda xml: xml.replace("</sheetData>", ""),
        lambda xml: xml.replace('<c r="A2" t="s"><v>0</v>', '<c r="A2" t="s"><v>99</v>'),
        lambda xml: xml.replace("<v>#N/A</v>", "<v>#WHAT</v>"),
        lambda xml: xml.replace("</row>", "", 1),
    ],
    ids=["truncated", "missing-string", "unknown-error", "unclosed-row"],
)
def test_damaged_sheets_are_unreadable(tmp_path: Path, damage: Callable[[str], str]) -> None:
    path = tmp_path / "damaged.xlsx"
    xml = f'<worksheet xmlns="{MAIN}"><sheetData>{HAND_ROWS}</sheetData></worksheet>'
    write_package(path, damage(xml), STRINGS)
    with pytest.raises(Invalid) as caught:
        sheet = open_first_sheet(str(path), path.name)
        try:
            list(sheet.rows)
        finally:
            sheet.close()
    assert caught.value.key == "tabular.unreadable"


def test_shared_strings_are_kept_compactly(tmp_path: Path) -> None:
    path = tmp_path / "strings.xlsx"
    book = openpyxl.Workbook()
    for i in range(20_000):
        book.active.append([f"学生{i:06d}", f"备注{i}"])
    book.save(path)
    assert_same(path)
    with zipfile.ZipFile(tmp_path / "shared-strings.xlsx") as package:
        strings = xlsx_rows._shared_strings(package)
    assert len(strings) == 40_000
    assert strings[39_999] == "备注19999"
    assert isinstance(strings.text, str)


def inline_row(number: int, *cells: tuple[str, str]) -> str:
    inner = "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells)
    return f'<row r="{number}">{inner}</row>'


def test_cells_are_placed_by_their_own_references(tmp_path: Path) -> None:
    path = tmp_path / "references.xlsx"
    rows = [
        inline_row(1, ("A1", "表头"), ("B1", "二")),
        inline_row(2, ("A2", "甲"), ("B2", "乙")),
        inline_row(3, ("A3", "丙"), ("B9", "在第 9 行")),
    ]
    write_package(
        path, f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    )
    assert assert_same(path) == [
        (1, ["表头", "二"]),
        (2, ["甲", "乙"]),
        (3, ["丙"]),
        (9, ["", "在第 9 行"]),
    ]


def test_what_follows_the_sheet_data_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_rows, "MAX_ROW_BYTES", 64 * 1024)
    monkeypatch.setattr(xlsx_rows, "_READ", 4096)
    merged = "".join(f'<mergeCell ref="A{i}:B{i}"/>' for i in range(10, 20_000))
    path = tmp_path / "merged.xlsx"
    rows = inline_row(1, ("A1", "表头")) + inline_row(2, ("A2", "甲"))
    write_package(
        path,
        f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData>'
        f"<mergeCells>{merged}</mergeCells></worksheet>",
    )
    assert assert_same(path) == [(1, ["表头"]), (2, ["甲"])]


def test_oversized_styles_are_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_rows, "MAX_PART_BYTES", 1024)
    path = tmp_path / "styles.xlsx"
    book = openpyxl.Workbook()
    styled(book.active, 1, DATES)
    book.save(path)
    with zipfile.ZipFile(path) as package:
        assert package.getinfo("xl/styles.xml").file_size > 1024
    with pytest.raises(Invalid) as caught:
        open_first_sheet(str(path), path.name)
    assert caught.value.key == "tabular.xlsx_bomb"


def test_negative_shared_string_index_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "negative.xlsx"
    row = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>2</v></c>'
        '<c r="C1" t="s"><v>-1</v></c></row>'
    )
    write_package(
        path, f'<worksheet xmlns="{MAIN}"><sheetData>{row}</sheetData></worksheet>', STRINGS
    )
    with pytest.raises(Invalid) as caught:
        streamed_rows(path)
    assert caught.value.key == "tabular.unreadable"


def test_last_row_is_declared_or_estimated_for_the_progress_bar(tmp_path: Path) -> None:
    declared, streamed = tmp_path / "declared.xlsx", tmp_path / "streamed.xlsx"
    normal, write_only = openpyxl.Workbook(), openpyxl.Workbook(write_only=True)
    sheet = write_only.create_sheet()
    for i in range(20_000):
        normal.active.append([f"学生{i}", i])
        sheet.append([f"学生{i}", i])
    normal.save(declared)
    write_only.save(streamed)
    first, second = (open_first_sheet(str(p), p.name) for p in (declared, streamed))
    first.close()
    second.close()
    assert first.last_row == 20_000
    assert second.last_row is not None and 18_000 < second.last_row < 22_000


INLINE_ROW = '<row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c></row>'


@pytest.mark.parametrize(
    ("sheet_data", "after"),
    [
        (INLINE_ROW, '<hyperlinks><hyperlink r="XFD1"/></hyperlinks>'),
        (INLINE_ROW.replace("</c></row>", '</c><x r="XFD2"/></row>'), ""),
        (INLINE_ROW.replace('"2"', '"200002"').replace("A2", "A200002"), ""),
        (INLINE_ROW, "<x>" + "长" * 30_000 + "</x>"),
        (INLINE_ROW, "<x>" + "长" * 30_000 + "</x>" + '<x r="A999999"/>'),
        (INLINE_ROW.replace("甲", 'say r="A999999"'), ""),
    ],
    ids=[
        "far-reference-after-the-data",
        "far-cell-among-read-cells",
        "far-row",
        "no-tag-end",
        "no-tag-end-first",
        "far-reference-in-a-text",
    ],
)
@pytest.mark.parametrize("read", [1 << 20, 4096], ids=["whole-reads", "small-reads"])
def test_the_sheet_checked_as_it_is_read_is_refused_as_check_xlsx_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sheet_data: str, after: str, read: int
) -> None:
    monkeypatch.setattr(xlsx_rows, "_READ", read)  # the guard's 64 KiB windows span reads
    path = tmp_path / "checked.xlsx"
    write_package(
        path, f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData>{after}</worksheet>'
    )
    with pytest.raises(Invalid) as scanned:
        check_xlsx(path, XLSX_LIMITS)
    with pytest.raises(Invalid) as read:
        sheet = open_first_sheet(str(path), path.name, XLSX_LIMITS)
        try:
            list(sheet.rows)
        finally:
            sheet.close()
    assert (read.value.key, read.value.params) == (scanned.value.key, scanned.value.params)
    if read == 1 << 20:  # the refusal is the guard's: the reader alone reads the sheet
        assert list(open_first_sheet(str(path), path.name).rows)
