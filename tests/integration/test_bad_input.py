"""Bad-input corpus: each hostile or malformed import file gets its stated message, nothing changes.

Every case runs the real importer against a real SQLite file, then checks that the database file
is byte-identical afterwards and that this process is still here to check it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import random
import shutil
import string
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from issuance.core.catalog import t
from issuance.core.errors import DomainError
from issuance.core.idcard import check_character
from issuance.core.people import ORG_KINDS, ROLES
from issuance.core.records import LEVELS, RESULTS, STUDENT_TYPES
from issuance.core.settings import Secret, Settings
from issuance.formats.tabular import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NumberText,
)
from issuance.store import Store
from issuance.xcert.completion import clean_value
from issuance.xcert.service import Issuance
from qianfa.cli import IMPORTERS
from tests import hostile

ORGS = (
    "机构代码,机构名称,机构类型,行政区划代码,上级机构代码\n"
    "ISSUER01,中船教育科技(北京)有限公司,培训评价组织,110108,\n"
    "SCHOOLA,辽宁示范船舶职业技术学院,试点院校,210200,\n"
)
PEOPLE = (
    "姓名,手机号,所属机构代码,角色,职务\n"
    "王建国,13800000001,ISSUER01,签发人,证书部主任\n"
    "李明华,13800000002,SCHOOLA,负责人,副校长\n"
)
ORG_HEADER = "机构代码,机构名称,机构类型,行政区划代码,上级机构代码"
PEOPLE_HEADER = "姓名,手机号,所属机构代码,角色,职务"
RESULT_COLUMNS = (
    "学生姓名,身份证号,学生类型,所属院校,证书名称,证书等级,颁证机构,考试计划,考核站点,考核状态"
)
RESULT_HEADERS = tuple(RESULT_COLUMNS.split(","))
PLAN = "2025年6月考试计划"
PROGRAM = ("特殊焊接技术职业技能等级证书", "初级", "ISSUER01")


def id_number(serial: int, born: str = "20010101") -> str:
    first17 = f"210202{born}{serial % 1000:03d}"
    return first17 + check_character(first17)


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


KNOWN_ID = id_number(1)
FULL_ID = "440301197001010021"  # the example: Excel stores it as 440301197001010048


def result_cells(name: str = "张三", number: str = "", **changes: str) -> list[str]:
    values = {
        "学生姓名": name,
        "身份证号": number or id_number(7),
        "学生类型": "院校学生",
        "所属院校": "SCHOOLA",
        "证书名称": PROGRAM[0],
        "证书等级": PROGRAM[1],
        "颁证机构": PROGRAM[2],
        "考试计划": PLAN,
        "考核站点": "SCHOOLA",
        "考核状态": "已通过",
    }
    values.update(changes)
    return [values[header] for header in RESULT_HEADERS]


def results_csv(*rows: list[str]) -> str:
    return RESULT_COLUMNS + "\n" + "".join(",".join(row) + "\n" for row in rows)


Maker = Callable[[Path], Path]


def text_file(name: str, text: str, encoding: str = "utf-8") -> Maker:
    return lambda folder: hostile.write(folder, name, text.encode(encoding))


def bytes_file(name: str, data: bytes | Callable[[], bytes]) -> Maker:
    return lambda folder: hostile.write(folder, name, data() if callable(data) else data)


def fifo(folder: Path) -> Path:
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return path


def dev_zero(folder: Path) -> Path:
    path = folder / "zero.csv"
    path.symlink_to("/dev/zero")
    return path


def directory(folder: Path) -> Path:
    path = folder / "folder.csv"
    path.mkdir()
    return path


def sparse(folder: Path) -> Path:
    path = folder / "huge.csv"
    with path.open("wb") as stream:
        stream.write(RESULT_COLUMNS.encode())
        stream.truncate(MAX_FILE_BYTES + 1)
    return path


def many_entries() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for index in range(1001):
            package.writestr(f"xl/media/{index}.bin", b"")
    return out.getvalue()


def long_text_run() -> bytes:
    rng = random.Random(9)
    text = "".join(rng.choice(string.ascii_letters) for _ in range(300_000))
    return hostile.sheet_xlsx([RESULT_HEADERS, [text]])


def far_ref(ref: str) -> bytes:
    head = "".join(f'<c r="{chr(65 + i)}1"><v>{i}</v></c>' for i in range(3))
    return hostile.xlsx_package(
        hostile._SHEET_HEAD + f'<sheetData><row r="1">{head}<c r="{ref}"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    )


def too_many_rows(folder: Path) -> Path:
    path = folder / "rows.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write(RESULT_COLUMNS + "\n")
        stream.write("x\n" * (MAX_ROWS + 1))
    return path


@dataclass(frozen=True)
class Case:
    """One hostile file: what to import, and the message the user must read."""

    id: str
    kind: str
    make: Maker
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> str:
        return t(self.key, **self.params)


# One name pasted from a UTF-8 source into a GB18030 file: it would read as 鍖椾含瀛﹂櫌.
GB_WITH_UTF8 = (
    results_csv(result_cells("李四")).encode("gb18030")
    + "北京学院".encode()
    + ("," + ",".join(result_cells(number=id_number(8))[1:]) + "\n").encode("gb18030")
)


def ods_repeated(rows: int, columns: int) -> bytes:
    """An .ods with one filled cell repeated: a reader would expand it to rows x columns."""
    package = hostile.ods_package([list(PEOPLE_HEADER.split(","))])
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    bomb = (
        f'<table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell office:value-type="string" table:number-columns-repeated="{columns}">'
        "<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
    )
    parts["content.xml"] = parts["content.xml"].replace(b"</table:table>", bomb.encode())
    return _zip(parts)


def people_rows(count: int) -> str:
    """`count` people whose role nobody has: one bad cell each."""
    return PEOPLE_HEADER + "\n" + "".join(f"周{n},139{n:08d},SCHOOLA,校长,\n" for n in range(count))


GRAD_HEADER = (
    "姓名,身份证号,性别,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式"
)


def graduates_csv(enrolled: str = "202209", graduated: str = "202506", years: str = "3") -> str:
    """One graduate (born 2001) of the given months and 学制."""
    return (
        f"{GRAD_HEADER}\n张三,{id_number(40)},男,SCHOOLA,0701,汽车维修,高级工班,"
        f"{enrolled},{graduated},{years},全日制\n"
    )


MONTH_RANGE = {"first": 1950, "last": date.today().year + 1}
CASES = [
    # issue 18, item 5: graduates' months, 学制 and qualification dates past the plausible
    *(
        Case(f"graduates_{name}", "graduates", text_file(f"{name}.csv", text), key, params)
        for name, text, key, params in (
            (
                "months_1847",
                graduates_csv("184709", "185006"),
                "grad.field.month_range",
                MONTH_RANGE,
            ),
            (
                "months_2096",
                graduates_csv("209609", "209906"),
                "grad.field.month_range",
                MONTH_RANGE,
            ),
            ("month_000001", graduates_csv("000001"), "grad.field.month_range", MONTH_RANGE),
            (
                "enrolled_before_birth",
                graduates_csv("199809"),
                "grad.field.enrolled_before_birth",
                {},
            ),
            ("years_0", graduates_csv(years="0"), "grad.field.years_range", {"limit": 10}),
            ("years_99999", graduates_csv(years="99999"), "grad.field.years_range", {"limit": 10}),
        )
    ),
    *(
        Case(f"graduates_name_{name}", "graduates", text_file(f"n{name}.csv", text), key, params)
        for name, text, key, params in (
            (
                "emoji",
                graduates_csv().replace("张三", "张😀"),
                "grad.field.missing_glyph",
                {"chars": "😀"},
            ),
            (
                "extension_b",
                graduates_csv().replace("张三", "𠀀𪚥"),
                "grad.field.missing_glyph",
                {"chars": "𠀀𪚥"},
            ),
            (
                "too_long_to_print",
                graduates_csv().replace("张三", "欧阳" * 9),
                "grad.field.unprintable",
                {},
            ),
        )
    ),
    *(
        Case(
            f"qualification_issued_{day}",
            "qualifications",
            text_file(
                f"q{day}.csv",
                f"姓名,身份证号,职业资格证书编号,职业资格等级,发证日期\n张三,{id_number(40)},Q1,四级/中级工,{day}\n",
            ),
            "qual.import.day",
        )
        for day in ("1850-01-01", "2099-01-01")
    ),
    # issue 18: spreadsheets offices save (.xls, .ods) with the same bounds, bad cells capped
    Case(
        "ods_rows_repeated",
        "people",
        bytes_file("rows.ods", lambda: ods_repeated(1_000_000, 1)),
        "tabular.too_many_rows",
        {"limit": MAX_ROWS},
    ),
    Case(
        "ods_columns_repeated",
        "people",
        bytes_file("cols.ods", lambda: ods_repeated(1, 20_000)),
        "tabular.too_many_columns",
        {"limit": MAX_COLUMNS},
    ),
    Case(
        "ods_not_a_package",
        "people",
        bytes_file("x.ods", b"not a zip"),
        "tabular.unreadable",
        {"name": "x.ods"},
    ),
    Case(
        "xls_not_a_workbook",
        "people",
        bytes_file("x.xls", b"\xd0\xcf\x11\xe0 not really"),
        "tabular.unreadable",
        {"name": "x.xls"},
    ),
    Case(
        "bad_cells_past_1000",
        "people",
        text_file("many.csv", people_rows(1500)),
        "tabular.more_errors",
        {"count": 500},
    ),
    # 1, 2, 4: what the reader would allocate or inflate
    Case(
        "xfd1048576",
        "results",
        bytes_file("far.xlsx", hostile.far_cell_xlsx(RESULT_HEADERS)),
        "tabular.too_many_rows",
        {"limit": MAX_ROWS},
    ),
    Case(
        "far_column",
        "results",
        bytes_file("col.xlsx", far_ref("XFD1")),
        "tabular.too_many_columns",
        {"limit": MAX_COLUMNS},
    ),
    Case(
        "far_row",
        "results",
        bytes_file("row.xlsx", far_ref("A1048576")),
        "tabular.too_many_rows",
        {"limit": MAX_ROWS},
    ),
    Case(
        "dimension_lies",
        "results",
        bytes_file(
            "dim.xlsx",
            hostile.xlsx_package(
                hostile._SHEET_HEAD + '<dimension ref="A1:XFD1048576"/><sheetData/></worksheet>'
            ),
        ),
        "tabular.empty",  # the rows present count, not what the sheet declares (issue 18)
    ),
    Case(
        "zip_ratio_bomb",
        "results",
        bytes_file("bomb.xlsx", lambda: hostile.bomb_xlsx(64 << 20)),
        "tabular.xlsx_bomb",
    ),
    Case("zip_many_entries", "results", bytes_file("many.xlsx", many_entries), "tabular.xlsx_bomb"),
    Case("giant_text_run", "results", bytes_file("run.xlsx", long_text_run), "tabular.xlsx_bomb"),
    Case(
        "file_too_large",
        "results",
        sparse,
        "tabular.too_large",
        {"limit": MAX_FILE_BYTES // (1024 * 1024)},
    ),
    Case("rows_over_limit", "results", too_many_rows, "tabular.too_many_rows", {"limit": MAX_ROWS}),
    Case(
        "columns_over_limit",
        "results",
        text_file("wide.csv", results_csv(result_cells() + ["x"] * MAX_COLUMNS)),
        "tabular.too_many_columns",
        {"limit": MAX_COLUMNS},
    ),
    Case("fifo", "results", fifo, "tabular.not_regular", {"name": "pipe.csv"}),
    Case("dev_zero", "results", dev_zero, "tabular.not_regular", {"name": "zero.csv"}),
    Case("directory", "results", directory, "tabular.not_regular", {"name": "folder.csv"}),
    Case(
        "missing_file",
        "results",
        lambda folder: folder / "gone.csv",
        "tabular.missing",
        {"name": "gone.csv"},
    ),
    Case(
        "txt_suffix",
        "results",
        text_file("r.txt", "x"),
        "tabular.unsupported_type",
        {"suffix": ".txt"},
    ),
    Case(
        "no_suffix",
        "results",
        text_file("results", "x"),
        "tabular.unsupported_type",
        {"suffix": "results"},
    ),
    # 7: CSV that the csv module cannot take
    Case(
        "unterminated_quote",
        "results",
        text_file("q.csv", results_csv(result_cells('"张三'), result_cells("李四"))),
        "tabular.csv_malformed",
    ),
    Case(
        "misplaced_quote",
        "results",
        text_file("q2.csv", results_csv(result_cells('"张"三'))),
        "tabular.csv_malformed",
    ),
    Case(
        "field_over_131072",
        "results",
        text_file("f.csv", results_csv(result_cells('"' + "长" * 140_000 + '"'))),
        "tabular.csv_malformed",
    ),
    Case(
        "line_over_limit",
        "results",
        text_file("l.csv", results_csv([*result_cells(), "x" * 250000])),
        "tabular.line_too_long",
    ),
    Case(
        "cell_over_limit",
        "results",
        text_file("c.csv", results_csv(result_cells("名" * 100_000))),
        "tabular.cell_too_long",
        {"limit": MAX_CELL_CHARS},
    ),
    # 5: numeric ID cells
    Case(
        "numeric_id_18",
        "results",
        bytes_file(
            "n18.xlsx",
            hostile.sheet_xlsx(
                [RESULT_HEADERS, [*result_cells()[:1], int(FULL_ID), *result_cells()[2:]]]
            ),
        ),
        "import.id_numeric",
    ),
    Case(
        "numeric_id_15",
        "results",
        bytes_file(
            "n15.xlsx",
            hostile.sheet_xlsx(
                [RESULT_HEADERS, [*result_cells()[:1], 440301700101002, *result_cells()[2:]]]
            ),
        ),
        "import.id_numeric",
    ),
    Case(
        "numeric_id_float",
        "results",
        bytes_file(
            "nf.xlsx",
            hostile.sheet_xlsx(
                [RESULT_HEADERS, [*result_cells()[:1], 4.4030119700101e17, *result_cells()[2:]]]
            ),
        ),
        "import.id_numeric",
    ),
    # 6: names and text
    *[
        Case(
            f"name_{label}",
            "results",
            text_file(f"{label}.csv", results_csv(result_cells(f"张{char}三"))),
            "import.bad_text",
        )
        for label, char in (
            ("nul", "\x00"),
            ("bidi_override", "\u202e"),
            ("zero_width_space", "\u200b"),
            ("zero_width_joiner", "\u200d"),
            ("bell", "\x07"),
            ("escape", "\x1b[31m"),
            ("bom_inside", "\ufeff"),
            ("line_separator", "\u2028"),
            ("private_use", "\ue000"),
            ("backspace", "\x08"),
        )
    ],
    Case(
        "name_51_chars",
        "results",
        text_file("n51.csv", results_csv(result_cells("张" * 51))),
        "import.too_long",
        {"limit": 50},
    ),
    Case(
        "born_1850",
        "results",
        text_file("b.csv", results_csv(result_cells(number=id_number(3, "18500101")))),
        "id.birth_date",
    ),
    Case(
        "born_in_future",
        "results",
        text_file("f2.csv", results_csv(result_cells(number=id_number(3, "29990101")))),
        "id.birth_date",
    ),
    Case(
        "bad_check_digit",
        "results",
        text_file("cd.csv", results_csv(result_cells(number=wrong_check(id_number(3))))),
        "id.check_digit",
    ),
    Case(
        "id_17_chars",
        "results",
        text_file("s.csv", results_csv(result_cells(number=id_number(3)[:17]))),
        "id.shape",
    ),
    Case(
        "gb18030_with_utf8_name",
        "results",
        bytes_file("mixed.csv", GB_WITH_UTF8),
        "tabular.mixed_encoding",
    ),
    Case(
        "undecodable_bytes",
        "results",
        bytes_file("bytes.csv", b"\xff\xfe\xff\x00garbage"),
        "tabular.encoding",
    ),
    Case(
        "utf16",
        "results",
        bytes_file("u16.csv", results_csv(result_cells()).encode("utf-16")),
        "tabular.encoding",
    ),
    # shapes that already held
    Case("empty_csv", "results", text_file("e.csv", ""), "tabular.empty"),
    Case("blank_lines", "results", text_file("b2.csv", "\n\n,,\n"), "tabular.empty"),
    Case(
        "not_a_zip",
        "results",
        bytes_file("nz.xlsx", b"PK not really"),
        "tabular.unreadable",
        {"name": "nz.xlsx"},
    ),
    Case(
        "empty_xlsx", "results", bytes_file("e.xlsx", b""), "tabular.unreadable", {"name": "e.xlsx"}
    ),
    Case(
        "zip_without_sheet",
        "results",
        bytes_file("ns.xlsx", lambda: _zip({"hello.txt": b"hi"})),
        "tabular.unreadable",
        {"name": "ns.xlsx"},
    ),
    Case(
        "missing_column",
        "results",
        text_file("mc.csv", "学生姓名,身份证号\n张三,1\n"),
        "import.missing_column",
    ),
    Case(
        "duplicate_column",
        "results",
        text_file("dc.csv", RESULT_COLUMNS + ",学生姓名\n"),
        "tabular.duplicate_column",
        {"column": "学生姓名"},
    ),
    Case(
        "no_header",
        "results",
        text_file("nh.csv", "a,b,c\n1,2,3\n"),
        "tabular.no_header",
        {"row": 1, "columns": "、".join(RESULT_HEADERS)},
    ),
    Case(
        "unknown_school",
        "results",
        text_file("us.csv", results_csv(result_cells(**{"所属院校": "NOPE"}))),
        "import.unknown_org",
        {"code": "NOPE"},
    ),
    Case(
        "bad_student_type",
        "results",
        text_file("st.csv", results_csv(result_cells(**{"学生类型": "旁听生"}))),
        "import.one_of",
        {"allowed": " | ".join(STUDENT_TYPES)},
    ),
    Case(
        "bad_level",
        "results",
        text_file("lv.csv", results_csv(result_cells(**{"证书等级": "特级"}))),
        "import.one_of",
        {"allowed": " | ".join(LEVELS)},
    ),
    Case(
        "bad_result",
        "results",
        text_file("rs.csv", results_csv(result_cells(**{"考核状态": "缺考"}))),
        "import.one_of",
        {"allowed": " | ".join(RESULTS)},
    ),
    Case(
        "school_student_without_school",
        "results",
        text_file("ns.csv", results_csv(result_cells(**{"所属院校": ""}))),
        "import.school_required",
    ),
    Case(
        "duplicate_in_file",
        "results",
        text_file("dup.csv", results_csv(result_cells(), result_cells())),
        "import.duplicate_result_in_file",
        {"first": 2},
    ),
    Case(
        "name_mismatch",
        "results",
        text_file("nm.csv", results_csv(result_cells("王五", KNOWN_ID, **{"考试计划": "补考"}))),
        "import.name_mismatch",
        {"name": "赵六"},
    ),
    Case(
        "result_exists",
        "results",
        text_file("re.csv", results_csv(result_cells("赵六", KNOWN_ID))),
        "import.duplicate_result",
    ),
    Case(
        "issuer_is_a_school",
        "results",
        text_file("ik.csv", results_csv(result_cells(**{"颁证机构": "SCHOOLA"}))),
        "import.org_kind",
        {"code": "SCHOOLA", "kind": "培训评价组织"},
    ),
    # organizations
    Case(
        "parent_cycle",
        "orgs",
        text_file("cy.csv", f"{ORG_HEADER}\nA,甲,试点院校,,B\nB,乙,试点院校,,A\n"),
        "import.parent_cycle",
        {"chain": "A → B → A"},
    ),
    Case(
        "own_parent",
        "orgs",
        text_file("own.csv", f"{ORG_HEADER}\nC,丙,试点院校,,C\n"),
        "import.parent_cycle",
        {"chain": "C → C"},
    ),
    Case(
        "unknown_parent",
        "orgs",
        text_file("up.csv", f"{ORG_HEADER}\nD,丁,试点院校,,ZZZ\n"),
        "import.unknown_org",
        {"code": "ZZZ"},
    ),
    Case(
        "org_exists",
        "orgs",
        text_file("oe.csv", f"{ORG_HEADER}\nSCHOOLA,甲,试点院校,,\n"),
        "import.org_exists",
        {"code": "SCHOOLA"},
    ),
    Case(
        "bad_org_type",
        "orgs",
        text_file("ot.csv", f"{ORG_HEADER}\nE,戊,大学,,\n"),
        "import.one_of",
        {"allowed": " | ".join(ORG_KINDS)},
    ),
    Case(
        "org_name_bidi",
        "orgs",
        text_file("ob.csv", f"{ORG_HEADER}\nF,\u202e院学,试点院校,,\n"),
        "import.bad_text",
    ),
    Case(
        "org_name_101_chars",
        "orgs",
        text_file("ol.csv", f"{ORG_HEADER}\nG,{'院' * 101},试点院校,,\n"),
        "import.too_long",
        {"limit": 100},
    ),
    Case(
        "orgs_far_cell",
        "orgs",
        bytes_file("of.xlsx", hostile.far_cell_xlsx(tuple(ORG_HEADER.split(",")))),
        "tabular.too_many_rows",
        {"limit": MAX_ROWS},
    ),
    # people
    Case(
        "bad_phone",
        "people",
        text_file("bp.csv", f"{PEOPLE_HEADER}\n周七,2380000000,SCHOOLA,业务管理员,\n"),
        "import.phone",
    ),
    Case(
        "phone_exists",
        "people",
        text_file("pe.csv", f"{PEOPLE_HEADER}\n周七,13800000002,SCHOOLA,业务管理员,\n"),
        "import.phone_exists",
    ),
    Case(
        "second_head",
        "people",
        text_file("sh.csv", f"{PEOPLE_HEADER}\n周七,13800000009,SCHOOLA,负责人,\n"),
        "import.second_head",
        {"org": "辽宁示范船舶职业技术学院"},
    ),
    Case(
        "role_in_wrong_org",
        "people",
        text_file("rw.csv", f"{PEOPLE_HEADER}\n周七,13800000009,SCHOOLA,签发人,\n"),
        "import.role_org_kind",
        {"role": "签发人", "kind": "培训评价组织"},
    ),
    Case(
        "unknown_role",
        "people",
        text_file("ur.csv", f"{PEOPLE_HEADER}\n周七,13800000009,SCHOOLA,校长,\n"),
        "import.one_of",
        {"allowed": " | ".join(ROLES)},
    ),
    Case(
        "person_name_zero_width",
        "people",
        text_file("pz.csv", f"{PEOPLE_HEADER}\n周\u200b七,13800000009,SCHOOLA,业务管理员,\n"),
        "import.bad_text",
    ),
    Case(
        "person_name_51_chars",
        "people",
        text_file("pl.csv", f"{PEOPLE_HEADER}\n{'周' * 51},13800000009,SCHOOLA,业务管理员,\n"),
        "import.too_long",
        {"limit": 50},
    ),
    Case(
        "people_unterminated_quote",
        "people",
        text_file("pq.csv", f'{PEOPLE_HEADER}\n"周七,13800000009,SCHOOLA,业务管理员,\n'),
        "tabular.csv_malformed",
    ),
]


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return out.getvalue()


def settings_for(home: Path) -> Settings:
    return Settings(home=home, secret_key=Secret("test-secret-key-test-secret-key-0123"))


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with organizations, people and one result (of 赵六), closed and checkpointed."""
    folder = tmp_path_factory.mktemp("corpus")

    async def build() -> None:
        store = await Store.open(folder / "qianfa.db")
        try:
            for kind, text in (("orgs", ORGS), ("people", PEOPLE)):
                path = hostile.write(folder, f"{kind}.csv", text)
                assert (await IMPORTERS[kind](store, path)).imported > 0
            path = hostile.write(folder, "r.csv", results_csv(result_cells("赵六", KNOWN_ID)))
            assert (await IMPORTERS["results"](store, path)).imported == 1
        finally:
            await store.close()

    asyncio.run(build())
    return folder / "qianfa.db"


