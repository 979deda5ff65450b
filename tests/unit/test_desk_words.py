"""What the administrator's and the 库管员's typed words mean: phone numbers, serials and
ranges before a reason, first and last serial."""

from __future__ import annotations

import pytest

from issuance.accounts import phone_of
from issuance.chat.stock_desk import first_last, serials_and_reason
from issuance.core.errors import Invalid


def test_a_phone_number_may_be_typed_with_spaces_or_dashes() -> None:
    assert phone_of(" 139 0000-0031 ") == "13900000031"
    for bad in ("1390000003", "23900000031", "139000000311", "电话"):
        with pytest.raises(Invalid):
            phone_of(bad)


def test_serials_and_ranges_come_before_the_reason() -> None:
    assert serials_and_reason("J0000007 J0000009 学期末 统一退回") == (
        ["J0000007", "J0000009"],
        "学期末 统一退回",
    )
    assert serials_and_reason("J0000007-J0000009 退回") == (
        ["J0000007", "J0000008", "J0000009"],
        "退回",
    )
    assert serials_and_reason("J0000007") == (["J0000007"], "")
    assert serials_and_reason("原因而已") == ([], "原因而已")


def test_first_and_last_serial_as_two_words_or_one_range() -> None:
    assert first_last("A000001 A000100") == ("A000001", "A000100")
    assert first_last("A000001-A000100") == ("A000001", "A000100")
    with pytest.raises(Invalid):
        first_last("A000001")
    with pytest.raises(Invalid):
        first_last("A1 A2 A3")
