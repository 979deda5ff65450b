"""The certificate PDF read back with real tools: poppler (fonts, text, pixels) and zxing (QR)."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from issuance.formats.certificate import (
    DEFAULT_TEMPLATE,
    CertificateView,
    Template,
    load_template,
    render,
)
from issuance.formats.stamp_image import prepare_stamp
from tests.pictures import drawn_stamp


def _pdf(tmp_path: Path, cert: CertificateView, template: Template) -> Path:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(render(cert, template))
    return path


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def test_every_font_is_embedded(
    tmp_path: Path, certificate: CertificateView, template: Template
) -> None:
    rows = _run("pdffonts", _pdf(tmp_path, certificate, template)).splitlines()[2:]
    assert rows
    for row in rows:
        # columns: name type encoding emb sub uni object-id; the name has no spaces here
        assert row.split()[-5:-3] == ["yes", "yes"], row


def test_text_layer_holds_the_certificate_details(
    tmp_path: Path, certificate: CertificateView, template: Template
) -> None:
    text = _run("pdftotext", _pdf(tmp_path, certificate, template), "-")
    for value in (
        certificate.student_name,
        certificate.program,
        certificate.issuer_name,
        certificate.cert_no,
        certificate.id_number,
        certificate.level,
        certificate.school_name,
        "职业技能等级证书",
        "2025年6月30日",
        "扫码查验",
    ):
        assert value in text


def test_qr_code_decodes_to_the_verify_url(
    tmp_path: Path, certificate: CertificateView, template: Template
) -> None:
    pdf = _pdf(tmp_path, certificate, template)
    _run("pdftoppm", "-r", "150", "-png", "-singlefile", pdf, tmp_path / "page")
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode] == [
        certificate.verify_url
    ]


def test_markup_in_a_name_prints_literally(
    tmp_path: Path, certificate: CertificateView, template: Template
) -> None:
    cert = replace(certificate, student_name="<b>&amp;李")
    text = _run("pdftotext", _pdf(tmp_path, cert, template), "-")
    assert "<b>&amp;李" in text


def test_stamps_are_embedded_only_when_given(
    tmp_path: Path, certificate: CertificateView, template: Template
) -> None:
    blank = _run("pdfimages", "-list", _pdf(tmp_path, certificate, template))
    assert blank.splitlines()[2:] == []
    stamped = replace(
        certificate,
        school_stamp_png=prepare_stamp(drawn_stamp(400, 400)),
        issuer_seal_png=prepare_stamp(drawn_stamp(300, 320)),
    )
    listing = _run("pdfimages", "-list", _pdf(tmp_path, stamped, template)).splitlines()[2:]
    assert [row.split()[2] for row in listing] == ["image", "smask", "image", "smask"]


def test_long_value_shrinks_to_its_width(
    tmp_path: Path, certificate: CertificateView, template: Template
) -> None:
    long_name = "某某省某某市某某区某某职业技术学院继续教育学院实训中心考核站"
    cert = replace(certificate, school_name=long_name)
    words = _run("pdftotext", "-bbox", _pdf(tmp_path, cert, template), "-").splitlines()
    (row,) = [w for w in words if f">{cert.school_name}<" in w]
    x_max_pt = float(row.split('xMax="')[1].split('"')[0])
    assert x_max_pt <= (template.value_x_mm + template.value_max_mm) / 25.4 * 72 + 1


def test_rendering_is_deterministic(certificate: CertificateView, template: Template) -> None:
    assert render(certificate, template) == render(certificate, template)


def test_missing_font_error_names_every_path_tried(tmp_path: Path) -> None:
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    start, end = text.index("candidates = ["), text.index("]\n", text.index("candidates = ["))
    missing = '{ path = "/nowhere/a.ttc" }, { path = "/nowhere/b.ttf" }'
    broken = f"{text[:start]}candidates = [{missing}{text[end:]}"
    path = tmp_path / "template.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"/nowhere/a\.ttc.*/nowhere/b\.ttf"):
        load_template(path)
