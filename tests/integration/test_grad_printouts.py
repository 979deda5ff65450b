"""`qianfa grad print | calibrate | roster | stats | verify` on a home with approved graduates."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
from PIL import Image

from issuance.core.chain import Act
from issuance.graduation import demo
from tests.cli import qianfa, sql
from tests.gradworld import PROVINCE_RUN, UNDER_CITY, UNDER_FINAL_CITY, GradWorld, grad_world
from tests.integration.test_grad_print import PT_PER_MM, Word, words


async def _approve_all(world: GradWorld) -> None:
    """Every demo school's term declared, reviewed and approved all the way."""
    for school, leader, approvers in (
        (PROVINCE_RUN, "leader_province_run", ("province",)),
        (UNDER_FINAL_CITY, "leader_fuzhou", ("fuzhou",)),
        (UNDER_CITY, "leader_quanzhou", ("quanzhou", "province")),
    ):
        request_id, _ = await world.grad.declare(school, demo.TERM)
        await world.grad.act(world[leader], request_id, Act.CONFIRM)
        for approver in approvers:
            await world.grad.act(world[approver], request_id, Act.CONFIRM)


async def _approved(home: Path) -> None:
    async with grad_world(home) as world:
        await _approve_all(world)


def _numbered(home: Path, school: str) -> list[tuple[str, str, str, str]]:
    return [
        tuple(row)
        for row in sql(
            home,
            "SELECT g.cert_no, g.name, g.id_number, g.major FROM graduate g"
            " JOIN org o ON o.id = g.school_id WHERE o.code = ? AND g.cert_no IS NOT NULL"
            " ORDER BY g.cert_no",
            (school,),
        )
    ]


async def test_print_follows_the_schools_blank_and_its_calibrated_offset(tmp_path: Path) -> None:
    await _approved(tmp_path)
    numbered = _numbered(tmp_path, UNDER_CITY)
    plain = tmp_path / "plain.pdf"
    run = qianfa(tmp_path, "grad", "print", "--school", UNDER_CITY, "--term", demo.TERM,
                 "--out", str(plain), "--json")  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.json()["certificates"] == len(numbered) == demo.PER_SCHOOL
    found = words(plain.read_bytes(), tmp_path)
    assert {w.page for w in found} == set(range(1, len(numbered) + 1))
    # the 技工学校 blank: 高级工班 majors carry the suffix, and nothing else fills a 班 blank
    texts = [w.text for w in found]
    assert any(text.endswith("（高级工班）") for text in texts)
    assert not [text for text in texts if text in ("高级工", "中级技工", "预备技师")]
    assert [w.text for w in found if w.text.isdigit() and len(w.text) == 19] == [
        cert_no for cert_no, *_ in numbered
    ]
    # no ID number is printed on the certificate
    assert not {id_number for _, _, id_number, _ in numbered} & set(texts)

    set_offset = qianfa(tmp_path, "grad", "calibrate", "--school", UNDER_CITY, "--dx", "1.5",
                        "--dy", "-2", "--by", "13900000031", "--json")  # fmt: skip
    assert set_offset.code == 0, set_offset.stderr
    assert set_offset.json() == {"dx_mm": 1.5, "dy_mm": -2.0}
    moved = tmp_path / "moved.pdf"
    qianfa(tmp_path, "grad", "print", "--school", UNDER_CITY, "--term", demo.TERM,
           "--out", str(moved))  # fmt: skip

    def ordered(ws: list[Word]) -> list[Word]:
        return sorted(ws, key=lambda w: (w.page, w.text, w.x_min, w.y_min))

    shifted = ordered(words(moved.read_bytes(), tmp_path))
    assert len(shifted) == len(found)
    for word, old in zip(shifted, ordered(found), strict=True):
        assert (word.page, word.text) == (old.page, old.text)
        assert abs(word.x_min - old.x_min - 1.5 * PT_PER_MM) < 0.02
        assert abs(word.y_min - old.y_min + 2.0 * PT_PER_MM) < 0.02

    page = tmp_path / "calibration.pdf"
    qianfa(tmp_path, "grad", "print", "--school", UNDER_CITY, "--calibration", "--out", str(page))
    text = subprocess.run(["pdftotext", str(page), "-"], capture_output=True, text=True).stdout
    assert "技工学校毕业证书" in text and "+1.5" in text and "-2.0" in text


async def test_calibrating_another_schools_printer_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    await _approved(tmp_path)
    run = qianfa(tmp_path, "grad", "calibrate", "--school", UNDER_CITY, "--dx", "1",
                 "--dy", "1", "--by", "13900000021")  # fmt: skip
    assert run.code == 1
    assert sql(tmp_path, "SELECT COUNT(*) FROM grad_print_offset") == [(0,)]
    too_far = qianfa(tmp_path, "grad", "calibrate", "--school", UNDER_CITY, "--dx", "30",
                     "--dy", "0")  # fmt: skip
    assert too_far.code == 1 and "超出" in too_far.stderr
    assert sql(tmp_path, "SELECT COUNT(*) FROM grad_print_offset") == [(0,)]


