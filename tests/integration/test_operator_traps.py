"""First-run and operator traps through the command line: voided certificates read 作废
everywhere, unknown filter values are errors."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import zxingcpp
from PIL import Image

from issuance.chat import xcert as screens
from issuance.chat import xcert_desk as desk
from issuance.chat.xcert_desk import PAGE_SIZE
from issuance.core.settings import load_settings
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.cli import qianfa, sql


@pytest.fixture(scope="module")
def voided_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo home in which one of the 14 confirmed certificates was voided."""
    home = tmp_path_factory.mktemp("traps") / "home"
    assert qianfa(home, "init", "--demo").code == 0
    ((cert_no,),) = sql(home, "SELECT cert_no FROM record WHERE status = '确认签发' LIMIT 1")
    assert qianfa(home, "void", cert_no, "--reason", "打印损坏").code == 0
    return home, cert_no


def _sheet_rows(data: bytes) -> list[dict[str, str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[str(v or "") for v in row] for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_status_counts_a_voided_certificate_as_void(voided_home: tuple[Path, str]) -> None:
    home, _ = voided_home
    counts = qianfa(home, "status", "--json").json()
    assert (counts["全部"], counts["确认签发"], counts["作废"]) == (61, 13, 1)
    assert "作废 1" in qianfa(home, "status").stdout


@pytest.mark.parametrize(("status", "count"), [("作废", 1), ("确认签发", 13)])
def test_export_filters_and_shows_void(
    voided_home: tuple[Path, str], tmp_path: Path, status: str, count: int
) -> None:
    home, cert_no = voided_home
    out = tmp_path / "records.xlsx"
    run = qianfa(home, "export", "records", "--out", str(out), "--status", status, "--json")
    assert run.code == 0, run.stderr
    rows = _sheet_rows(out.read_bytes())
    assert len(rows) == count and {row["证书状态"] for row in rows} == {status}
    assert (cert_no in {row["证书编号"] for row in rows}) == (status == "作废")


def test_exports_show_school_and_site_names(voided_home: tuple[Path, str], tmp_path: Path) -> None:
    home, _ = voided_home
    out = tmp_path / "records.xlsx"
    assert qianfa(home, "export", "records", "--out", str(out)).code == 0
    rows = _sheet_rows(out.read_bytes())
    assert {row["所属院校"] for row in rows} == {demo.SCHOOL[1]}
    assert {row["考核站点"] for row in rows} == {demo.SCHOOL[1]}
    assert {row["颁证机构"] for row in rows} == {demo.ISSUER[1]}


def test_the_batch_zip_records_sheet_shows_void(
    voided_home: tuple[Path, str], tmp_path: Path
) -> None:
    home, cert_no = voided_home
    ((batch,),) = sql(home, "SELECT batch_id FROM record WHERE cert_no = ?", (cert_no,))
    out = tmp_path / "batch.zip"
    run = qianfa(home, "export", "certificates", "--batch", str(batch), "--out", str(out))
    assert run.code == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        rows = _sheet_rows(archive.read("发证记录.xlsx"))
    shown = {row["证书编号"]: row["证书状态"] for row in rows}
    assert shown[cert_no] == "作废"
    assert list(shown.values()).count("确认签发") == 13


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--school", "没有这个学校"], "找不到机构：没有这个学校"),
        (["status", "--batch", "999"], "找不到签发批次：999"),
        (["export", "records", "--out", "OUT", "--status", "bogus"], "未知的证书状态：bogus"),
        (["export", "records", "--out", "OUT", "--student-type", "学生"], "未知的学生类型"),
        (["export", "records", "--out", "OUT", "--school", "X1"], "找不到机构：X1"),
        (["export", "records", "--out", "OUT", "--site", "X2"], "找不到机构：X2"),
        (["export", "records", "--out", "OUT", "--issuer", "X3"], "找不到机构：X3"),
        (["export", "records", "--out", "OUT", "--plan", "无此计划"], "找不到考试计划"),
    ],
)
def test_unknown_filter_values_are_errors(
    voided_home: tuple[Path, str], tmp_path: Path, args: list[str], message: str
) -> None:
    home, _ = voided_home
    out = tmp_path / "out.xlsx"
    run = qianfa(home, *[str(out) if a == "OUT" else a for a in args], "--json")
    assert run.code == 1
    assert message in run.stderr and "Error:" in run.stderr
    assert run.json()["error"].startswith(("filter.", "plan."))
    assert not out.exists()


def test_a_school_may_be_given_by_its_full_name(voided_home: tuple[Path, str]) -> None:
    home, _ = voided_home
    by_name = qianfa(home, "status", "--school", demo.SCHOOL[1], "--json")
    by_code = qianfa(home, "status", "--school", demo.SCHOOL[0], "--json")
    assert by_name.code == 0 and by_name.json() == by_code.json()
    assert by_name.json()["全部"] == 61


