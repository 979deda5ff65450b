"""A whole season from chat and the web, shared by the Telegram and WeCom transcripts: the set-up
at the command line (`qianfa init`, one import of the organizations and of the people with the
administrator, the administrator's own invite), the files the season's people upload through the
upload page, and the page's and the signing page's forms posted over loopback HTTP."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from issuance.core.idcard import check_character
from tests.cli import qianfa
from tests.webserver import csrf_of, signature_fields

TERM = "202506"
ISSUER, X_SCHOOL, SCHOOL = "EVAL-ZC", "XS-CHUAN", "FZ-GJJX"
SCHOOL_NAME = "福州高级技工学校"
BLANK_KIND = "高级技工学校"
PROGRAM, PLAN = "特殊焊接技术职业技能等级证书", "2025年6月考试计划特殊焊接技术初级"
ORGS = (
    "机构代码,机构名称,机构类型,行政区划代码,上级机构代码,办学层次,学校序号,终审\n"
    f"{ISSUER},中船教育科技(北京)有限公司,培训评价组织,110108,,,,\n"
    f"{X_SCHOOL},辽宁示范船舶职业技术学院,试点院校,210200,,,,\n"
    "FJ-JGZX,福建省技工教育中心,主管部门,35,,,,是\n"
    "FZ-RSJ,福州市人力资源和社会保障局,主管部门,350100,FJ-JGZX,,,是\n"
    f"{SCHOOL},{SCHOOL_NAME},技工院校,350100,FZ-RSJ,{BLANK_KIND},002,\n"
)
# short name: (name, phone, org, role)
PEOPLE = {
    "admin": ("王管理", "13600000009", "FJ-JGZX", "管理员"),
    "evaluator": ("王建国", "13800000001", ISSUER, "签发人"),
    "head": ("李明华", "13800000002", X_SCHOOL, "负责人"),
    "keeper": ("陈丽娟", "13900000002", "FJ-JGZX", "库管员"),
    "distributor": ("黄国华", "13900000003", "FJ-JGZX", "发放员"),
    "fuzhou": ("郑晓明", "13900000004", "FZ-RSJ", "审批人"),
    "clerk": ("杨美玲", "13900000021", SCHOOL, "经办人"),
    "leader": ("周文斌", "13900000022", SCHOOL, "校领导"),
}
STUDENTS = 3  # X-certificate results, all passed
GRADUATES = 4


def set_up(home: Path) -> str:
    """The operator's only shell work: init, the organizations and people (the administrator
    among them), and the administrator's invite code (returned)."""
    assert qianfa(home, "init").code == 0
    (home / "orgs.csv").write_text(ORGS, encoding="utf-8")
    people = "姓名,手机号,所属机构代码,角色,职务\n" + "".join(
        f"{name},{phone},{org},{role},\n" for name, phone, org, role in PEOPLE.values()
    )
    (home / "people.csv").write_text(people, encoding="utf-8")
    for kind in ("orgs", "people"):
        done = qianfa(home, "import", kind, str(home / f"{kind}.csv"))
        assert done.code == 0, done.stderr
    invited = qianfa(home, "invite", PEOPLE["admin"][1], "--json")
    assert invited.code == 0, invited.stderr
    return str(invited.json()["code"])


def id_number(index: int, region: str = "350102") -> str:
    first17 = f"{region}20060303{index * 2 + 1:03d}"
    return first17 + check_character(first17)


def results_csv() -> bytes:
    header = (
        "学生姓名,身份证号,学生类型,所属院校,证书名称,证书等级,颁证机构,考试计划,考核站点,"
        "考核状态\n"
    )
    rows = "".join(
        f"学员{n},{id_number(n, '210202')},院校学生,{X_SCHOOL},{PROGRAM},初级,{ISSUER},"
        f"{PLAN},{X_SCHOOL},已通过\n"
        for n in range(STUDENTS)
    )
    return (header + rows).encode()


def graduate_name(n: int) -> str:
    return f"毕业生{'甲乙丙丁'[n]}"


def graduates_csv() -> bytes:
    header = (
        "姓名,身份证号,性别,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式\n"
    )
    rows = "".join(
        f"{graduate_name(n)},{id_number(n)},男,{SCHOOL},0701,汽车维修,高级工班,202209,"
        f"{TERM},3,全日制\n"
        for n in range(GRADUATES)
    )
    return (header + rows).encode()


def qualifications_csv() -> bytes:
    header = "姓名,身份证号,职业资格证书编号,职业资格等级\n"
    rows = "".join(
        f"{graduate_name(n)},{id_number(n)},Q2025000{n},高级工\n" for n in range(GRADUATES)
    )
    return (header + rows).encode()


def grades_csv() -> bytes:
    header = "身份证号,姓名,课程,成绩,任课教师\n"
    rows = "".join(
        f"{id_number(n)},{graduate_name(n)},汽车构造,{80 + n},张老师\n" for n in range(GRADUATES)
    )
    return (header + rows).encode()


async def upload(
    http: httpx.AsyncClient, url: str, kind: str, name: str, data: bytes
) -> httpx.Response:
    """The upload page opened from the chat's link, the file chosen and sent."""
    path = urlsplit(url).path
    page = await http.get(path)
    assert page.status_code == 200, page.text
    return await http.post(
        path,
        data={"csrf": csrf_of(page), "kind": kind},
        files={"file": (name, data, "text/csv")},
    )


async def sign(http: httpx.AsyncClient, url: str) -> httpx.Response:
    """The signing page opened from the chat's link, signed on the pad and sent."""
    path = urlsplit(url).path
    page = await http.get(path)
    assert page.status_code == 200, page.text
    return await http.post(path, data={"csrf": csrf_of(page), **signature_fields()})


class Uploader(Protocol):
    """A channel's season world: who uploads which kind of file through the page, and the report
    that arrives in chat."""

    def upload(self, who: str, kind: str, name: str, data: bytes) -> Awaitable[str]: ...


async def upload_graduation_files(world: Uploader) -> None:
    """The 经办人's three files of the term through the upload page, each reported in chat."""
    report = await world.upload("clerk", "graduates", "毕业生.csv", graduates_csv())
    assert f"已导入 {GRADUATES} 名毕业生" in report
    report = await world.upload("clerk", "qualifications", "职业资格证书.csv", qualifications_csv())
    assert f"已记录 {GRADUATES} 张职业资格证书" in report
    report = await world.upload("clerk", "grades", "成绩.csv", grades_csv())
    assert f"已导入 {GRADUATES} 条成绩" in report