@pytest.fixture
async def store(base_db: Path, tmp_path: Path) -> AsyncIterator[Store]:
    path = Path(shutil.copy(base_db, tmp_path / "qianfa.db"))
    opened = await Store.open(path)
    yield opened
    await opened.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def messages_of(store: Store, kind: str, path: Path) -> list[str]:
    """The texts a user reads for this import: the refusal, or every bad row's message."""
    try:
        report = await IMPORTERS[kind](store, path)
    except DomainError as error:
        return [error.message()]
    assert report.imported == 0
    return [error.message for error in report.errors]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_bad_file_gets_its_message_and_changes_nothing(
    case: Case, base_db: Path, tmp_path: Path
) -> None:
    path = Path(shutil.copy(base_db, tmp_path / "qianfa.db"))
    before = digest(path)
    files = tmp_path / "files"
    files.mkdir()
    store = await Store.open(path)
    try:
        messages = await messages_of(store, case.kind, case.make(files))
    finally:
        await store.close()
    assert case.expected in messages, messages
    assert digest(path) == before


def test_the_corpus_covers_at_least_seventy_files() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        ("原" * 40_000, "void.reason_too_long"),
        ("打印\x00损坏", "void.reason_bad_text"),
        ("打印\u202e损坏", "void.reason_bad_text"),
        ("   ", "void.reason_required"),
    ],
    ids=["40000_chars", "nul", "bidi", "blank"],
)
async def test_void_reasons_are_bounded_and_visible(store: Store, reason: str, key: str) -> None:
    issuance = Issuance(store, settings_for(Path(".")))
    with pytest.raises(DomainError) as caught:
        await issuance.void("15600031015610012000045", reason)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("field_name", "value", "key"),
    [
        ("id_number", NumberText(FULL_ID), "import.id_numeric"),
        ("name", "张\u202e三", "import.bad_text"),
        ("name", "张\x00三", "import.bad_text"),
        ("id_number", id_number(3, "18500101"), "id.birth_date"),
    ],
    ids=["numeric_id", "bidi_name", "nul_name", "born_1850"],
)
def test_corrected_values_in_the_problem_sheet_are_checked_the_same_way(
    field_name: str, value: str, key: str
) -> None:
    with pytest.raises(DomainError) as caught:
        clean_value(field_name, value)
    assert caught.value.key == key


