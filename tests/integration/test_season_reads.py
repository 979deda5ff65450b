"""What operators read after a whole season (tests/season.py), on both databases: a voided
graduation certificate reads 作废 everywhere, and a status filter nobody knows is refused."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from issuance.core.idcard import mask
from issuance.graduation import demo as grad_demo
from tests.cli import qianfa
from tests.season import PEOPLE, UNDER_CITY, Season, played_season


@pytest.fixture
async def season(tmp_path: Path, database: str) -> Season:
    return await played_season(tmp_path / "home", database)


def _voided(season: Season) -> tuple[str, str, str]:
    ((cert_no, name, id_number),) = season.sql(
        "SELECT g.cert_no, g.name, g.id_number FROM graduate g JOIN grad_void v"
        " ON v.graduate_id = g.id"
    )
    return str(cert_no), str(name), str(id_number)


async def test_a_voided_graduation_certificate_reads_voided_everywhere(
    season: Season, tmp_path: Path
) -> None:
    cert_no, name, id_number = _voided(season)
    term = ("--school", UNDER_CITY, "--term", grad_demo.TERM)
    status = season.run("grad", "status", *term, "--json")
    assert status.code == 0, status.stderr
    counts = status.json()
    approved_and_sealed = season.sql(
        "SELECT COUNT(*) FROM graduate g JOIN blank b ON b.graduate_id = g.id"
        f" WHERE b.state = '已验印' AND g.graduated = '{grad_demo.TERM}'"
    )[0][0]
    assert counts["作废"] == 1
    assert counts["已验印"] == approved_and_sealed  # the blank was sealed all the same
    assert counts["已发放"] == season.sql("SELECT COUNT(*) FROM graduate_handout")[0][0] - 1
    assert counts["暂缓发放"] == 1
    assert "作废 1" in season.run("grad", "status", *term).stdout

    listed = season.run("grad", "list", *term)
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith(cert_no)]
    assert " 作废 " in line and "已审批" not in line

    out = tmp_path / "void.csv"
    export = season.run("grad", "export", "--out", str(out), "--status", "作废", "--json")
    assert export.code == 0 and export.json()["exported"] == 1
    assert cert_no in out.read_text(encoding="utf-8-sig") and "作废" in out.read_text("utf-8-sig")
    approved = tmp_path / "approved.csv"
    export = season.run("grad", "export", "--out", str(approved), "--status", "已审批", "--json")
    assert export.code == 0 and cert_no not in approved.read_text(encoding="utf-8-sig")

    roster = tmp_path / "roster.xlsx"
    assert season.run("grad", "roster", *term, "--out", str(roster)).code == 0
    sheet = openpyxl.load_workbook(roster).active
    assert sheet is not None
    (row,) = [r for r in sheet.iter_rows(values_only=True) if cert_no in r]
    assert "作废" in row

    show = season.run("grad", "show", cert_no)
    assert show.code == 0 and "已作废" in show.stdout and "错印" in show.stdout
    assert mask(id_number) in show.stdout and name in show.stdout


async def test_an_unknown_status_filter_is_refused(season: Season, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    run = season.run("grad", "export", "--out", str(out), "--status", "乱写")
    assert run.code == 1 and "乱写" in run.stderr and "已审批" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


async def test_organizations_and_people_are_listed_for_school_and_by(
    season: Season, tmp_path: Path
) -> None:
    orgs = season.run("orgs", "--kind", "技工院校", "--json")
    assert orgs.code == 0, orgs.stderr
    assert UNDER_CITY in {o["code"] for o in orgs.json()["orgs"]}
    assert {o["kind"] for o in orgs.json()["orgs"]} == {"技工院校"}
    people = season.run("people", "--org", UNDER_CITY, "--role", "经办人", "--json")
    assert [p["phone"] for p in people.json()["people"]] == [PEOPLE["clerk"]]
    assert PEOPLE["clerk"] in season.run("people").stdout
    demo = qianfa(tmp_path / "demo", "init", "--demo")
    assert demo.code == 0 and UNDER_CITY in demo.stdout and PEOPLE["keeper"] in demo.stdout
