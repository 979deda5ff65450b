"""`qianfa mail|receive|handout` and `qianfa grad seal|handout` on a real home: the right people
only, refusals in Chinese and English, and the hand-out keys of `status --json` beside the fixed
ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from issuance.graduation import demo
from tests.cli import qianfa

EVALUATOR, HEAD, STAFF = "13800000001", "13800000002", "13800000003"


def test_mail_receive_and_hand_out_from_the_command_line(tmp_path: Path) -> None:
    assert qianfa(tmp_path, "init", "--demo").code == 0
    with sqlite3.connect(tmp_path / "qianfa.db") as db:
        (cert_no,) = db.execute(
            "SELECT cert_no FROM record WHERE status = '确认签发' ORDER BY id LIMIT 1"
        ).fetchone()

    wrong = qianfa(tmp_path, "mail", "--batch", "1", "--courier", "顺丰速运", "--tracking", "SF1",
                   "--by", HEAD, "--json")  # fmt: skip
    assert wrong.code == 1 and wrong.json()["error"] == "handout.not_evaluator"
    assert "只有该批证书的培训评价组织" in wrong.stderr and "Only the batch's" in wrong.stderr
    mailed = qianfa(tmp_path, "mail", "--batch", "1", "--courier", "顺丰速运", "--tracking", "SF1",
                    "--by", EVALUATOR, "--json")  # fmt: skip
    assert mailed.code == 0 and mailed.json()["tracking"] == "SF1"
    assert qianfa(tmp_path, "receive", "--batch", "1", "--by", STAFF).code == 0
    mailed_on = qianfa(tmp_path, "handout", "--batch", "1", "--cert-no", cert_no,
                       "--mailed-on", "EMS 1", "--by", HEAD, "--json")  # fmt: skip
    assert mailed_on.code == 0, mailed_on.stderr
    assert mailed_on.json() == {
        "batch": 1,
        "how": "已转寄",
        "handed_out": [cert_no],
        "left": 13,
    }

    status = qianfa(tmp_path, "status", "--json").json()
    assert status == {
        "全部": 61,
        "培训评价组织待签发": 0,
        "培训评价组织拒绝签发": 0,
        "考核站点待签发": 47,
        "考核站点拒绝签发": 0,
        "确认签发": 14,
        "院校已签收": 13,
        "已转寄学生": 1,
    }

    school = demo.SCHOOLS[0][0]
    seal = qianfa(tmp_path, "grad", "seal", "--school", school, "--term", demo.TERM,
                  "--by", "13900000011", "--json")  # fmt: skip
    assert seal.code == 1 and seal.json()["error"] == "seal.not_sealer"