async def test_roster_pdf_and_xlsx_list_the_terms_numbered_graduates(tmp_path: Path) -> None:
    await _approved(tmp_path)
    numbered = _numbered(tmp_path, PROVINCE_RUN)
    pdf, xlsx = tmp_path / "roster.pdf", tmp_path / "roster.xlsx"
    for out in (pdf, xlsx):
        run = qianfa(tmp_path, "grad", "roster", "--school", PROVINCE_RUN, "--term", demo.TERM,
                     "--out", str(out))  # fmt: skip
        assert run.code == 0, run.stderr
    texts = [w.text for w in words(pdf.read_bytes(), tmp_path)]
    for cert_no, name, id_number, _ in numbered:
        assert cert_no in texts and name in texts and id_number in texts
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "毕业证书编号", "姓名", "身份证号")
    assert [row[1] for row in rows[1:]] == [cert_no for cert_no, *_ in numbered]
    held = sql(
        tmp_path,
        "SELECT g.cert_no FROM graduate g JOIN org o ON o.id = g.school_id"
        " WHERE o.code = ? AND g.cert_no IS NOT NULL AND g.qualification_no IS NULL",
        (PROVINCE_RUN,),
    )
    assert {row[1] for row in rows[1:] if row[10] == "暂缓发放"} == {no for (no,) in held}

    masked = tmp_path / "masked.pdf"
    qianfa(tmp_path, "grad", "roster", "--school", PROVINCE_RUN, "--term", demo.TERM,
           "--out", str(masked), "--mask-ids")  # fmt: skip
    masked_texts = [w.text for w in words(masked.read_bytes(), tmp_path)]
    assert not {id_number for _, _, id_number, _ in numbered} & set(masked_texts)


async def test_stats_as_json_and_chart(tmp_path: Path) -> None:
    await _approved(tmp_path)
    chart = tmp_path / "chart.png"
    run = qianfa(tmp_path, "grad", "stats", "--year", demo.TERM[:4], "--chart", str(chart),
                 "--json")  # fmt: skip
    assert run.code == 0, run.stderr
    schools = run.json()["schools"]
    counted = sql(
        tmp_path,
        "SELECT o.name, COUNT(*), COUNT(g.qualification_no),"
        " SUM(g.employment IN ('已就业', '升学')) FROM graduate g JOIN org o ON o.id = g.school_id"
        " GROUP BY o.name",
    )
    assert {(s["name"], s["graduates"], s["qualified"], s["employed"]) for s in schools} == set(
        counted
    )
    assert {s["code"] for s in schools} == {PROVINCE_RUN, UNDER_FINAL_CITY, UNDER_CITY}
    for s in schools:
        assert s["qualification_rate"] == round(s["qualified"] / s["graduates"], 4)
    with Image.open(chart) as image:
        assert image.format == "PNG" and image.width > 500


async def test_verify_answers_number_and_name_never_the_id_number(tmp_path: Path) -> None:
    await _approved(tmp_path)
    cert_no, name, id_number, major = _numbered(tmp_path, UNDER_FINAL_CITY)[0]
    run = qianfa(tmp_path, "grad", "verify", cert_no, name, "--json")
    assert run.code == 0, run.stderr
    answer = run.json()
    assert answer["status"] == "valid" and answer["cert_no"] == cert_no and answer["major"] == major
    assert answer["name"].startswith(name[0]) and "*" in answer["name"]
    assert answer["school"] == "福州高级技工学校"
    assert id_number not in run.stdout and name not in run.stdout
    wrong = qianfa(tmp_path, "grad", "verify", cert_no, name + "某", "--json")
    assert wrong.code == 1 and wrong.json() == {"status": "not_found", "cert_no": cert_no}
    told = qianfa(tmp_path, "grad", "verify", cert_no, name + "某")
    assert told.code == 1 and "未查到" in told.stdout

    voided = qianfa(tmp_path, "grad", "void", cert_no, "--reason", "打印错误", "--json")
    assert voided.code == 0, voided.stderr
    assert voided.json() == {"cert_no": cert_no, "status": "void", "reason": "打印错误"}
    void = qianfa(tmp_path, "grad", "verify", cert_no, name, "--json")
    assert void.code == 1 and void.json()["status"] == "void"
    assert id_number not in void.stdout and name not in void.stdout
    twice = qianfa(tmp_path, "grad", "void", cert_no, "--reason", "再次")
    assert twice.code == 1 and "已作废" in twice.stderr
    assert sql(tmp_path, "SELECT action FROM audit WHERE action = 'grad.void'") == [("grad.void",)]


async def test_first_serial_books_each_blank_and_a_blank_is_never_printed_twice(
    tmp_path: Path,
) -> None:
    count = demo.PER_SCHOOL
    async with grad_world(tmp_path) as world:
        await _approve_all(world)
        await world.stock.receive("技工学校", "J0000001", "J0000100", world["keeper"].phone)
        request_id = await world.grad.request_blanks(UNDER_CITY, "技工学校", count, None)
        for who in ("leader_quanzhou", "quanzhou", "province"):
            await world.grad.act(world[who], request_id, Act.CONFIRM)
        await world.stock.issue(request_id, "J0000001", world["distributor"].phone)
    out = tmp_path / "print.pdf"
    run = qianfa(tmp_path, "grad", "print", "--school", UNDER_CITY, "--term", demo.TERM,
                 "--out", str(out), "--first-serial", "J0000001", "--json")  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.json()["serials"] == [f"J{n:07d}" for n in range(1, count + 1)]
    booked = sql(
        tmp_path,
        "SELECT b.serial, g.cert_no FROM blank b JOIN graduate g ON g.id = b.graduate_id"
        " WHERE b.state = '已打印' ORDER BY b.serial",
    )
    assert [cert_no for _, cert_no in booked] == [c for c, *_ in _numbered(tmp_path, UNDER_CITY)]

    out.unlink()
    again = qianfa(tmp_path, "grad", "print", "--school", UNDER_CITY, "--term", demo.TERM,
                   "--out", str(out), "--first-serial", "J0000001")  # fmt: skip
    assert again.code == 1
    assert not out.exists()
