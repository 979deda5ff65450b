"""`qianfa import orgs|people|graduates` for graduation: 技工院校 and 主管部门, the roles per kind,
graduates all-or-nothing with every bad row named, warnings, corrections with history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl

from issuance.core.idcard import check_character
from tests.cli import qianfa, sql

ORGS = (
    "机构代码,机构名称,机构类型,行政区划代码,上级机构代码,办学层次,学校序号,终审\n"
    "FJ,福建省技工教育中心,主管部门,35,,,,\n"
    "FZ,福州市人社局,主管部门,350100,FJ,,,是\n"
    "QZ,泉州市人社局,主管部门,350500,FJ,,,否\n"
    "S1,福州高级技工学校,技工院校,350100,FZ,高级技工学校,002,\n"
    "S2,泉州技工学校,技工院校,350500,QZ,技工学校,003,\n"
)
PEOPLE = (
    "姓名,手机号,所属机构代码,角色\n"
    "甲,13900000001,FJ,审批人\n"
    "乙,13900000002,FJ,库管员\n"
    "丙,13900000003,FJ,发放员\n"
    "丁,13900000004,FZ,审批人\n"
    "戊,13900000011,S1,经办人\n"
    "己,13900000012,S1,校领导\n"
)
HEADER = "姓名,身份证号,性别,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式\n"


def number(index: int, male: bool = True) -> str:
    first17 = f"35010220060101{index * 2 + (1 if male else 0):03d}"
    return first17 + check_character(first17)


def line(index: int, **changes: str) -> str:
    cells = {
        "name": f"学生{index}",
        "id": number(index),
        "sex": "男",
        "school": "S1",
        "code": "0701",
        "major": "汽车维修",
        "level": "高级工班",
        "enrolled": "202209",
        "graduated": "202506",
        "years": "3",
        "mode": "全日制",
    } | changes
    return ",".join(cells.values()) + "\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def home_with_orgs(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert qianfa(home, "init").code == 0
    run = qianfa(home, "import", "orgs", str(write(tmp_path / "orgs.csv", ORGS)))
    assert run.code == 0, run.stderr
    run = qianfa(home, "import", "people", str(write(tmp_path / "people.csv", PEOPLE)))
    assert run.code == 0, run.stdout + run.stderr
    return home


def test_schools_and_departments_import_with_level_sequence_and_final_flag(tmp_path: Path) -> None:
    home = home_with_orgs(tmp_path)
    rows = sql(home, "SELECT code, kind, level, school_seq, final FROM org ORDER BY id")
    assert rows == [
        ("FJ", "主管部门", None, None, 0),
        ("FZ", "主管部门", None, None, 1),
        ("QZ", "主管部门", None, None, 0),
        ("S1", "技工院校", "高级技工学校", "002", 0),
        ("S2", "技工院校", "技工学校", "003", 0),
    ]


def test_bad_orgs_and_roles_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    home = home_with_orgs(tmp_path)
    bad_orgs = (
        "机构代码,机构名称,机构类型,行政区划代码,上级机构代码,办学层次,学校序号,终审\n"
        "S3,某技工学校,技工院校,350100,FZ,中专,02,\n"
        "S4,另一技工学校,技工院校,350100,,技工学校,002,\n"
        "X1,某市,主管部门,350200,FJ,,,也许\n"
    )
    run = qianfa(home, "import", "orgs", str(write(tmp_path / "bad.csv", bad_orgs)), "--json")
    assert run.code == 1
    errors = {(e["row"], e["column"]) for e in run.json()["errors"]}
    assert errors == {
        (2, "办学层次"),
        (2, "学校序号"),
        (3, "上级机构代码"),
        (3, "学校序号"),
        (4, "终审"),
    }
    bad_people = (
        "姓名,手机号,所属机构代码,角色\n"
        "庚,13900000021,FZ,经办人\n"
        "辛,13900000022,FZ,库管员\n"
        "壬,13900000023,S1,审批人\n"
    )
    run = qianfa(home, "import", "people", str(write(tmp_path / "p.csv", bad_people)), "--json")
    assert run.code == 1
    assert [(e["row"], e["column"]) for e in run.json()["errors"]] == [
        (2, "角色"),
        (3, "角色"),
        (4, "角色"),
    ]
    assert sql(home, "SELECT COUNT(*) FROM person")[0][0] == 6
    db = sqlite3.connect(home / "qianfa.db")
    try:
        db.execute("PRAGMA foreign_keys = ON")
        try:
            db.execute(
                "INSERT INTO person (name, phone, org_id, role) VALUES ('x', '13900000099',"
                " (SELECT id FROM org WHERE code = 'FZ'), '经办人')"
            )
            raise AssertionError("the database accepted a 经办人 of a 主管部门")
        except sqlite3.IntegrityError:
            pass
    finally:
        db.close()


def test_graduates_import_all_or_nothing_with_every_bad_row_named(tmp_path: Path) -> None:
    home = home_with_orgs(tmp_path)
    text = (
        HEADER
        + line(0)
        + line(1, sex="女")
        + line(2, enrolled="202509")
        + line(3, level="预备技师", code="07A1")
        + line(4, school="S2", level="预备技师班")
        + line(5, id="350102200601010110")
        + line(0)
    )
    run = qianfa(home, "import", "graduates", str(write(tmp_path / "g.csv", text)), "--json")
    assert run.code == 1
    assert sorted((e["row"], e["column"]) for e in run.json()["errors"]) == [
        (3, "性别"),
        (4, "毕业时间"),
        (5, "专业代码"),
        (5, "培养层次"),
        (6, "培养层次"),
        (7, "身份证号"),
        (8, "身份证号"),
    ]
    assert "身份证" in run.stdout or "row 3" in run.stdout
    assert sql(home, "SELECT COUNT(*) FROM graduate")[0][0] == 0


def test_years_that_disagree_with_the_dates_are_a_warning_not_an_error(tmp_path: Path) -> None:
    home = home_with_orgs(tmp_path)
    text = HEADER + line(0) + line(1, years="5") + line(2, enrolled="2022-09", graduated="2025.6")
    run = qianfa(home, "import", "graduates", str(write(tmp_path / "g.csv", text)), "--json")
    assert run.code == 0, run.stderr
    report = run.json()
    assert report["imported"] == 3
    assert [(w["row"], w["column"]) for w in report["warnings"]] == [(3, "学制")]
    assert sql(home, "SELECT enrolled, graduated, sex FROM graduate WHERE name = '学生2'") == [
        ("202209", "202506", "男")
    ]


def test_an_xlsx_reimport_corrects_graduates_and_keeps_history(tmp_path: Path) -> None:
    home = home_with_orgs(tmp_path)
    first = tmp_path / "g.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    for index in range(3):
        sheet.append(line(index).strip().split(","))
    book.save(first)
    assert qianfa(home, "import", "graduates", str(first)).code == 0
    text = HEADER + line(0, major="汽车运用与维修") + line(1) + line(3)
    run = qianfa(home, "import", "graduates", str(write(tmp_path / "fix.csv", text)), "--json")
    assert run.code == 0, run.stderr
    assert (run.json()["imported"], run.json()["corrected"]) == (1, 1)
    assert sql(home, "SELECT major FROM graduate WHERE name = '学生0'") == [("汽车运用与维修",)]
    history = sql(home, "SELECT old, new, source FROM graduate_history")
    assert history == [('{"major": "汽车维修"}', '{"major": "汽车运用与维修"}', "import:fix.csv")]

    assert qianfa(home, "grad", "declare", "--school", "S1", "--term", "202506").code == 0
    run = qianfa(home, "import", "graduates", str(write(tmp_path / "again.csv", text)), "--json")
    assert run.code == 1
    assert {e["row"] for e in run.json()["errors"]} == {2, 3, 4}


def test_hostile_graduate_cells_are_refused_like_other_imports(tmp_path: Path) -> None:
    home = home_with_orgs(tmp_path)
    path = tmp_path / "g.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(line(0, name="学生\u202e0").strip().split(","))
    sheet.append(line(1, major="专" * 300).strip().split(","))
    numeric = line(2).strip().split(",")
    numeric[1] = int(number(2)[:17])  # any number cell: Excel rounds 18-digit ones
    sheet.append(numeric)
    book.save(path)
    run = qianfa(home, "import", "graduates", str(path), "--json")
    assert run.code == 1
    errors = {(e["row"], e["column"]): e["message"] for e in run.json()["errors"]}
    assert set(errors) == {(2, "姓名"), (3, "专业名称"), (4, "身份证号")}
    assert "文本" in errors[(4, "身份证号")]
    assert sql(home, "SELECT COUNT(*) FROM graduate")[0][0] == 0


def test_a_gb18030_file_from_excel_on_chinese_windows_imports(tmp_path: Path) -> None:
    """女 is C5 AE in GB18030, which is also valid UTF-8: the sex column alone once made every
    such file read as mixed encodings."""
    home = home_with_orgs(tmp_path)
    names = ("王秀英", "李娜", "欧阳文静", "买买提·依明", "林淑女")
    rows = "".join(
        line(i, name=name, id=number(i, male=False), sex="女") for i, name in enumerate(names)
    )
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + rows).encode("gb18030"))
    run = qianfa(home, "import", "graduates", str(path), "--json")
    assert run.code == 0, run.stdout + run.stderr
    assert run.json()["imported"] == len(names)
    stored = sql(home, "SELECT name, sex FROM graduate ORDER BY id")
    assert stored == [(name, "女") for name in names]
    # a UTF-8 name pasted into a GB18030 file is still refused
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(
        (HEADER + line(9, name="X", id=number(9))).encode("gb18030").replace(b"X", "张三".encode())
    )
    refused = qianfa(home, "import", "graduates", str(mixed))
    assert refused.code == 1 and "编码混用" in refused.stdout + refused.stderr


def test_digits_typed_full_width_or_arabic_indic_are_stored_ascii_and_a_numeric_major_code_padded(
    tmp_path: Path,
) -> None:
    home = home_with_orgs(tmp_path)
    rows = line(1, enrolled="２０２２09", graduated="٢٠٢٥٠٦", years="３")
    run = qianfa(home, "import", "graduates", str(write(tmp_path / "w.csv", HEADER + rows)))
    assert run.code == 0, run.stdout + run.stderr
    assert sql(home, "SELECT enrolled, graduated, years FROM graduate") == [
        ("202209", "202506", "3")
    ]
    header = HEADER.strip().split(",")
    cells: list[object] = line(2).strip().split(",")
    cells[4] = 701  # 0701 typed into a General-format cell
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append(cells)
    book.save(tmp_path / "n.xlsx")
    run = qianfa(home, "import", "graduates", str(tmp_path / "n.xlsx"))
    assert run.code == 0, run.stdout + run.stderr
    assert sql(home, f"SELECT major_code FROM graduate WHERE id_number = '{number(2)}'") == [
        ("0701",)
    ]


def test_a_major_code_typed_as_a_number_is_padded_and_the_same_digits_typed_as_text_refused(
    tmp_path: Path,
) -> None:
    # Rows sharing every other cell: the number and the text of 701 are checked apart, in
    # either order.
    home = home_with_orgs(tmp_path)
    for name, codes, refused in (("n.xlsx", (701, "701", 701), 3), ("t.xlsx", ("701", 701), 2)):
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADER.strip().split(","))
        for index, code in enumerate(codes):
            cells: list[object] = line(index).strip().split(",")
            cells[4] = code
            sheet.append(cells)
        book.save(tmp_path / name)
        run = qianfa(home, "import", "graduates", str(tmp_path / name), "--json")
        assert run.code == 1
        assert [(e["row"], e["column"]) for e in run.json()["errors"]] == [(refused, "专业代码")]
    assert sql(home, "SELECT COUNT(*) FROM graduate") == [(0,)]