def test_copying_a_home_keeps_it_usable(voided_home: tuple[Path, str], tmp_path: Path) -> None:
    """The anchor files travel with the home: a copied home verifies."""
    home, _ = voided_home
    copy = Path(shutil.copytree(home, tmp_path / "copy"))
    assert qianfa(copy, "audit", "verify").code == 0


# Re-rendering after public_url or a stamp changed


def _file_hashes(home: Path) -> dict[int, str]:
    return {int(r): str(s) for r, s in sql(home, "SELECT record_id, sha256 FROM certificate")}


def test_rerender_replaces_certificates_and_audits_the_old_hashes(
    voided_home: tuple[Path, str], tmp_path: Path
) -> None:
    home = Path(shutil.copytree(voided_home[0], tmp_path / "home"))
    first = qianfa(home, "rerender", "--all", "--json")
    assert first.code == 0, first.stderr
    assert first.json() == {"queued": 13, "rendered": 13}  # the void one is not made again
    assert "public_url" in first.stderr and "127.0.0.1" in first.stderr  # the warning
    before = _file_hashes(home)
    assert sql(home, "SELECT COUNT(*) FROM audit WHERE action = 'certificate.rerender'") == [(0,)]

    moved = {**os.environ, "QIANFA_PUBLIC_URL": "https://qf.example.cn"}
    ((batch,),) = sql(home, "SELECT MIN(batch_id) FROM record")
    again = qianfa(home, "rerender", "--batch", str(batch), "--json", env=moved)
    assert again.code == 0 and again.json() == {"queued": 13, "rendered": 13}
    assert "127.0.0.1" not in again.stderr
    after = _file_hashes(home)
    assert after.keys() == before.keys() and all(after[r] != before[r] for r in before)
    audited = sql(
        home, "SELECT subject, reason FROM audit WHERE action = 'certificate.rerender' ORDER BY id"
    )
    assert audited == [(f"record:{r}", f"replaces sha256 {before[r]}") for r in sorted(before)]
    ((path,),) = sql(home, "SELECT path FROM certificate LIMIT 1")
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", str(home / path), str(tmp_path / "p")],
        check=True,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "p.png"))
    (link,) = [c.text for c in codes]
    assert link.startswith("https://qf.example.cn/c/")
    assert qianfa(home, "audit", "verify").code == 0


def test_rerender_needs_a_batch_or_all(voided_home: tuple[Path, str]) -> None:
    home, _ = voided_home
    assert qianfa(home, "rerender").code == 2
    run = qianfa(home, "rerender", "--batch", "999")
    assert run.code == 1 and "找不到签发批次：999" in run.stderr


def test_run_warns_when_public_url_is_the_local_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init").code == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "qianfa", "--home", str(home), "run", "--no-web", "--no-bot"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "running:" in line:
                break
        assert any("public_url 仍是 http://127.0.0.1:8080" in line for line in lines), lines
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


async def test_the_bots_batch_page_counts_and_labels_a_voided_certificate(
    voided_home: tuple[Path, str],
) -> None:
    home, cert_no = voided_home
    settings = load_settings(home, environ={})
    store = await Store.open(settings.database_path)
    try:
        issuance = Issuance(store, settings)
        evaluator = await store.person_by_ref(demo.PEOPLE[0][1])
        assert evaluator is not None
        ((batch_id,),) = sql(home, "SELECT batch_id FROM record WHERE cert_no = ?", (cert_no,))
        ((position,),) = sql(
            home,
            "SELECT COUNT(*) FROM record WHERE batch_id = ? AND id <= "
            "(SELECT id FROM record WHERE cert_no = ?)",
            (batch_id, cert_no),
        )
        view = await desk.batch_page(issuance, evaluator, batch_id, (position - 1) // PAGE_SIZE)
        text = screens.batch_page(view, set()).render("zh").text
    finally:
        await store.close()
    assert "确认签发 13 · 作废 1" in text
    line = text[text.index(cert_no) :].split("\n")[1]
    assert line.endswith("· 作废"), line


def test_output_piped_into_a_reader_that_stops_early_is_no_traceback(tmp_path: Path) -> None:
    """`qianfa … | head` : the reader leaving early ends the command quietly, exit 0."""
    assert qianfa(tmp_path, "init", "--demo").code == 0
    reader, writer = os.pipe()
    os.close(reader)  # a reader that has already gone
    done = subprocess.run(
        [sys.executable, "-m", "qianfa", "--home", str(tmp_path), "status", "--json"],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    os.close(writer)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
