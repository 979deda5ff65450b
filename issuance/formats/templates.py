"""Import templates (导入模板): an XLSX per kind of upload with the platform's Chinese headers and
one example row; ID-number columns are formatted as text so Excel keeps every digit."""

from __future__ import annotations

import io
from collections.abc import Sequence

from issuance.core.uploads import UploadKind
from issuance.graduation.importing import GRADUATE_COLUMNS
from issuance.graduation.qualifications import (
    EMPLOYMENT_COLUMNS,
    GRADE_COLUMNS,
    QUALIFICATION_COLUMNS,
)
from issuance.xcert.completion import SHEET_HEADERS
from issuance.xcert.importing import RESULT_COLUMNS

# A valid-looking sample ID number (the checksum holds), never a real person's.
_SAMPLE_ID = "11010519491231002X"
_ID_HEADERS = ("身份证号",)
_TEXT = "@"

_EXAMPLES: dict[UploadKind, tuple[Sequence[str], Sequence[str]]] = {
    UploadKind.RESULTS: (
        [c.header_zh for c in RESULT_COLUMNS],
        [
            "张三",
            _SAMPLE_ID,
            "院校学生",
            "S001",
            "老年照护",
            "初级",
            "E001",
            "2025年第一批",
            "S001",
            "已通过",
        ],
    ),
    UploadKind.PROBLEMS: (
        SHEET_HEADERS,
        [
            "1",
            "1000120250100000000001",
            "张三",
            "110105********002X",
            "身份证号",
            "请核对",
            "2025-07-07",
            _SAMPLE_ID,
        ],
    ),
    UploadKind.GRADUATES: (
        [c.header_zh for c in GRADUATE_COLUMNS],
        [
            "李四",
            _SAMPLE_ID,
            "男",
            "T001",
            "0101",
            "数控加工",
            "中级工班",
            "2022-09",
            "2025-07",
            "3",
            "全日制",
            "",
            "",
            "已就业",
        ],
    ),
    UploadKind.QUALIFICATIONS: (
        [c.header_zh for c in QUALIFICATION_COLUMNS],
        ["李四", _SAMPLE_ID, "S000012345678", "四级/中级工", "车工", "2025-06-30"],
    ),
    UploadKind.EMPLOYMENT: (
        [c.header_zh for c in EMPLOYMENT_COLUMNS],
        ["李四", _SAMPLE_ID, "已就业", "某某机械有限公司"],
    ),
    UploadKind.GRADES: (
        [c.header_zh for c in GRADE_COLUMNS],
        [_SAMPLE_ID, "李四", "机械制图", "85", "王老师", "2024-2025-1"],
    ),
}


def template_xlsx(kind: UploadKind) -> bytes:
    """The template of `kind`: a header row, one example row, ID columns as text (@)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers, words = _EXAMPLES[kind]
    # "_" stands for the sample ID number, "-" for an empty optional cell
    example = [{"_": _SAMPLE_ID, "-": ""}.get(word, word) for word in words]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "导入模板"
    sheet.append(list(headers))
    sheet.append(list(example))
    for index, header in enumerate(headers, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        width = max(len(header) * 2 + 2, 12)
        letter = sheet.cell(1, index).column_letter
        sheet.column_dimensions[letter].width = width
        if header in _ID_HEADERS:
            # the whole column, so rows typed in later keep their digits too
            sheet.column_dimensions[letter].number_format = _TEXT
            for row in range(2, 1002):
                sheet.cell(row, index).number_format = _TEXT
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
