"""Bad commands in a whole season's home (tests/season.py), on both databases: each one ends in
its Chinese message (English after), exit 1 (2 for a malformed command line), no traceback, and
not a row changed. A corpus: every case of issue 18 given on the command line is a line below."""

from __future__ import annotations

import grp
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from issuance.core.idcard import check_character, mask
from issuance.graduation import demo as grad_demo
from tests.cli import qianfa
from tests.databases import IntegrityErrors
from tests.season import PEOPLE, UNDER_CITY, Season, played_season

CLERK = PEOPLE["clerk"]


@pytest.fixture
async def season(tmp_path: Path, database: str) -> Season:
    return await played_season(tmp_path / "home", database)


def _id(born: str, serial: int) -> str:
    first17 = f"350500{born}{serial:03d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class Bad:
    """A command (`{cert}`: a handed-out certificate, `{other}`: another graduate's ID number
    of the same term) and the words its refusal must hold (Chinese, then English)."""

    name: str
    args: tuple[str, ...]
    says: tuple[str, ...]
    code: int = 1


BAD = (
    Bad(
        "amend_bidi_name",
        ("grad", "amend", "{cert}", "--set", "name=张\u202e三"),
        ("姓名", "不可见"),
    ),
    Bad(
        "amend_long_name",
        ("grad", "amend", "{cert}", "--set", "name=" + "张" * 30_000),
        ("姓名", "最多 50"),
    ),
    Bad(
        "amend_long_major",
        ("grad", "amend", "{cert}", "--set", "major=" + "焊" * 5000),
        ("专业名称", "最多 50"),
    ),
    Bad(
        "amend_name_glyphs",
        ("grad", "amend", "{cert}", "--set", "name=𠀀𪚥"),
        ("姓名", "字体里没有"),
    ),
    Bad(
        "amend_name_300",
        ("grad", "amend", "{cert}", "--set", "name=" + "欧" * 300),
        ("姓名", "最多 50"),
    ),
    Bad(
        "amend_name_unprintable",
        ("grad", "amend", "{cert}", "--set", "name=" + "欧阳" * 9),
        ("姓名", "印不进"),
    ),
    Bad("amend_years_abc", ("grad", "amend", "{cert}", "--set", "years=abc"), ("学制",)),
    Bad("amend_years_zero", ("grad", "amend", "{cert}", "--set", "years=0"), ("学制", "大于 0")),
    Bad(
        "amend_enrolled_2099",
        ("grad", "amend", "{cert}", "--set", "enrolled=209909"),
        ("入学时间", "年份应在"),
    ),
    Bad(
        "amend_enrolled_1847",
        ("grad", "amend", "{cert}", "--set", "enrolled=184709"),
        ("入学时间", "年份应在"),
    ),
    Bad(
        "amend_enrolled_before_birth",
        ("grad", "amend", "{cert}", "--set", "enrolled=195001"),
        ("出生日期",),
    ),
    Bad(
        "amend_taken_id",
        ("grad", "amend", "{cert}", "--set", "id_number={other}"),
        ("另一名毕业生",),
    ),
    Bad("amend_unknown_field", ("grad", "amend", "{cert}", "--set", "cert_no=1"), ("name",)),
    Bad(
        "amend_unknown_graduate",
        ("grad", "amend", _id("20010101", 999), "--set", "name=李四"),
        (mask(_id("20010101", 999)),),
    ),
    Bad(
        "show_unknown_graduate",
        ("grad", "show", _id("20010101", 998)),
        (mask(_id("20010101", 998)),),
    ),
    Bad(
        "stock_void_long_reason",
        ("stock", "void", "J0100", "--reason", "卡" * 20_000),
        ("最多 500",),
    ),
    Bad(
        "stock_void_bidi_reason", ("stock", "void", "J0100", "--reason", "卡纸\u202e"), ("不可见",)
    ),
    Bad("stock_void_unknown", ("stock", "void", "Z9999", "--reason", "卡纸"), ("Z9999",)),
    *(
        Bad(
            name,
            (
                "stock",
                "receive",
                "--kind",
                "技工学校",
                "--first",
                first,
                "--last",
                last,
                "--by",
                PEOPLE["keeper"],
            ),
            says,
        )
        for name, first, last, says in (
            ("stock_receive_lower_case", "j0001", "j0100", ("J0001", "已入库")),
            ("stock_receive_wider", "J00001", "J00100", ("J0001", "已入库")),
            ("stock_receive_full_width", "Ｊ０００１", "J0100", ("J0001", "已入库")),
            ("stock_receive_too_wide", "J10000", "J10001", ("位数",)),
        )
    ),
    Bad(
        "approve_huge_id",
        ("grad", "approve", "9" * 23, "--by", "13900000001"),
        ("不是有效的编号",),
        2,
    ),
    Bad(
        "calibrate_nan",
        ("grad", "calibrate", "--school", UNDER_CITY, "--dx", "nan", "--dy", "0"),
        ("nan",),
        2,
    ),
    *(
        Bad(f"{command}_{name}", (*args, "--out", out), says)
        for command, args in (
            ("roster", ("grad", "roster", "--school", UNDER_CITY, "--term", grad_demo.TERM)),
            ("print", ("grad", "print", "--school", UNDER_CITY, "--term", grad_demo.TERM)),
            ("export", ("grad", "export")),
            ("export_records", ("export", "records")),
        )
        for name, out, says in (
            ("into_a_folder", "{tmp}", ("是一个文件夹",)),
            ("into_a_missing_folder", "{tmp}/missing/out", ("不存在",)),
        )
    ),
    Bad(
        "export_unknown_status",
        ("grad", "export", "--out", "{tmp}/x.csv", "--status", "乱写"),
        ("乱写", "已审批"),
    ),
)


