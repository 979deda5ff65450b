"""The history text a qualifications or employment import keeps is what json.dumps wrote before
the import was staged: byte for byte, for any text, None, and values of another kind."""

from __future__ import annotations

import json

import pytest

from issuance.formats.tabular import NumberText
from issuance.store.qualification import _object


@pytest.mark.parametrize(
    "values",
    [
        {"qualification_no": "Q0001", "qualification_level": "三级/高级工"},
        {"qualification_occupation": None, "qualification_date": "2025-06-30"},
        {"employer": 'a "quoted" \\ name 😀', "employment": "已就业"},
        {"employment": None},
        {"qualification_no": NumberText("123456")},
        {"qualification_no": 5, "employer": "x"},  # not text: json.dumps itself
        {"name": "李娜"},  # not a corrected field: json.dumps itself
    ],
)
def test_history_json_is_what_json_dumps_writes(values: dict[str, object]) -> None:
    assert _object(values) == json.dumps(values, ensure_ascii=False)
