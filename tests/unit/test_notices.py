"""Typed notices: every kind renders from its stored (JSON) form into the text and buttons users
have always seen, and the workflows' use cases tell people without importing the chat layer."""

from __future__ import annotations

import ast
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from issuance.chat.actions import ListProblems, OpenBatch
from issuance.chat.gradchat import print_buttons
from issuance.chat.graduation import buttons
from issuance.chat.handout import ConfirmReceipt, HandOutTerm, OpenHandout, SealTerm
from issuance.chat.notices import shown
from issuance.chat.screens import Button, Lines, Rows, Screen, Text
from issuance.chat.xcert import Counts
from issuance.core.catalog import has
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Role
from issuance.xcert.reminders import Moment, Reminder, Span, notice_for

K = NoticeKind
ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Asia/Shanghai")
WHAT = {"kind": "毕业证申报", "school": "福州技工学校", "term": "202506", "count": 12}
BLANKS = {"kind": "空白毕业证申报", "school": "福州技工学校", "blank_kind": "技工学校", "count": 30}
NUDGE = {"plan": "2025年第一批", "site": "一中", "count": 47}
GRAD_WHAT = Text("grad.describe", WHAT)
BATCH = {"plan": "2025年第一批", "program": "电工", "level": "初级", "school": "一中", "count": 14}


def _stored(notice: Notice) -> dict[str, object]:
    """The payload as the outbox keeps it (through JSON, as a database row does)."""
    return json.loads(json.dumps(notice.payload(), ensure_ascii=False))


def _old(key: str, params: dict[str, object], rows: Rows = ()) -> Screen:
    return Screen(Text(key, params), rows)


# (the notice a use case appends, the screen notify rendered before notices were typed)
CASES: list[tuple[Notice, Screen]] = [
    (
        Notice(K.RESUBMITTED, 1, {"batch": 3}, {"name": "张三", "cert_no": "X1", "status": "s"}),
        _old(
            "bot.resubmit.notice",
            {"name": "张三", "cert_no": "X1", "status": "s"},
            [[Button(Text("bot.broadcast.open"), OpenBatch(3))]],
        ),
    ),
    (
        Notice(K.INFO_TO_COMPLETE, 1, params={"count": 2, "deadline": "2030-12-01"}),
        _old(
            "completion.notice",
            {"count": 2, "deadline": "2030-12-01"},
            [[Button(Text("completion.open_button"), ListProblems())]],
        ),
    ),
    (
        Notice(K.INFO_COMPLETED, 1, params={"school": "一中"}),
        _old("completion.school_done", {"school": "一中"}),
    ),
    (
        Notice(
            K.BROADCAST,
            1,
            {"batch": 4},
            {"issuer": "评价", "plan": "p", "program": "电工", "level": "初级", "counts": {"a": 1}},
        ),
        _old(
            "bot.broadcast.notice",
            {
                "issuer": "评价",
                "plan": "p",
                "program": "电工",
                "level": "初级",
                "counts": Counts({"a": 1}),
            },
            [[Button(Text("bot.broadcast.open"), OpenBatch(4))]],
        ),
    ),
    (
        Notice(K.SIGNING_CONFIRMED, 1, params={"count": 3, "program": "电工", "at": "2025"}),
        _old("signing.chat.confirmed", {"count": 3, "program": "电工", "at": "2025"}),
    ),
    (
        Notice(
            K.SIGNING_FAILED,
            1,
            params={"reason": {"key": "signing.records_changed", "params": {}}},
        ),
        _old("signing.chat.failed", {"reason": Text("signing.records_changed", {})}),
    ),
    (
        Notice(K.MAILED, 1, {"batch": 5}, BATCH | {"courier": "顺丰", "tracking": "SF1"}),
        _old(
            "handout.mailed_notice",
            BATCH | {"courier": "顺丰", "tracking": "SF1"},
            [[Button(Text("handout.button.receive"), ConfirmReceipt(5))]],
        ),
    ),
    (
        Notice(K.RECEIVED, 1, {"batch": 5}, BATCH | {"by": "李明华", "count": 14}),
        _old("handout.received_notice", BATCH | {"by": "李明华", "count": 14}),
    ),
    (
        Notice(K.HANDOUT_REMINDER, 1, {"batch": 5}, BATCH | {"days": 9, "left": 2, "count": 3}),
        _old(
            "handout.reminder",
            BATCH | {"days": 9, "left": 2, "count": 3},
            [[Button(Text("handout.button.open"), OpenHandout(5))]],
        ),
    ),
    (
        Notice(K.GRAD_WAITING, 1, {"request": 7, "round": 2}, {"what": WHAT, "role": "校领导"}),
        _old("grad.notice.waiting", {"what": GRAD_WHAT}, [buttons(7, 2, Role.LEADER)]),
    ),
    (
        Notice(
            K.GRAD_RETURNED,
            1,
            {"request": 7, "round": 1},
            {"what": WHAT, "status": "退回", "reason": "缺照片", "role": "经办人"},
        ),
        _old(
            "grad.notice.returned",
            {"what": GRAD_WHAT, "status": "退回", "reason": "缺照片"},
            [buttons(7, 1, Role.CLERK)],
        ),
    ),
    (
        Notice(K.GRAD_APPROVED, 1, {"school": 9, "term": 202506}, {"what": WHAT}),
        _old("grad.notice.approved", {"what": GRAD_WHAT}, [print_buttons(9, "202506")]),
    ),
    (
        Notice(K.GRAD_APPROVED_BLANKS, 1, params={"what": BLANKS}),
        _old("grad.notice.approved_blanks", {"what": Text("grad.describe.blanks", BLANKS)}),
    ),
    (
        Notice(K.GRAD_TO_ISSUE, 1, {"request": 8, "round": 1}, {"what": BLANKS, "role": "发放员"}),
        _old(
            "grad.notice.to_issue",
            {"what": Text("grad.describe.blanks", BLANKS)},
            [buttons(8, 1, Role.DISTRIBUTOR)],
        ),
    ),
    (
        Notice(
            K.GRAD_REMINDER,
            1,
            {"request": 7, "round": 1},
            {"what": WHAT, "hours": 50, "role": "审批人"},
        ),
        _old(
            "grad.reminder",
            {"what": GRAD_WHAT, "hours": 50},
            [buttons(7, 1, Role.APPROVER)],
        ),
    ),
    (
        Notice(K.GRAD_DIGEST, 1, params={"lines": [WHAT, BLANKS]}),
        _old(
            "grad.digest",
            {"lines": Lines([GRAD_WHAT, Text("grad.describe.blanks", BLANKS)])},
        ),
    ),
    (
        Notice(
            K.SEALED,
            1,
            {"school": 9, "term": 202506},
            {"school": "s", "term": "202506", "count": 3},
        ),
        _old(
            "handout.sealed_notice",
            {"school": "s", "term": "202506", "count": 3},
            [[Button(Text("handout.button.grad"), HandOutTerm(9, 202506))]],
        ),
    ),
    (
        Notice(
            K.SEAL_READY,
            1,
            {"school": 9, "term": 202506},
            {"school": "s", "term": "202506", "count": 3},
        ),
        _old(
            "seal.ready_notice",
            {"school": "s", "term": "202506", "count": 3},
            [[Button(Text("seal.button"), SealTerm(9, 202506))]],
        ),
    ),
    (
        Notice(K.STOCK_LOW, 1, params={"kind": "技工学校", "left": 3}),
        _old("stock.low_notice", {"kind": "技工学校", "left": 3}),
    ),
]


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize(("notice", "before"), CASES, ids=[c[0].kind.name for c in CASES])
def test_a_stored_notice_renders_as_the_queued_message_did(
    notice: Notice, before: Screen, locale: str
) -> None:
    old = before.render(locale)
    expected: dict[str, object] = {"text": old.text}
    if old.buttons:
        expected["buttons"] = old.buttons
    assert shown(_stored(notice), locale) == expected


