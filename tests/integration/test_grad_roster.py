"""The graduate roster read back: PDF with poppler, XLSX with openpyxl."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from issuance.core.errors import Invalid
from issuance.core.idcard import mask
from issuance.formats.roster import (
    MARGIN_MM,
    MIN_SIZE,
    PAGE_H_MM,
    PAGE_W_MM,
    RosterHeading,
    RosterLine,
    cells,
    headers,
    render_roster,
    roster_xlsx,
)
from tests.graduates import LONG_REMARK, roster_lines
from tests.integration.test_grad_print import PT_PER_MM, Word, _run, words

HEADING = RosterHeading(school="福建省第一技师学院", term="2024年6月")
GUIDE_ORDER = [
    "序号",
    "毕业证书编号",
    "姓名",
    "身份证号",
    "入学时间",
    "毕业时间",
    "专业等级",
    "专业",
    "学制",
    "学习方式",
    "备注",
]


def _pages(found: list[Word]) -> dict[int, list[Word]]:
    pages: dict[int, list[Word]] = {}
    for word in found:
        pages.setdefault(word.page, []).append(word)
    return pages


def _header_row(page: list[Word]) -> list[Word]:
    (top,) = [w for w in page if w.text == "序号"]
    return sorted((w for w in page if abs(w.y_min - top.y_min) < 0.5), key=lambda w: w.x_min)


def test_headers_are_the_guides_eleven_columns_in_order() -> None:
    assert headers() == GUIDE_ORDER


def test_roster_is_a4_landscape(tmp_path: Path) -> None:
    path = tmp_path / "roster.pdf"
    path.write_bytes(render_roster(HEADING, roster_lines(10)))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _run("pdfinfo", path))
    assert size is not None
    assert float(size[1]) == pytest.approx(841.89, abs=0.1)
    assert float(size[2]) == pytest.approx(595.28, abs=0.1)


def test_every_font_is_embedded(tmp_path: Path) -> None:
    path = tmp_path / "roster.pdf"
    path.write_bytes(render_roster(HEADING, roster_lines(10)))
    rows = _run("pdffonts", path).splitlines()[2:]
    assert rows
    for row in rows:
        assert row.split()[-5:-3] == ["yes", "yes"], row


def test_every_page_repeats_title_school_columns_and_its_page_number(tmp_path: Path) -> None:
    pdf = render_roster(HEADING, roster_lines(95, long_remark_every=7))
    pages = _pages(words(pdf, tmp_path))
    assert len(pages) >= 3
    path = tmp_path / "roster.pdf"
    path.write_bytes(pdf)
    for number, page in pages.items():
        texts = [w.text for w in page]
        assert "毕业生花名册" in texts
        assert "学校：福建省第一技师学院" in texts
        assert [w.text for w in _header_row(page)] == GUIDE_ORDER
        plain = re.sub(r"\s", "", _run("pdftotext", "-f", number, "-l", number, path, "-"))
        assert plain.count(f"第{number}页共{len(pages)}页") == 2  # top right and foot


def test_each_line_holds_its_eleven_cells_in_order_on_one_row(tmp_path: Path) -> None:
    lines = roster_lines(60)
    expected = {row[1]: row for row in cells(lines)}
    found = words(render_roster(HEADING, lines), tmp_path)
    anchors = [w for w in found if w.text in expected]
    assert sorted(w.text for w in anchors) == sorted(expected)
    for anchor in anchors:
        row = sorted(
            (w for w in found if w.page == anchor.page and abs(w.y_min - anchor.y_min) < 0.5),
            key=lambda w: w.x_min,
        )
        assert [w.text for w in row] == [c for c in expected[anchor.text] if c]


def test_a_graduates_line_is_never_split_across_pages(tmp_path: Path) -> None:
    """Long remarks wrap inside their cell; each wrapped cell stays whole on its row's page."""
    lines = roster_lines(95, long_remark_every=7)
    remarks = {line.cert_no: line.remark for line in lines}
    pages = _pages(words(render_roster(HEADING, lines), tmp_path))
    seen: dict[str, str] = {}
    wrapped = 0
    for page in pages.values():
        header = _header_row(page)
        remark_left = header[-2].x_max  # right of 学习方式's header: only the remark column
        foot = (PAGE_H_MM - 12) * PT_PER_MM
        rows = sorted((w for w in page if w.text in remarks), key=lambda w: w.y_min)
        assert rows, "a page without lines"
        pieces = sorted(
            (
                w
                for w in page
                if w.x_min > remark_left
                and header[0].y_max < w.y_min
                and w.y_max < foot
                and w.text != "备注"
            ),
            key=lambda w: (w.y_min, w.x_min),
        )
        for piece in pieces:
            # a piece above the page's first line would be the tail of a line begun earlier
            owner = [r for r in rows if r.y_min <= piece.y_min + 0.5]
            assert owner, f"remark piece {piece.text!r} above the first line of its page"
            cert_no = owner[-1].text
            wrapped += cert_no in seen
            seen[cert_no] = seen.get(cert_no, "") + piece.text
    assert wrapped > 0, "no remark wrapped: the test would not see a split"
    assert seen == {no: remark for no, remark in remarks.items() if remark}
    assert LONG_REMARK in seen.values()


def test_the_font_shrinks_to_fit_the_longest_value_within_bounds(tmp_path: Path) -> None:
    short = roster_lines(5)
    long_major = "智能网联汽车技术与工业机器人系统集成应用（新能源汽车检测与维修方向）"
    wide = [*short[:4], replace(short[4], major=long_major)]

    def line_height(lines: list[RosterLine]) -> float:
        found = words(render_roster(HEADING, lines), tmp_path)
        (cert_no,) = [w for w in found if w.text == lines[0].cert_no]
        return cert_no.y_max - cert_no.y_min

    normal, shrunk = line_height(short), line_height(wide)
    assert MIN_SIZE <= shrunk < normal
    found = words(render_roster(HEADING, wide), tmp_path)
    assert long_major in [w.text for w in found]
    for word in found:
        assert word.x_min / PT_PER_MM >= MARGIN_MM - 0.1
        assert word.x_max / PT_PER_MM <= PAGE_W_MM - MARGIN_MM + 0.1


def test_id_numbers_are_full_on_paper_and_masked_for_chat(tmp_path: Path) -> None:
    lines = roster_lines(5)
    full = [w.text for w in words(render_roster(HEADING, lines), tmp_path)]
    masked = [w.text for w in words(render_roster(HEADING, lines, mask_ids=True), tmp_path)]
    for line in lines:
        assert line.id_number in full
        assert line.id_number not in masked
        assert mask(line.id_number) in masked


def test_xlsx_has_the_same_columns_full_ids_as_text_and_defused_formulas() -> None:
    lines = roster_lines(3)
    lines[1] = replace(lines[1], remark='=HYPERLINK("http://x")')
    book = openpyxl.load_workbook(io.BytesIO(roster_xlsx(lines)))
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == GUIDE_ORDER
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    assert [r[3] for r in rows[1:]] == [line.id_number for line in lines]
    assert rows[2][10] == '\'=HYPERLINK("http://x")'
    assert rows[1][4] == "202109" and rows[1][5] == "202406"


def test_empty_roster_and_a_line_taller_than_a_page_are_refused() -> None:
    with pytest.raises(Invalid, match="没有毕业生"):
        render_roster(HEADING, [])
    lines = roster_lines(3)
    lines[2] = replace(lines[2], remark=LONG_REMARK * 60)
    with pytest.raises(Invalid, match="第 3 行"):
        render_roster(HEADING, lines)
