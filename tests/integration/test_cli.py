"""The `qianfa` command line on a demo home: status, init, JSON output, exit codes, exports,
invites, verification and the audit check."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from issuance.xcert import demo
from tests.cli import qianfa, sql, table_counts

SCHOOL = demo.SCHOOL[0]
PLAN_B = "2025年考试计划B"
FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")'
ZHU_ID = dict((name, number) for name, number in demo.students())["朱鹏飞"]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`init --demo`, then a second plan at a second site with 社会学员 and a formula name."""
    folder = tmp_path_factory.mktemp("demo")
    home = folder / "home"
    run = qianfa(home, "init", "--demo", "--json")
    assert run.code == 0, run.stderr
    (folder / "orgs.csv").write_text(
        "机构代码,机构名称,机构类型\nISSUER2,机器人评价组织,培训评价组织\nSITEB,第二考核站点,试点院校\n",
        encoding="utf-8",
    )
    assert qianfa(home, "import", "orgs", str(folder / "orgs.csv")).code == 0
    program = ("工业机器人操作与运维职业技能等级证书", "中级", "ISSUER2", PLAN_B, "SITEB", "已通过")
    numbers = [
        "11010519491231002X",
        "440524198001010013",
        "610114200001011013",
        "21020220010101001X",
    ]
    rows = [
        ("社会一", numbers[0], "社会学员", ""),
        ("社会二", numbers[1], "社会学员", ""),
        (FORMULA_NAME, numbers[2], "院校学生", SCHOOL),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "学生姓名",
            "身份证号",
            "学生类型",
            "所属院校",
            "证书名称",
            "证书等级",
            "颁证机构",
            "考试计划",
            "考核站点",
            "考核状态",
        ]
    )
    for name, number, kind, school in rows:
        writer.writerow([name, number, kind, school, *program])
    (folder / "results.csv").write_text(buffer.getvalue(), encoding="utf-8")
    run = qianfa(home, "import", "results", str(folder / "results.csv"))
    assert run.code == 0, run.stdout + run.stderr
    assert qianfa(home, "list", "create", "--plan", PLAN_B).code == 0
    return home