def test_a_reminder_keeps_its_spans_moments_and_button() -> None:
    deadline = datetime(2025, 7, 3, 18, 0, tzinfo=ZONE)
    reminder = Reminder(
        "worker.nudge:5", 2, ("签发人",), "worker.nudge", NUDGE | {"waited": timedelta(days=3)}, 5
    )
    nudge = notice_for(reminder, 11, ZONE, deadline)
    assert (nudge.dedup_key, nudge.not_before) == ("worker.nudge:5:11", deadline)
    old = _old(
        "worker.nudge",
        NUDGE | {"waited": Span(timedelta(days=3))},
        [[Button(Text("worker.nudge_button"), OpenBatch(5))]],
    ).render("zh")
    assert shown(_stored(nudge), "zh") == {"text": old.text, "buttons": old.buttons}
    # a deadline is written in the configured zone whatever zone the clock gave
    params = {
        "site": "一中",
        "count": 2,
        "deadline": deadline.astimezone(ZoneInfo("UTC")),
        "left": timedelta(hours=5),
    }
    due = notice_for(Reminder("k", 2, (), "worker.info_reminder", params), 11, ZONE, deadline)
    written = {"deadline": Moment(deadline, ZONE), "left": Span(timedelta(hours=5))}
    text = Text("worker.info_reminder", {"site": "一中", "count": 2} | written)
    assert shown(_stored(due), "en")["text"] == text.render("en")


def test_a_rendered_row_of_an_older_version_is_sent_as_stored() -> None:
    old = {"text": "提醒", "buttons": [[{"text": "查看", "callback_data": "b:1:0"}]]}
    assert shown(old, "en") == old


def test_an_edit_keeps_the_message_it_replaces() -> None:
    edit = {"channel": "telegram", "chat_id": 42, "message_id": 7}
    notice = Notice(K.INFO_COMPLETED, 1, params={"school": "一中"}, edit=edit)
    assert shown(_stored(notice), "zh") == {
        "text": Text("completion.school_done", {"school": "一中"}).render("zh"),
        "chat_id": 42,
        "message_id": 7,
    }


def test_every_kind_of_notice_has_its_text_in_the_catalog() -> None:
    assert [kind for kind in NoticeKind if not has(kind.value)] == []


def test_the_workflows_tell_people_without_importing_the_chat_layer() -> None:
    # the desks are screens and conversations; they move into issuance/chat
    desks = {"desk.py", "printdesk.py", "qual_desk.py"}
    offenders = []
    for folder in ("xcert", "graduation"):
        for path in sorted((ROOT / "issuance" / folder).glob("*.py")):
            if path.name in desks:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "issuance.chat"
                ):
                    offenders.append(f"{folder}/{path.name}: {node.module}")
    assert offenders == []
