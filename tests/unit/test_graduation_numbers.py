"""The 19-digit graduation number from settings, read back part by part; chat action packing."""

from __future__ import annotations

import pytest

from issuance.chat.actions import pack, parse
from issuance.chat.graduation import ApproveRequest, ReviewRequest
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Invalid
from issuance.core.settings import Settings
from issuance.graduation.chains import advance, graduation_chain, party
from issuance.graduation.numbers import GraduationNumbers, NumberParts
from issuance.graduation.service import numbers_from

PARTS = NumberParts(35, 7, "技工学校", 2025, "高级工班", 701, 42)


def test_the_default_pattern_makes_nineteen_digits_in_the_guide_order(tmp_path: object) -> None:
    numbers = numbers_from(Settings(home=tmp_path))  # type: ignore[arg-type]
    number = numbers.format(PARTS)
    assert number == "35" + "007" + "3" + "2025" + "2" + "0701" + "0042"
    assert numbers.explain(number) == PARTS


def test_mappings_and_the_pattern_are_settings(tmp_path: object) -> None:
    settings = Settings(
        home=tmp_path,  # type: ignore[arg-type]
        graduation_number_pattern="{year:04d}{region:02d}{school_seq:03d}{school_level:1d}"
        "{class_level:1d}{major:04d}{serial:04d}",
        graduation_school_level_digits=("技师学院=7", "高级技工学校=8", "技工学校=9"),
    )
    numbers = numbers_from(settings)
    assert numbers.format(PARTS) == "2025" + "35" + "007" + "9" + "2" + "0701" + "0042"
    assert numbers.explain("2025350079207010042") == PARTS


def test_bad_patterns_numbers_and_overflows_are_refused() -> None:
    levels = {"技师学院": 1, "高级技工学校": 2, "技工学校": 3}
    classes = {"预备技师班": 1, "高级工班": 2, "中级工班": 3}
    with pytest.raises(Invalid):
        GraduationNumbers("{region:02d}{serial:04d}", levels, classes)
    with pytest.raises(Invalid):
        GraduationNumbers(
            "{region}{school_seq:03d}{school_level:1d}{year:04d}{class_level:1d}{major:04d}"
            "{serial:04d}",
            levels,
            classes,
        )
    numbers = GraduationNumbers(
        "{region:02d}{school_seq:03d}{school_level:1d}{year:04d}{class_level:1d}{major:04d}"
        "{serial:04d}",
        levels,
        classes,
    )
    with pytest.raises(Conflict):
        numbers.format(NumberParts(35, 7, "技工学校", 2025, "高级工班", 701, 10_000))
    for bad in ("123", "3500732025207010042x", "3500792025207010042"):
        with pytest.raises(Invalid):
            numbers.explain(bad)


def test_actions_pack_short_and_parse_only_what_was_packed() -> None:
    action = ApproveRequest(123456789, 3)
    assert parse(pack(action)) == action
    assert len(pack(action).encode()) <= 64
    assert parse("gv:5:2") == ReviewRequest(5, 2)
    for forged in ("gx:1:1", "ga:1", "ga:-1:1", "ga:1:1:1", "ga:a:1", ""):
        assert parse(forged) is None


def test_two_approval_steps_share_statuses_and_the_stage_tells_them_apart() -> None:
    chain = graduation_chain(10, (2, 1))
    leader, city, province = party("校领导", 10), party("审批人", 2), party("审批人", 1)
    assert advance(chain, 0, "待审核", Act.CONFIRM, leader) == ("待审批", 1)
    assert advance(chain, 1, "待审批", Act.CONFIRM, city) == ("待审批", 2)
    with pytest.raises(Conflict):
        advance(chain, 1, "待审批", Act.CONFIRM, province)
    assert advance(chain, 2, "待审批", Act.REFUSE, province) == ("审批退回", 2)
    assert advance(chain, 2, "审批退回", Act.RESUBMIT, party("经办人", 10)) == ("待审核", 0)
    assert advance(chain, 2, "待审批", Act.CONFIRM, province) == ("已审批", 2)