# Names as schools really have them, several with 女 (C5 AE in GB18030: valid UTF-8 too).
REAL_NAMES = ("王秀英", "李娜", "张女华", "欧阳文静", "买买提·依明", "郑佳怡", "林淑女", "赵敏")


async def test_gb18030_files_with_realistic_names_import(store: Store, tmp_path: Path) -> None:
    rows = [result_cells(name, id_number(20 + i)) for i, name in enumerate(REAL_NAMES)]
    path = hostile.write(tmp_path, "gbk.csv", results_csv(*rows).encode("gb18030"))
    report = await IMPORTERS["results"](store, path)
    assert (report.imported, report.errors) == (len(REAL_NAMES), ())
    people = "".join(
        f"{name},1390000{i:04d},SCHOOLA,业务管理员,\n" for i, name in enumerate(REAL_NAMES)
    )
    path = hostile.write(tmp_path, "gbk-people.csv", (PEOPLE_HEADER + "\n" + people).encode("gbk"))
    report = await IMPORTERS["people"](store, path)
    assert (report.imported, report.errors) == (len(REAL_NAMES), ())


async def test_xls_ods_and_a_lying_dimension_import_like_xlsx(store: Store, tmp_path: Path) -> None:
    header = PEOPLE_HEADER.split(",")
    files = {
        "p.xls": hostile.xls_book([header, ["周八", "13900000101", "SCHOOLA", "业务管理员", ""]]),
        "p.ods": hostile.ods_package(
            [header, ["周九", 13900000102, "SCHOOLA", "业务管理员", ""]], repeat_empty_rows=1048000
        ),
        "p.xlsx": hostile.xlsx_package(
            hostile._SHEET_HEAD
            + '<dimension ref="A1:XFD1048576"/><sheetData>'
            + "".join(
                f'<row r="{r}">'
                + "".join(
                    hostile._inline(f"{chr(65 + c)}{r}", v) for c, v in enumerate(values) if v
                )
                + "</row>"
                for r, values in (
                    (1, header),
                    (2, ["周十", "13900000103", "SCHOOLA", "业务管理员", ""]),
                )
            )
            + "</sheetData></worksheet>"
        ),
    }
    for name, data in files.items():
        report = await IMPORTERS["people"](store, hostile.write(tmp_path, name, data))
        assert (report.imported, report.errors) == (1, ()), name


def test_row_errors_read_chinese_first() -> None:
    from issuance.formats.tabular import RowError

    assert str(RowError(2, "身份证号", "校验码不正确")) == "第 2 行，身份证号：校验码不正确"
    assert str(RowError(2, "ID", "bad", "en")) == "row 2, column ID: bad"
