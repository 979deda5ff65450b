"""`qianfa import qualifications|employment|grades`, `grad match|show|grades`, the report
printed by `grad declare`, and `grad stats` reading the imported data, on a real home."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from issuance.core.idcard import mask
from issuance.graduation import demo
from tests.cli import qianfa, sql
from tests.gradworld import UNDER_FINAL_CITY, grad_world

TERM = demo.TERM


def write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def school_stats(home: Path) -> dict[str, object]:
    run = qianfa(home, "grad", "stats", "--year", TERM[:4], "--json")
    assert run.code == 0, run.stderr
    (found,) = [s for s in run.json()["schools"] if s["code"] == UNDER_FINAL_CITY]
    return found


async def test_imports_matching_declaring_showing_and_exporting(tmp_path: Path) -> None:
    assert qianfa(tmp_path, "init").code == 0
    async with grad_world(tmp_path) as world:
        school = world["clerk_fuzhou"].org_id
        a, b, *_ = await world.store.unqualified_graduates(school, TERM)
        everyone = await world.store.graduates_listed(school, TERM)
    home = tmp_path
    before = school_stats(home)

    path = write(
        tmp_path / "q.csv",
        [
            "姓名,身份证号,职业资格证书编号,职业资格等级",
            f"{a.name},{a.id_number},Q20250001,高级工",
            f"错名字,{b.id_number},Q20250002,高级工",
        ],
    )
    run = qianfa(home, "import", "qualifications", path, "--school", UNDER_FINAL_CITY)
    assert run.code == 0, run.stderr
    assert "已导入 1 行" in run.stdout and "第 3 行" in run.stdout
    assert mask(b.id_number) in run.stdout and b.id_number not in run.stdout
    wrong = qianfa(home, "import", "orgs", path, "--school", UNDER_FINAL_CITY)
    assert wrong.code == 1 and "--school" in wrong.stderr

    # A graduates file without the qualification columns corrects nothing and clears nothing.
    (row,) = sql(
        home,
        "SELECT name, id_number, major_code, major, class_level, enrolled, graduated, years,"
        " study_mode FROM graduate WHERE id = ?",
        (a.id,),
    )
    header = "姓名,身份证号,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式"
    cells = [row[0], row[1], UNDER_FINAL_CITY, *row[2:]]
    again = qianfa(
        home, "import", "graduates", write(tmp_path / "g.csv", [header, ",".join(cells)]), "--json"
    )
    assert again.code == 0, again.stderr
    assert again.json()["corrected"] == 0
    assert sql(home, "SELECT qualification_no FROM graduate WHERE id = ?", (a.id,)) == [
        ("Q20250001",)
    ]

    matching = qianfa(home, "grad", "match", "--school", UNDER_FINAL_CITY, "--term", TERM, "--json")
    assert matching.code == 0, matching.stderr
    report = matching.json()
    assert [(k["name"], k["reason"]) for k in report["kept"]] == [("错名字", "name_mismatch")]
    assert b.name in {u["name"] for u in report["unqualified"]}
    assert a.name not in {u["name"] for u in report["unqualified"]}
    assert b.id_number not in matching.stdout

    declared = qianfa(home, "grad", "declare", "--school", UNDER_FINAL_CITY, "--term", TERM)
    assert declared.code == 0, declared.stderr
    assert "申报前证书比对" in declared.stdout and "姓名不符：错名字" in declared.stdout

    employment = ["姓名,身份证号,就业情况,就业单位"] + [
        f"{g.name},{g.id_number},已就业,福州某公司"
        if g.id == a.id
        else f"{g.name},{g.id_number},待就业,"
        for g in everyone
    ]
    run = qianfa(home, "import", "employment", write(tmp_path / "e.csv", employment), "--json")
    assert run.code == 0, run.stderr
    assert run.json()["imported"] == len(everyone)
    after = school_stats(home)
    assert after["qualified"] == before["qualified"] + 1  # type: ignore[operator]
    assert after["employed"] == 1 and after["employment_rate"] == round(1 / len(everyone), 4)

    grades = [
        "身份证号,姓名,课程,成绩,任课教师,学期",
        f"{a.id_number},{a.name},汽车构造,88,张老师,2023-2024-1",
        f"{b.id_number},{b.name},=HYPERLINK(1),良好,李老师,",
    ]
    run = qianfa(home, "import", "grades", write(tmp_path / "r.csv", grades))
    assert run.code == 0, run.stderr
    out = tmp_path / "grades.xlsx"
    run = qianfa(
        home, "grad", "grades", "--school", UNDER_FINAL_CITY, "--term", TERM, "--out", str(out)
    )
    assert run.code == 0, run.stderr
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert values[0] == [
        "毕业证书编号",
        "姓名",
        "身份证号",
        "专业",
        "学期",
        "课程",
        "成绩",
        "任课教师",
    ]
    assert [v[1:3] + v[5:] for v in values[1:]] == [
        [a.name, mask(a.id_number), "汽车构造", "88", "张老师"],
        [b.name, mask(b.id_number), "'=HYPERLINK(1)", "良好", "李老师"],
    ]

    shown = qianfa(home, "grad", "show", a.id_number, "--json")
    assert shown.code == 0, shown.stderr
    record = shown.json()
    assert (record["qualification_no"], record["employer"]) == ("Q20250001", "福州某公司")
    assert record["grades"] == [
        {"course": "汽车构造", "score": "88", "teacher": "张老师", "semester": "2023-2024-1"}
    ]
    assert a.id_number not in shown.stdout
    text = qianfa(home, "grad", "show", a.id_number).stdout
    assert "职业资格证书：Q20250001（高级工）" in text and "汽车构造：88（任课教师 张老师）" in text