def _cert_and_other(season: Season) -> tuple[str, str]:
    ((cert_no, graduate_id),) = season.sql(
        "SELECT g.cert_no, g.id FROM graduate g JOIN graduate_handout h ON h.graduate_id = g.id"
        " WHERE NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id)"
        " ORDER BY g.id LIMIT 1"
    )
    ((other,),) = season.sql(
        f"SELECT id_number FROM graduate WHERE id <> {graduate_id}"
        f" AND graduated = '{grad_demo.TERM}' ORDER BY id LIMIT 1"
    )
    return str(cert_no), str(other)


async def test_bad_commands_are_refused_with_their_message_and_change_nothing(
    season: Season, tmp_path: Path
) -> None:
    cert_no, other = _cert_and_other(season)
    before = season.counts()
    for bad in BAD:
        args = [
            a.format(cert=cert_no, other=other, tmp=tmp_path) if "{" in a else a for a in bad.args
        ]
        if bad.args[:2] == ("grad", "amend"):
            args += ["--by", CLERK]
        run = season.run(*args)
        assert run.code == bad.code, (bad.name, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr, bad.name
        first_line = run.stderr.strip().splitlines()[-2 if bad.code == 2 else 0]
        assert "错误" in first_line, (bad.name, run.stderr)
        for words in bad.says:
            assert words in run.stderr, (bad.name, words, run.stderr)
        if bad.code == 1:
            assert "Error:" in run.stderr, bad.name  # English second
        assert other not in run.stderr, bad.name
        assert season.counts() == before, bad.name
    assert not (tmp_path / "x.csv").exists()
    assert list(tmp_path.glob("*.part")) == [] and list(tmp_path.parent.glob("*.part")) == []


async def test_blanks_never_booked_in_are_not_issued(season: Season) -> None:
    request = season.run(
        "stock",
        "request",
        "--school",
        UNDER_CITY,
        "--kind",
        "技工学校",
        "--count",
        "2",
        "--by",
        CLERK,
        "--json",
    )
    assert request.code == 0, request.stderr
    number = str(request.json()["request"])
    for who in ("leader", "quanzhou", "province"):
        assert season.run("grad", "approve", number, "--by", PEOPLE[who]).code == 0
    before = season.counts()
    run = season.run(
        "stock", "issue", "--request", number, "--first", "Z0001", "--by", PEOPLE["distributor"]
    )
    assert run.code == 1 and "从未入库" in run.stderr and "Z0001" in run.stderr, run.stderr
    assert "FOREIGN KEY" not in run.stderr and "Traceback" not in run.stderr
    assert season.counts() == before


async def test_a_return_reason_with_control_characters_is_refused(season: Season) -> None:
    request = season.run(
        "stock",
        "request",
        "--school",
        UNDER_CITY,
        "--kind",
        "技工学校",
        "--count",
        "1",
        "--by",
        CLERK,
        "--json",
    )
    number = str(request.json()["request"])
    before = season.counts()
    for reason in ("数量\u202e不对", "数量\a不对", "数" * 501):
        run = season.run("grad", "return", number, "--by", PEOPLE["leader"], "--reason", reason)
        assert run.code == 1 and "Traceback" not in run.stderr, run.stderr
        assert "理由" in run.stderr
    assert season.counts() == before


async def test_an_amendment_to_an_id_number_taken_meanwhile_is_refused_at_approval(
    season: Season,
) -> None:
    cert_no, _ = _cert_and_other(season)
    new_number = _id("20030303", 5)
    asked = season.run(
        "grad", "amend", cert_no, "--set", f"id_number={new_number}", "--by", CLERK, "--json"
    )
    assert asked.code == 0, asked.stderr
    number = str(asked.json()["request"])
    ((school_id,),) = season.sql(f"SELECT school_id FROM graduate WHERE cert_no = '{cert_no}'")
    # a graduate imported meanwhile with that number, same term
    season.sql(
        "INSERT INTO graduate (school_id, name, id_number, sex, major_code, major, class_level,"
        " enrolled, graduated, years, study_mode, updated_at) VALUES"
        f" ({school_id}, '王五', '{new_number}', '女', '0101', '焊接', '中级工班', '202009',"
        f" '{grad_demo.TERM}', '3', '全日制', 'now')"
    )
    for who in ("leader", "quanzhou"):
        assert season.run("grad", "approve", number, "--by", PEOPLE[who]).code == 0
    before = season.counts()
    run = season.run("grad", "approve", number, "--by", PEOPLE["province"])
    assert run.code == 1 and "另一名毕业生" in run.stderr, run.stderr
    assert "UNIQUE" not in run.stderr and "Traceback" not in run.stderr
    assert season.counts() == before


async def test_serials_are_one_blank_whatever_their_width_or_case(season: Season) -> None:
    keeper = PEOPLE["keeper"]
    receive = ("stock", "receive", "--kind", "技工学校", "--by", keeper)
    assert season.run(*receive, "--first", "0000001", "--last", "0000100").code == 0
    before = season.counts()
    again = season.run(*receive, "--first", "001", "--last", "100")
    assert again.code == 1 and "0000001" in again.stderr, again.stderr
    assert season.counts() == before
    trace = season.run("stock", "trace", "j0001", "--json")
    assert trace.code == 0 and trace.json()["serial"] == "J0001"
    assert season.run("stock", "trace", "1", "--json").json()["serial"] == "0000001"


async def test_files_with_personal_data_are_private_to_the_owner(
    season: Season, tmp_path: Path
) -> None:
    outputs = {
        "roster.pdf": ("grad", "roster", "--school", UNDER_CITY, "--term", grad_demo.TERM),
        "roster.xlsx": ("grad", "roster", "--school", UNDER_CITY, "--term", grad_demo.TERM),
        "graduates.csv": ("grad", "export"),
        "records.xlsx": ("export", "records"),
    }
    for name, args in outputs.items():
        run = season.run(*args, "--out", str(tmp_path / name))
        assert run.code == 0, run.stderr
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    home = tmp_path / "new-home"
    sqlite_env = {k: v for k, v in season.env.items() if k != "QIANFA_DATABASE_URL"}
    assert qianfa(home, "init", env=sqlite_env).code == 0
    assert (home / "qianfa.db").stat().st_mode & 0o777 == 0o600
    assert home.stat().st_mode & 0o077 == 0


async def test_outputs_are_refused_when_the_name_says_another_format(
    season: Season, tmp_path: Path
) -> None:
    term = ("--school", UNDER_CITY, "--term", grad_demo.TERM)
    for args in (
        ("grad", "roster", *term, "--out", str(tmp_path / "r.docx")),
        ("grad", "stats", "--year", "2025", "--chart", str(tmp_path / "c.jpg")),
        ("export", "records", "--out", str(tmp_path / "r.csv"), "--format", "xlsx"),
        ("grad", "export", "--out", str(tmp_path / "g.csv"), "--format", "xlsx"),
        ("grad", "print", *term, "--out", str(tmp_path / "p.png")),
    ):
        run = season.run(*args)
        assert run.code == 1 and "格式不符" in run.stderr, (args, run.stderr)
    assert list(tmp_path.iterdir()) == [season.home]


async def test_held_graduates_are_marked_in_text_and_the_declaration_is_in_the_history(
    season: Season,
) -> None:
    listed = season.run("grad", "list", "--school", UNDER_CITY, "--term", grad_demo.TERM)
    held = [line for line in listed.stdout.splitlines() if line.endswith("暂缓发放")]
    assert len(held) == 1
    cert_no = held[0].split()[0]
    ((name,),) = season.sql(f"SELECT name FROM graduate WHERE cert_no = '{cert_no}'")
    verify = season.run("grad", "verify", cert_no, str(name))
    assert verify.code == 0 and "暂缓发放" in verify.stdout
    ((request,),) = season.sql("SELECT MIN(id) FROM grad_request")
    history = season.run("grad", "history", str(request))
    assert "提交毕业证申报" in history.stdout.splitlines()[0]


def _drop_triggers(season: Season, table: str) -> None:
    if season.database:
        names = season.sql(
            "SELECT DISTINCT trigger_name FROM information_schema.triggers"
            f" WHERE event_object_table = '{table}'"
        )
        for (name,) in names:
            season.sql(f"DROP TRIGGER {name} ON {table}")
    else:
        names = season.sql(
            f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
        )
        for (name,) in names:
            season.sql(f"DROP TRIGGER {name}")


async def test_an_approved_graduate_or_a_confirmed_certificate_changed_in_the_file_is_found(
    season: Season,
) -> None:
    cert_no, _ = _cert_and_other(season)
    where = f"WHERE cert_no = '{cert_no}'"
    # the database refuses an impostor's name and a cleared qualification
    for change in ("name = '冒名顶替'", "qualification_no = NULL"):
        with pytest.raises(IntegrityErrors):
            season.sql(f"UPDATE graduate SET {change} {where}")
    assert season.run("audit", "verify").code == 0
    # past the triggers (dropped first), `audit verify` still finds both changes
    _drop_triggers(season, "graduate")
    _drop_triggers(season, "record")
    season.sql(f"UPDATE graduate SET name = '冒名顶替' {where}")
    ((record_id,),) = season.sql("SELECT MIN(id) FROM record WHERE status = '确认签发'")
    season.sql(f"UPDATE record SET status = '考核站点待签发' WHERE id = {record_id}")
    ((graduate_id,),) = season.sql(f"SELECT id FROM graduate {where}")
    run = season.run("audit", "verify", "--json")
    assert run.code == 1 and run.json()["error"] == "audit.final_changed"
    assert f"graduate:{graduate_id}" in run.stderr and f"record:{record_id}" in run.stderr
    assert "直接改动" in run.stderr and "Traceback" not in run.stderr


def test_with_a_group_files_with_personal_data_are_0640_and_secrets_stay_0600(
    tmp_path: Path,
) -> None:
    # Root may run as any group; anyone else only as its own.
    own = os.getegid()
    gid = next((g.gr_gid for g in grp.getgrall() if g.gr_gid != own), own) if own == 0 else own
    shared = {"QIANFA_FILES_GROUP": grp.getgrgid(gid).gr_name}
    home = tmp_path / "home"
    assert qianfa(home, "init", "--demo", env={**os.environ, **shared}).code == 0
    out = tmp_path / "records.csv"
    run = qianfa(home, "export", "records", "--out", str(out), env={**os.environ, **shared})
    assert run.code == 0, run.stderr
    for path in (home / "qianfa.db", out):
        assert (path.stat().st_mode & 0o777, path.stat().st_gid) == (0o640, gid), path
    assert (home.stat().st_mode & 0o777, home.stat().st_gid) == (0o750, gid)
    for secret in ("qianfa.toml", "audit.key"):
        assert (home / secret).stat().st_mode & 0o777 == 0o600, secret


def test_an_unreachable_database_server_is_said_so_without_driver_warnings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init").code == 0
    run = qianfa(home, "orgs", env={"QIANFA_DATABASE_URL": "postgresql://qianfa@127.0.0.1:1/x"})
    assert run.code == 1 and "无法连接数据库服务器" in run.stderr and "Cannot reach" in run.stderr
    assert (
        "WARNING" not in run.stderr and "文件" not in run.stderr and "Traceback" not in run.stderr
    )
