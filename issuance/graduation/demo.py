"""Graduation demo: a province, a final city and a non-final city, one school of each level, the
graduates of one term and the people of every role."""

from __future__ import annotations

import random
from typing import Protocol

from issuance.core.graduates import NewGraduate
from issuance.core.idcard import check_character
from issuance.core.people import Invite, OrgKind, Role
from issuance.core.ports import PeopleRepository, Ports
from issuance.core.vocabulary import ClassLevel, Employment, SchoolLevel

TERM = "202506"
PROVINCE = ("FJ-JGZX", "福建省技工教育中心", "35", None, "是")
FUZHOU = ("FZ-RSJ", "福州市人力资源和社会保障局", "350100", PROVINCE[0], "是")
QUANZHOU = ("QZ-RSJ", "泉州市人力资源和社会保障局", "350500", PROVINCE[0], "否")
# (code, name, region, parent, level, 学校序号): province-run, under a final city, under a city
# whose 审批 goes on to the province.
SCHOOLS = (
    ("FJ-JSXY", "福建省技师学院", "350100", PROVINCE[0], SchoolLevel.TECHNICIAN_COLLEGE, "001"),
    (
        "FZ-GJJX",
        "福州高级技工学校",
        "350100",
        FUZHOU[0],
        SchoolLevel.SENIOR_TECHNICAL_SCHOOL,
        "002",
    ),
    ("QZ-JGXX", "泉州技工学校", "350500", QUANZHOU[0], SchoolLevel.TECHNICAL_SCHOOL, "003"),
)
PEOPLE = (
    ("林志强", "13900000001", PROVINCE[0], Role.APPROVER, "技工教育中心主任"),
    ("陈丽娟", "13900000002", PROVINCE[0], Role.KEEPER, "证书保管员"),
    ("黄国华", "13900000003", PROVINCE[0], Role.DISTRIBUTOR, "证书发放员"),
    ("郑晓明", "13900000004", FUZHOU[0], Role.APPROVER, "职业能力建设处"),
    ("吴海燕", "13900000005", QUANZHOU[0], Role.APPROVER, "职业能力建设科"),
    ("张秀英", "13900000011", SCHOOLS[0][0], Role.CLERK, "学籍管理员"),
    ("刘建平", "13900000012", SCHOOLS[0][0], Role.LEADER, "副院长"),
    ("杨美玲", "13900000021", SCHOOLS[1][0], Role.CLERK, "学籍管理员"),
    ("周文斌", "13900000022", SCHOOLS[1][0], Role.LEADER, "副校长"),
    ("许雅琴", "13900000031", SCHOOLS[2][0], Role.CLERK, "学籍管理员"),
    ("蔡志明", "13900000032", SCHOOLS[2][0], Role.LEADER, "副校长"),
)
# (major code, major, class levels offered) per school.
MAJORS = (
    ("0402", "数控加工", (ClassLevel.PREPARATORY_TECHNICIAN, ClassLevel.SENIOR)),
    ("0701", "汽车维修", (ClassLevel.SENIOR, ClassLevel.INTERMEDIATE)),
    ("0105", "电子技术应用", (ClassLevel.SENIOR, ClassLevel.INTERMEDIATE)),
)
PER_SCHOOL = 12
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉"


def id_number(rng: random.Random, region: str, male: bool) -> str:
    """A valid ID number born 2005–2007 in `region` with the given sex."""
    birth = f"{rng.randint(2005, 2007)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    sequence = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + check_character(first17)


def graduates(school_ids: dict[str, int], seed: int = 2025) -> list[NewGraduate]:
    rng = random.Random(seed)
    employed = Employment.EMPLOYED
    rows = []
    for (code, _, region, _, _, _), (major_code, major, levels) in zip(
        SCHOOLS, MAJORS, strict=True
    ):
        for n in range(PER_SCHOOL):
            male = rng.random() < 0.6
            level = levels[n % len(levels)]
            years = "5" if level == ClassLevel.PREPARATORY_TECHNICIAN else "3"
            rows.append(
                NewGraduate(
                    school_ids[code],
                    rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2))),
                    id_number(rng, region, male),
                    "男" if male else "女",
                    major_code,
                    major,
                    level,
                    f"{int(TERM[:4]) - int(years)}09",
                    TERM,
                    years,
                    "全日制",
                    f"S{rng.randint(10**9, 10**10 - 1)}" if rng.random() < 0.8 else None,
                    "高级" if level != ClassLevel.INTERMEDIATE else "中级",
                    rng.choice((employed, employed, Employment.FURTHER_STUDY, Employment.SEEKING)),
                )
            )
    return rows


async def present(store: PeopleRepository) -> bool:
    return bool(await store.orgs_by_code([PROVINCE[0]]))


class Inviter(Protocol):
    """What loading the demo needs: the store, and invites for the people it adds."""

    store: Ports

    async def create_invite(self, person_ref: str) -> Invite: ...


async def load(issuance: Inviter) -> tuple[list[Invite], int]:
    """Load the graduation demo; returns invites for everyone and the number of graduates."""
    store = issuance.store
    final = {"是": 1, "否": 0}
    await store.insert_orgs(
        [
            (code, name, OrgKind.DEPARTMENT, region, parent, None, None, final[flag])
            for code, name, region, parent, flag in (PROVINCE, FUZHOU, QUANZHOU)
        ]
        + [
            (code, name, OrgKind.TECH_SCHOOL, region, parent, level, seq, 0)
            for code, name, region, parent, level, seq in SCHOOLS
        ]
    )
    orgs = await store.orgs_by_code([p[2] for p in PEOPLE] + [s[0] for s in SCHOOLS])
    await store.insert_people(
        [(name, phone, orgs[org].id, role, title) for name, phone, org, role, title in PEOPLE]
    )
    rows = graduates({code: orgs[code].id for code, *_ in SCHOOLS})
    await store.insert_graduates(rows)
    invites = [await issuance.create_invite(phone) for _, phone, *_ in PEOPLE]
    return invites, len(rows)
