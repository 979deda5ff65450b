"""`qianfa grad …` on a real home: status and list as JSON, explain, export, the demo's invites."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from issuance.core.chain import Act
from issuance.graduation import demo
from tests.cli import qianfa, sql
from tests.gradworld import UNDER_FINAL_CITY, grad_world


async def test_status_list_explain_and_a_formula_safe_export(tmp_path: Path) -> None:
    async with grad_world(tmp_path) as world:
        school = world["leader_fuzhou"].org_id
        first = (await world.store.graduates_listed(school, None))[0]
        await world.store.correct_graduates(
            [(first.id, {"name": first.name}, {"name": '=HYPERLINK("http://x")'})], "test"
        )
        request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, demo.TERM)
        await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
        await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)

    status = qianfa(tmp_path, "grad", "status", "--school", UNDER_FINAL_CITY, "--json").json()
    held = sql(
        tmp_path,
        "SELECT COUNT(*) FROM graduate g JOIN org o ON o.id = g.school_id"
        " WHERE o.code = ? AND g.qualification_no IS NULL",
        (UNDER_FINAL_CITY,),
    )[0][0]
    assert 0 < held < 12
    assert status == {
        "全部": 12,
        "待审核": 0,
        "审核退回": 0,
        "待审批": 0,
        "审批退回": 0,
        "已审批": 12,
        "作废": 0,
        "未申报": 0,
        "暂缓发放": held,
        "已验印": 0,
        "已发放": 0,
    }
    listed = qianfa(tmp_path, "grad", "list", "--term", demo.TERM, "--json").json()
    assert len(listed) == 36
    assert set(listed[0]) == {
        "name",
        "id_number_masked",
        "status",
        "cert_no",
        "serial",
        "class_level",
        "major",
        "held",
    }
    numbered = [row for row in listed if row["cert_no"]]
    assert len(numbered) == 12 and all("*****" in row["id_number_masked"] for row in listed)
    assert sum(row["held"] for row in listed) == held

    number = numbered[0]["cert_no"]
    explained = qianfa(tmp_path, "grad", "explain", number, "--json").json()
    assert explained["region"] == 35 and explained["school_level"] == "高级技工学校"
    assert explained["class_level"] == numbered[0]["class_level"]
    text = qianfa(tmp_path, "grad", "explain", number).stdout
    assert "学校序号 002" in text and "专业代码 0701" in text
    bad = qianfa(tmp_path, "grad", "explain", "12345")
    assert bad.code == 1 and "编号格式" in bad.stderr

    out = tmp_path / "grads.xlsx"
    run = qianfa(tmp_path, "grad", "export", "--out", str(out), "--school", UNDER_FINAL_CITY)
    assert run.code == 0, run.stderr
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["序号", "毕业证书编号", "姓名", "身份证号"]
    names = [row[2] for row in values[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(row[12] == "已审批" for row in values[1:])


def test_init_demo_loads_the_graduation_demo_once_with_invites(tmp_path: Path) -> None:
    run = qianfa(tmp_path, "init", "--demo", "--json")
    assert run.code == 0, run.stderr
    invites = run.json()["graduation_invites"]
    assert {i["role"] for i in invites} == {"经办人", "校领导", "审批人", "库管员", "发放员"}
    again = qianfa(tmp_path, "init", "--demo", "--json").json()
    assert "graduation_invites" not in again
    demo_status = qianfa(tmp_path, "grad", "status", "--json").json()
    assert demo_status["未申报"] == len(demo.SCHOOLS) * demo.PER_SCHOOL
