"""`qianfa import orgs|people|results`: encodings, XLSX, all-or-nothing with every bad row named."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.cli import qianfa, table_counts
from tests.world import id_number

ORGS = (
    "机构代码,机构名称,机构类型,行政区划代码,上级机构代码\n"
    "ISSUER01,中船教育科技(北京)有限公司,培训评价组织,110108,\n"
    "SCHOOLA,辽宁示范船舶职业技术学院,试点院校,210200,\n"
    "SCHOOLB,陕西工业职业技术学院,试点院校,610100,\n"
)
PEOPLE = (
    "姓名,手机号,所属机构代码,角色,职务\n"
    "王建国,13800000001,ISSUER01,签发人,证书部主任\n"
    "李明华,13800000002,SCHOOLA,负责人,副校长\n"
    "赵晓燕,13800000003,SCHOOLA,业务管理员,\n"
)
RESULT_HEADER = (
    "学生姓名,身份证号,学生类型,所属院校,证书名称,证书等级,颁证机构,考试计划,考核站点,考核状态\n"
)
PLAN = "2025年6月考试计划"


def result_line(name: str, number: str, school: str = "SCHOOLA", plan: str = PLAN) -> str:
    program = "特殊焊接技术职业技能等级证书,初级,ISSUER01"
    return f"{name},{number},院校学生,{school},{program},{plan},SCHOOLA,已通过\n"


def results_text(count: int = 3, start: int = 0) -> str:
    return RESULT_HEADER + "".join(
        result_line(f"学生{i}", id_number(i)) for i in range(start, start + count)
    )


@pytest.fixture(scope="module")
def base_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the organizations and people imported, built once and copied per test."""
    folder = tmp_path_factory.mktemp("base")
    home = folder / "home"
    assert qianfa(home, "init").code == 0
    (folder / "orgs.csv").write_text(ORGS, encoding="utf-8")
    (folder / "people.csv").write_text(PEOPLE, encoding="utf-8")
    assert qianfa(home, "import", "orgs", str(folder / "orgs.csv")).code == 0
    assert qianfa(home, "import", "people", str(folder / "people.csv")).code == 0
    return home


@pytest.fixture
def home(base_home: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base_home, tmp_path / "home"))


