"""Sample graduates for the graduation renderers' tests, bench and README pictures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from issuance.core.vocabulary import ClassLevel
from issuance.formats.grad_print import GraduationPrint
from issuance.formats.roster import RosterLine

NAMES = ("欧阳文静", "李娜", "王小明", "张伟", "陈思远", "林雨桐", "黄志强", "郑佳怡")
FAMILY = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "林", "郑", "欧阳")
LONG_REMARK = "职业资格证书待取得后发放；已于2024年5月参加数控车工（四级）考核，成绩待公布" * 2
GIVEN = ("文静", "志强", "雨桐", "思远", "佳怡", "建华", "晓东", "海燕", "子涵", "俊杰", "一鸣")
MAJORS = ("数控加工", "汽车维修", "电气自动化设备安装与维修", "计算机网络应用", "烹饪（中式烹调）")


def sample_print(class_level: ClassLevel = ClassLevel.SENIOR) -> GraduationPrint:
    """One certificate whose fill-ins are all different words, so each is found by its text."""
    return GraduationPrint(
        cert_no="3500121202420460001",
        name="欧阳文静",
        sex="女",
        birth_date=date(2003, 11, 28),
        enrolled=date(2021, 9, 1),
        graduated=date(2024, 6, 30),
        class_level=class_level,
        major="数控加工",
        study_years="3",
        school_name="福建省第一技师学院",
        issued_on=date(2025, 1, 5),
    )


def many_prints(count: int) -> list[GraduationPrint]:
    """`count` distinct certificates of one school and year."""
    base = sample_print()
    return [
        replace(
            base,
            cert_no=f"350012120242046{i:04d}",
            name=NAMES[i % len(NAMES)],
            sex="女" if i % 2 else "男",
            major=MAJORS[i % 3],
        )
        for i in range(count)
    ]


def _id_number(i: int) -> str:
    """A well-formed 18-character ID number (GB 11643 check character) for graduate `i`."""
    first17 = f"350102{2003 + i % 3}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def roster_lines(count: int, long_remark_every: int = 0) -> list[RosterLine]:
    """`count` graduates for a roster; every `long_remark_every`-th has a remark that must wrap."""
    lines = []
    for i in range(count):
        remark = ""
        if i % 4 == 3:
            remark = "暂缓发放"
        if long_remark_every and i % long_remark_every == long_remark_every - 1:
            remark = LONG_REMARK
        lines.append(
            RosterLine(
                cert_no=f"350012120242046{i:04d}",
                name=FAMILY[i % len(FAMILY)] + GIVEN[(i // len(FAMILY)) % len(GIVEN)],
                id_number=_id_number(i),
                enrolled=date(2021, 9, 1),
                graduated=date(2024, 6, 30),
                class_level="高级工" if i % 3 else "中级工",
                major=MAJORS[i % len(MAJORS)],
                schooling="3年",
                study_mode="全日制",
                remark=remark,
            )
        )
    return lines
