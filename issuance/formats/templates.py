"""Import templates (导入模板): an XLSX with the platform's Chinese headers and one example row;
ID-number columns are formatted as text so Excel keeps every digit."""

from __future__ import annotations

import io
from collections.abc import Sequence

_ID_HEADERS = ("身份证号",)
_TEXT = "@"


def template_xlsx(headers: Sequence[str], example: Sequence[str]) -> bytes:
    """A template: a header row, one example row, ID columns as text (@)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

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