@pytest.fixture
def home(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo home, for tests that change it."""
    return Path(shutil.copytree(demo_home, tmp_path / "home"))


def test_init_demo_status_shows_the_guides_counts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", "--demo").code == 0
    run = qianfa(home, "status", "--json")
    assert run.code == 0
    assert run.json() == {
        "全部": 61,
        "培训评价组织待签发": 0,
        "培训评价组织拒绝签发": 0,
        "考核站点待签发": 47,
        "考核站点拒绝签发": 0,
        "确认签发": 14,
    }
    assert list(run.json()) == [
        "全部",
        "培训评价组织待签发",
        "培训评价组织拒绝签发",
        "考核站点待签发",
        "考核站点拒绝签发",
        "确认签发",
    ]


def test_init_is_idempotent_and_keeps_secrets_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = qianfa(home, "init", "--demo", "--json")
    config = (home / "qianfa.toml").read_text(encoding="utf-8")
    secret = next(line for line in config.splitlines() if line.startswith("secret_key"))
    value = secret.split('"')[1]
    assert len(value) >= 32
    assert value not in first.stdout + first.stderr
    before = table_counts(home)
    second = qianfa(home, "init", "--demo", "--json")
    assert second.code == 0
    assert second.json()["config_created"] is False
    assert second.json()["demo"] == "present"
    assert value not in second.stdout + second.stderr
    assert (home / "qianfa.toml").read_text(encoding="utf-8") == config
    assert table_counts(home) == before


def test_status_filters_by_plan_school_and_batch(demo_home: Path) -> None:
    assert qianfa(demo_home, "status", "--plan", PLAN_B, "--json").json()["全部"] == 3
    assert qianfa(demo_home, "status", "--school", SCHOOL, "--json").json()["全部"] == 61
    assert qianfa(demo_home, "status", "--batch", "1", "--json").json()["确认签发"] == 14
    assert qianfa(demo_home, "status", "--json").json()["全部"] == 64


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["list", "create", "--plan", PLAN_B],
        ["invite", "13800000001"],
        ["audit", "verify"],
        ["export", "records", "--out", "OUT"],
    ],
)
def test_json_prints_exactly_one_document_on_stdout(home: Path, args: list[str]) -> None:
    args = [str(home / "out.xlsx") if a == "OUT" else a for a in args]
    run = qianfa(home, *args, "--json")
    assert run.code == 0, run.stderr
    json.loads(run.stdout)  # the whole of stdout is one document
    assert run.stdout.strip().count("\n") == 0


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["status", "--bogus"],
        ["import", "pupils", "x.csv"],
        ["list", "create"],
        ["export", "records", "--out", "x", "--format", "pdf"],
        ["status", "--batch", "one"],
    ],
)
def test_usage_errors_exit_2(demo_home: Path, args: list[str]) -> None:
    assert qianfa(demo_home, *args).code == 2


def test_domain_errors_exit_1_with_chinese_and_english_on_stderr(demo_home: Path) -> None:
    run = qianfa(demo_home, "list", "create", "--plan", "没有这个计划", "--json")
    assert run.code == 1
    assert json.loads(run.stdout) == {
        "error": "plan.unknown",
        "message": "找不到考试计划：没有这个计划",
        "message_en": "No exam plan 没有这个计划",
    }
    assert "错误：找不到考试计划：没有这个计划" in run.stderr
    assert "Error: " in run.stderr
    run = qianfa(demo_home, "invite", "13999999999")
    assert (run.code, "错误：" in run.stderr, "Error:" in run.stderr) == (1, True, True)


def test_a_wrong_setting_exits_1_naming_the_key(demo_home: Path) -> None:
    run = qianfa(demo_home, "status", env={**os.environ, "QIANFA_WEB_PORT": "http"})
    assert run.code == 1
    assert "web.port" in run.stderr


def _read(path: Path) -> list[list[str]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return [row for row in csv.reader(stream)]
    book = openpyxl.load_workbook(path)
    return [
        ["" if v is None else str(v) for v in row]
        for row in book.active.iter_rows(values_only=True)
    ]


def _column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


ZHU_CERT = "15600031015610012000045"
FILTERS = [
    (["--name", "朱鹏飞"], 1, "学生姓名", {"朱鹏飞"}),
    (["--id-number", ZHU_ID.lower()], 1, "身份证号", {"610114*****1011"}),
    (["--student-type", "社会学员"], 2, "学生类型", {"社会学员"}),
    (["--school", SCHOOL], 62, "所属院校", {demo.SCHOOL[1]}),
    (["--cert-no", ZHU_CERT], 1, "证书编号", {ZHU_CERT}),
    (["--program", "工业机器人"], 3, "证书名称", {"工业机器人操作与运维职业技能等级证书"}),
    (["--issuer", "ISSUER2"], 3, "颁证机构", {"机器人评价组织"}),
    (["--issuer", demo.ISSUER[1]], 61, "颁证机构", {demo.ISSUER[1]}),
    (["--plan", PLAN_B], 3, "考试计划", {PLAN_B}),
    (["--site", "SITEB"], 3, "考核站点", {"第二考核站点"}),
    (["--status", "确认签发"], 14, "证书状态", {"确认签发"}),
    (["--status", "考核站点待签发", "--site", SCHOOL], 47, "证书状态", {"考核站点待签发"}),
    (["--name", "没有这个人"], 0, "学生姓名", set()),
]


@pytest.mark.parametrize(("args", "count", "header", "values"), FILTERS, ids=lambda v: str(v))
def test_export_round_trips_each_filter_in_xlsx_and_csv(
    demo_home: Path, tmp_path: Path, args: list[str], count: int, header: str, values: set[str]
) -> None:
    exported = []
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"records.{fmt}"
        run = qianfa(demo_home, "export", "records", "--out", str(out), *args, "--json")
        assert run.code == 0, run.stderr
        assert run.json()["exported"] == count
        rows = _read(out)
        assert len(rows) == count + 1
        assert set(_column(rows, header)) == values
        exported.append(rows)
    assert exported[0] == exported[1]  # both formats hold the same cells


def test_exports_mask_id_numbers(demo_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert qianfa(demo_home, "export", "records", "--out", str(out)).code == 0
    text = out.read_text(encoding="utf-8-sig")
    for _, number in demo.students():
        assert number not in text
    ids = _column(_read(out), "身份证号")
    assert len(ids) == 64
    assert all(len(i) == 15 and i[6:11] == "*****" for i in ids)


def test_exports_neutralize_formula_looking_cells(demo_home: Path, tmp_path: Path) -> None:
    csv_out, xlsx_out = tmp_path / "f.csv", tmp_path / "f.xlsx"
    for out in (csv_out, xlsx_out):
        assert qianfa(demo_home, "export", "records", "--out", str(out), "--plan", PLAN_B).code == 0
    names = _column(_read(csv_out), "学生姓名")
    assert "'" + FORMULA_NAME in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    sheet = openpyxl.load_workbook(xlsx_out).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert "'" + FORMULA_NAME in [cell.value for cell in cells]


def test_invite_prints_code_expiry_and_link(home: Path) -> None:
    run = qianfa(home, "invite", "13800000002", "--json")
    assert run.code == 0
    invite = run.json()
    assert {"code", "expires_at", "link"} <= set(invite)
    assert invite["code"] in invite["link"]
    expires = datetime.fromisoformat(invite["expires_at"])
    assert expires.utcoffset() == timedelta(hours=8)
    assert timedelta(hours=71) < expires - datetime.now(expires.tzinfo) <= timedelta(hours=72)
    assert sql(home, "SELECT person_id, used_at FROM invite WHERE code = ?", (invite["code"],)) == [
        (2, None)
    ]
    by_id = qianfa(home, "invite", "2", "--json").json()
    assert by_id["person"] == invite["person"] and by_id["code"] != invite["code"]


def test_verify_a_confirmed_certificate(demo_home: Path) -> None:
    ((cert_no, id_number),) = sql(
        demo_home,
        "SELECT r.cert_no, s.id_number FROM record r JOIN exam_result er ON er.id = r.result_id"
        " JOIN student s ON s.id = er.student_id WHERE r.status = '确认签发' LIMIT 1",
    )
    run = qianfa(demo_home, "verify", cert_no, id_number.lower(), "--json")
    assert run.code == 0
    answer = run.json()
    assert answer["status"] == "valid" and answer["cert_no"] == cert_no
    assert answer["name"].endswith("*")  # masked
    assert qianfa(demo_home, "verify", cert_no, id_number).code == 0
    wrong_id = qianfa(demo_home, "verify", cert_no, ZHU_ID, "--json")
    assert (wrong_id.code, wrong_id.json()["status"]) == (1, "not_found")
    unknown = qianfa(demo_home, "verify", "99999999999999999999999", ZHU_ID, "--json")
    assert (unknown.code, unknown.json()["status"]) == (1, "not_found")
    pending = qianfa(demo_home, "verify", ZHU_CERT, ZHU_ID, "--json")  # 考核站点待签发
    assert (pending.code, pending.json()["status"]) == (1, "not_found")


def test_void_marks_an_issued_certificate_void_once_with_an_audited_reason(home: Path) -> None:
    ((cert_no, id_number),) = sql(
        home,
        "SELECT r.cert_no, s.id_number FROM record r JOIN exam_result er ON er.id = r.result_id"
        " JOIN student s ON s.id = er.student_id WHERE r.status = '确认签发' LIMIT 1",
    )
    assert qianfa(home, "void", cert_no).code == 2  # the reason is required
    run = qianfa(home, "void", cert_no, "--reason", "打印损坏，收回作废", "--json")
    assert run.code == 0 and run.json()["cert_no"] == cert_no
    answer = qianfa(home, "verify", cert_no, id_number, "--json")
    assert (answer.code, answer.json()["status"]) == (1, "void")
    again = qianfa(home, "void", cert_no, "--reason", "再次", "--json")
    assert (again.code, again.json()["error"]) == (1, "void.already")
    pending = qianfa(home, "void", ZHU_CERT, "--reason", "未签发", "--json")
    assert (pending.code, pending.json()["error"]) == (1, "void.not_issued")
    ((reason, action),) = sql(
        home, "SELECT reason, action FROM audit WHERE action = 'certificate.void'"
    )
    assert (reason, action) == ("打印损坏，收回作废", "certificate.void")
    assert sql(home, "SELECT status FROM record WHERE cert_no = ?", (cert_no,)) == [("确认签发",)]
    assert qianfa(home, "audit", "verify").code == 0


def test_audit_verify_passes_on_an_intact_log(demo_home: Path) -> None:
    run = qianfa(demo_home, "audit", "verify", "--json")
    assert run.code == 0
    assert run.json()["ok"] is True and run.json()["entries"] >= 4


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE audit SET reason = 'nothing to see' WHERE id = 2", "第 2 条"),
        ("UPDATE audit SET actor = 'person:9' WHERE id = 3", "第 3 条"),
        ("DELETE FROM audit WHERE id = 2", "entry 2 is missing"),
        (
            "DELETE FROM audit WHERE id = (SELECT MAX(audit_id) FROM signoff_act)",
            "entry 5 is missing",
        ),
    ],
)
def test_audit_verify_names_the_first_altered_entry(home: Path, tamper: str, named: str) -> None:
    assert [r[0] for r in sql(home, "SELECT id FROM audit ORDER BY id")][:4] == [1, 2, 3, 4]
    sql(home, tamper)
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert named in run.stderr
    assert "Audit entry" in run.stderr  # English too


def test_audit_verify_finds_a_deleted_last_entry_the_signoff_history_refers_to(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", "--demo").code == 0
    ((last,),) = sql(home, "SELECT MAX(id) FROM audit")
    assert sql(home, "SELECT MAX(audit_id) FROM signoff_act") == [(last,)]
    sql(home, "DELETE FROM audit WHERE id = ?", (last,))
    run = qianfa(home, "audit", "verify")
    assert run.code == 1
    assert f"entry {last} is missing (referenced by the sign-off history)" in run.stderr
