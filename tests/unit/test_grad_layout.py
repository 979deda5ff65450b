"""Graduation print layouts: what a TOML layout must hold, and the words each blank gets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from issuance.core.errors import Invalid
from issuance.formats.grad_print import (
    LAYOUT_FILES,
    LAYOUT_FOLDER,
    ClassLevel,
    SchoolLevel,
    fill_ins,
    layout_for,
    load_layout,
)
from tests.graduates import sample_print


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    source = LAYOUT_FOLDER / LAYOUT_FILES[SchoolLevel.TECHNICIAN_COLLEGE]
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "layout.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_each_school_level_has_a_layout_of_its_own_blank() -> None:
    for level in SchoolLevel:
        layout = layout_for(level)
        assert layout.school_level is level
        assert layout.title.text == f"{level.value}毕业证书"
        for blank in layout.fields:
            assert blank.x_mm > 0 and blank.x_mm + blank.width_mm < layout.width_mm
            assert 0 < blank.y_mm < layout.height_mm


def test_a_layout_missing_a_blank_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, "sex = {", "gender = {")
    with pytest.raises(ValueError, match=r"missing \['sex'\], unknown \['gender'\]"):
        load_layout(path)


def test_a_layout_with_a_class_blank_needs_class_words(tmp_path: Path) -> None:
    path = _edited(tmp_path, "[class_words]", "[major_suffix]")
    with pytest.raises(ValueError, match=r"unknown \['class_level'\]"):
        load_layout(path)


def test_only_the_technical_school_blank_suffixes_the_major() -> None:
    senior = sample_print(ClassLevel.SENIOR)
    assert (
        fill_ins(senior, layout_for(SchoolLevel.TECHNICAL_SCHOOL))["major"]
        == "数控加工（高级工班）"
    )
    for level in (SchoolLevel.TECHNICIAN_COLLEGE, SchoolLevel.SENIOR_TECHNICAL_SCHOOL):
        words = fill_ins(senior, layout_for(level))
        assert words["major"] == "数控加工"
        assert words["class_level"] == "高级工"


def test_a_sex_other_than_the_two_printed_is_refused() -> None:
    cert = sample_print()
    odd = replace(cert, sex="F")
    with pytest.raises(Invalid, match="男"):
        fill_ins(odd, layout_for(SchoolLevel.TECHNICAL_SCHOOL))
