"""Page rendering: catalog texts, escaping, masking, one pad and one button, no inline script."""

from __future__ import annotations

import dataclasses
import re
from importlib import resources

import pytest

from issuance.core.catalog import has, t
from issuance.core.errors import Invalid
from web.pages import (
    MessageKind,
    SigningRequest,
    VerifyResult,
    VerifyStatus,
    message_page,
    sign_done_page,
    sign_page,
    verify_page,
)

REQUEST = SigningRequest(
    signer_name="王建国",
    school="福建省第一技师学院",
    batch="2025-03-01",
    program="特殊焊接技术职业技能等级证书",
    level="中级",
    exam_plan="2025年第一批考试计划",
    record_count=47,
    first_student_names=("朱鹏飞", "李娜", "陈小明", "林", "黄志强", "吴一凡", "郑和"),
)


def test_the_signing_page_shows_who_signs_what_and_the_warning() -> None:
    html = sign_page(REQUEST, csrf="csrf-value")
    for text in (
        "王建国",
        "福建省第一技师学院",
        "特殊焊接技术职业技能等级证书",
        "中级",
        "2025年第一批考试计划",
        "47 条",
    ):
        assert text in html
    assert "确认后不可撤回" in html
    assert "朱**、李*、陈**、林、黄**" in html and "等 47 人" in html
    assert "朱鹏飞" not in html and "吴*" not in html


def test_the_signing_page_names_the_signers_role() -> None:
    school_side = sign_page(REQUEST, csrf="c")
    assert "考核站点负责人" in school_side and "所属院校" in school_side
    evaluator = sign_page(dataclasses.replace(REQUEST, evaluator=True), csrf="c")
    assert "培训评价组织签发人" in evaluator and "所属机构" in evaluator
    assert "考核站点负责人" not in evaluator


def test_the_signing_result_page_names_the_signers_role_and_organization() -> None:
    school_side = sign_done_page(REQUEST, "2025-06-01 10:00")
    assert "考核站点负责人" in school_side and "所属院校" in school_side
    evaluator = sign_done_page(dataclasses.replace(REQUEST, evaluator=True), "2025-06-01 10:00")
    assert "培训评价组织签发人" in evaluator and "所属机构" in evaluator
    assert "考核站点负责人" not in evaluator and "所属院校" not in evaluator


def test_the_signing_page_has_one_canvas_one_submit_and_the_hidden_fields() -> None:
    html = sign_page(REQUEST, csrf="csrf-value")
    assert html.count("<canvas") == 1
    assert html.count('type="submit"') == 1
    assert re.search(r'type="submit"[^>]*>确认签发<', html)
    assert ">清除<" in html and ">撤销<" in html
    for name in ("signature", "strokes"):
        assert f'name="{name}" value=""' in html
    assert 'name="csrf" value="csrf-value"' in html


def test_pages_have_no_inline_script_so_the_csp_can_forbid_it() -> None:
    for html in (sign_page(REQUEST, "c"), verify_page(), message_page("forged")):
        assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", html))
        assert not re.search(r"\son[a-z]+=", html)


def test_data_is_html_escaped() -> None:
    evil = SigningRequest(**{**REQUEST.__dict__, "school": '<script>alert("x")</script>'})
    html = sign_page(evil, csrf='"><b>')
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'value="&#34;&gt;&lt;b&gt;"' in html


def test_a_signature_error_is_shown_in_the_page_language() -> None:
    assert t("signature.trivial") in sign_page(REQUEST, "c", error=Invalid("signature.trivial"))
    assert t("signature.trivial", "en") in sign_page(
        REQUEST, "c", "en", Invalid("signature.trivial")
    )


def test_english_pages_use_english_texts() -> None:
    html = sign_page(REQUEST, "c", locale="en")
    assert 'lang="en"' in html and "Cannot be withdrawn once confirmed" in html


@pytest.mark.parametrize(
    ("status", "label"), [("valid", "证书有效"), ("void", "作废"), ("not_found", "未找到")]
)
def test_verify_result_shows_the_status(status: VerifyStatus, label: str) -> None:
    result = VerifyResult(
        status,
        "15600031015610012000045",
        "朱鹏飞",
        "特殊焊接",
        "中级",
        "某评价组织",
        "2025-05-01",
        "a" * 64,
    )
    html = verify_page(result, cert_no="15600031015610012000045")
    assert f'<h2 class="result-status">{label}</h2>' in html
    if status != "not_found":
        assert "朱**" in html and "a" * 64 in html and "某评价组织" in html
    assert "朱鹏飞" not in html


def test_the_verify_form_never_echoes_the_id_number() -> None:
    assert 'name="id_number" value=""' in verify_page(cert_no="123")


@pytest.mark.parametrize("kind", ["expired", "used", "forged", "rate_limited", "error"])
def test_message_pages_explain_themselves(kind: MessageKind) -> None:
    assert t(f"web.message.{kind}.body") in message_page(kind)


def test_sign_done_page_confirms_the_count() -> None:
    assert t("web.sign_done.body", n=47) in sign_done_page(REQUEST, signed_at="2025-05-01 10:00")


def test_every_catalog_key_a_template_uses_exists_in_both_languages() -> None:
    folder = resources.files("web") / "templates"
    keys = set()
    for entry in folder.iterdir():
        keys |= set(re.findall(r"t\('([a-z_.]*[a-z_])'", entry.read_text(encoding="utf-8")))
    keys |= {f"web.verify.status.{s}" for s in ("valid", "void", "not_found")}
    assert keys
    for key in sorted(keys):
        assert has(key), key
        assert t(key, "en") != t(key, "zh") or key == "web.sign.count_value", key