def test_orgs_and_people_import_and_report_counts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    qianfa(home, "init")
    (tmp_path / "orgs.csv").write_text(ORGS, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    run = qianfa(home, "import", "orgs", str(tmp_path / "orgs.csv"), "--json")
    assert (run.code, run.json()) == (0, {"imported": 3, "errors": []})
    run = qianfa(home, "import", "people", str(tmp_path / "people.csv"), "--json")
    assert (run.code, run.json()) == (0, {"imported": 3, "errors": []})
    assert table_counts(home)["person"] == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_results_csv_in_each_supported_encoding(home: Path, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "results.csv"
    path.write_text(results_text(), encoding=encoding)
    run = qianfa(home, "import", "results", str(path), "--json")
    assert (run.code, run.json()) == (0, {"imported": 3, "errors": []})
    run = qianfa(home, "list", "create", "--plan", PLAN, "--json")
    assert run.json()["batches"][0]["records"] == 3
    export = tmp_path / "out.csv"
    qianfa(home, "export", "records", "--out", str(export), "--name", "学生1")
    assert "学生1," in export.read_text(encoding="utf-8-sig")  # names survived the encoding


def test_results_xlsx_with_numeric_looking_cells(home: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(RESULT_HEADER.strip().split(","))
    for i in range(3):
        sheet.append(result_line(f"学生{i}", id_number(i)).strip().split(","))
    book.save(tmp_path / "results.xlsx")
    run = qianfa(home, "import", "results", str(tmp_path / "results.xlsx"), "--json")
    assert (run.code, run.json()) == (0, {"imported": 3, "errors": []})
    assert table_counts(home)["student"] == 3


def test_bad_results_write_nothing_and_every_bad_row_is_reported(
    home: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(results_text(1, start=50), encoding="utf-8")
    assert qianfa(home, "import", "results", str(good)).code == 0
    wrong_check = id_number(3)[:17] + ("0" if id_number(3)[17] != "0" else "1")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        RESULT_HEADER
        + result_line("学生0", id_number(0))  # row 2: fine
        + result_line("学生3", wrong_check)  # row 3: wrong check digit
        + result_line("学生4", id_number(4), school="NOSUCH")  # row 4: unknown school
        + result_line("学生0", id_number(0))  # row 5: duplicate of row 2 in the file
        + result_line("学生50", id_number(50))  # row 6: already has a result in the DB
        + f"学生6,{id_number(6)},院校学生\n"  # row 7: cells missing
        + result_line("学生7", id_number(7)).replace("院校学生", "旁听生")  # row 8: bad type
        + result_line("学生8", id_number(8), school="ISSUER01")  # row 9: not a school
        + result_line("学生9", id_number(9)),  # row 10: fine
        encoding="utf-8",
    )
    before = table_counts(home)
    run = qianfa(home, "import", "results", str(bad), "--json")
    assert run.code == 1
    report = run.json()
    assert report["imported"] == 0
    bad_cells = {(e["row"], e["column"]) for e in report["errors"]}
    assert {
        (3, "身份证号"),
        (4, "所属院校"),
        (5, "身份证号"),
        (6, "身份证号"),
        (7, "证书名称"),
        (7, "考核状态"),
        (8, "学生类型"),
        (9, "所属院校"),
    } <= bad_cells
    assert {row for row, _ in bad_cells} == {3, 4, 5, 6, 7, 8, 9}
    assert all(e["message"] for e in report["errors"])
    assert table_counts(home) == before
    text = qianfa(home, "import", "results", str(bad))
    assert text.code == 1
    assert "第 3 行，身份证号：" in text.stdout
    assert "校验码" in text.stdout
    assert f"第 5 行，身份证号：{'同一学生同一考试计划与第 2 行重复'}" in text.stdout
    assert len(text.stdout.strip().splitlines()) == len(report["errors"])
    assert text.stderr.strip()  # summary on stderr
    assert table_counts(home) == before


def test_a_file_without_a_required_column_is_reported_per_column(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "results.csv"
    lines = results_text().splitlines()
    path.write_text(
        "\n".join(",".join(line.split(",")[:1] + line.split(",")[2:]) for line in lines) + "\n",
        encoding="utf-8",
    )
    before = table_counts(home)
    run = qianfa(home, "import", "results", str(path), "--json")
    assert run.code == 1
    assert run.json()["imported"] == 0
    assert [(e["row"], e["column"]) for e in run.json()["errors"]] == [(1, "身份证号")]
    assert table_counts(home) == before


def test_a_school_student_without_a_school_is_reported_not_dropped(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        results_text(2) + result_line("学生9", id_number(9), school=""), encoding="utf-8"
    )
    run = qianfa(home, "import", "results", str(path), "--json")
    assert run.code == 1
    assert [(e["row"], e["column"]) for e in run.json()["errors"]] == [(4, "所属院校")]
    assert table_counts(home)["exam_result"] == 0


def test_bad_people_write_nothing_and_every_bad_row_is_reported(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "姓名,手机号,所属机构代码,角色\n"
        "周立,13900000001,SCHOOLB,负责人\n"  # row 2: fine
        "钱多,13900000002,SCHOOLB,校长\n"  # row 3: bad role
        "孙武,13900000003,SCHOOLB,负责人\n"  # row 4: second head in the file
        "吴用,13900000004,SCHOOLA,负责人\n"  # row 5: SCHOOLA already has one in the DB
        "郑和,1390000,SCHOOLB,业务管理员\n"  # row 6: bad phone
        "冯唐,13800000001,SCHOOLB,业务管理员\n"  # row 7: phone already registered
        "陈平,13900000001,SCHOOLB,业务管理员\n"  # row 8: phone duplicates row 2
        "韩信,13900000009,NOSUCH,业务管理员\n"  # row 9: unknown org
        "萧何,13900000010,ISSUER01,负责人\n",  # row 10: a 负责人 belongs to a school
        encoding="utf-8",
    )
    before = table_counts(home)
    run = qianfa(home, "import", "people", str(path), "--json")
    assert run.code == 1
    cells = [(e["row"], e["column"]) for e in run.json()["errors"]]
    assert cells == [
        (3, "角色"),
        (4, "角色"),
        (5, "角色"),
        (6, "手机号"),
        (7, "手机号"),
        (8, "手机号"),
        (9, "所属机构代码"),
        (10, "角色"),
    ]
    assert table_counts(home) == before


def test_bad_orgs_write_nothing_and_every_bad_row_is_reported(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(
        "code,name,type,parent\n"  # English aliases are accepted
        "SCHOOLC,新院校,试点院校,\n"
        "SCHOOLC,重复院校,试点院校,\n"  # row 3: duplicate code in the file
        "SCHOOLA,已有院校,试点院校,\n"  # row 4: code exists
        "SCHOOLD,某院校,学校,\n"  # row 5: bad type
        "SCHOOLE,某院校,试点院校,NOSUCH\n",  # row 6: unknown parent
        encoding="utf-8",
    )
    before = table_counts(home)
    run = qianfa(home, "import", "orgs", str(path), "--json")
    assert run.code == 1
    cells = [(e["row"], e["column"]) for e in run.json()["errors"]]
    assert cells == [(3, "code"), (4, "code"), (5, "type"), (6, "parent")]
    assert table_counts(home) == before
