"""Pure formatting of what WeCom members see: texts and template cards from core values.

Cards are WeCom's `button_interaction` template cards: at most six buttons, a drop-down
(`button_selection`) to pick one record or problem, at most six key/value lines. Button keys are
packed typed actions (`issuance.chat.actions`), ids only, never a name or an ID number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.wecom.actions import (
    ConfirmChosen,
    FixChosen,
    FlagChosen,
    ProblemsPage,
    RefuseChosen,
    ResubmitChosen,
)
from issuance.chat.actions import (
    AcceptStamp,
    Action,
    ConfirmBatch,
    DiscardStamp,
    Download,
    FlagField,
    OpenBatch,
    pack,
)
from issuance.chat.xcert import BatchPage, Counts
from issuance.core.catalog import t
from issuance.core.idcard import mask
from issuance.core.records import Problem
from issuance.core.vocabulary import XStatus
from issuance.xcert.completion import FIELDS, field_label
from issuance.xcert.statuses import REFUSED_STATUSES

Card = dict[str, Any]
QUESTION = "record"
PROBLEM_QUESTION = "problem"
TITLE_LIMIT = 36  # characters of main_title.title
MAX_BUTTONS = 6
MAX_OPTIONS = 10  # a drop-down holds ten options
PROBLEM_PAGE = MAX_OPTIONS


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card(
    task: int, title: str, desc: str, buttons: Sequence[tuple[str, Action]], **extra: Any
) -> Card:
    return {
        "card_type": "button_interaction",
        "source": {"desc": "签发 Qianfa"},
        "main_title": {"title": _clip(title, TITLE_LIMIT), "desc": desc},
        "task_id": f"qf-{task}",
        "button_list": [
            {"text": label, "style": 1 if n == 0 else 2, "key": pack(action)}
            for n, (label, action) in enumerate(buttons)
        ],
        **extra,
    }


def button_cards(
    rows: list[list[dict[str, str]]], task: Callable[[], int], locale: str
) -> list[Card]:
    """A screen's buttons ({"text", "callback_data" | "url"}) as cards of six at most."""
    flat = [b for row in rows for b in row]
    result = []
    for first in range(0, len(flat), MAX_BUTTONS):
        card = _card(task(), t("wecom.notice.actions", locale), "", [])
        card["button_list"] = [
            {"text": b["text"], "style": 1, "type": 1, "url": b["url"]}
            if "url" in b
            else {"text": b["text"], "style": 1, "key": b["callback_data"]}
            for b in flat[first : first + MAX_BUTTONS]
        ]
        result.append(card)
    return result


def option_id(record_id: int, version: int) -> str:
    return f"{record_id}.{version}"


def parse_option(option: str) -> tuple[int, int] | None:
    record, _, version = option.partition(".")
    if record.isdigit() and version.isdigit() and len(option) <= 20:
        return int(record), int(version)
    return None


def batch_card(view: BatchPage, task: int, locale: str) -> Card:
    """One page of a batch: its records (ID numbers masked), a drop-down of those the viewer may
    act on, and the buttons for the chosen one (确认签发, 拒绝签发, 重新提交, 完善信息), then
    批量确认签发, pages and 下载证书, six at most in that order of importance."""
    b = view.batch
    lines = [
        {"keyname": _clip(f"{n}. {r.student_name}", 12), "value": f"{r.masked_id} {r.status}"}
        for n, r in enumerate(view.records, view.offset + 1)
    ]
    flaggable = {r.id for r in view.records if view.can_flag and r.status != XStatus.CONFIRMED}
    choosable = view.actionable | view.resubmittable | flaggable
    options = [
        {"id": option_id(r.id, r.version), "text": f"{n}. {r.student_name}"}
        for n, r in enumerate(view.records, view.offset + 1)
        if r.id in choosable
    ]
    buttons: list[tuple[str, Action]] = []
    if view.actionable:
        buttons += [
            (t("bot.button.confirm", locale), ConfirmChosen(b.id, view.page)),
            (t("bot.button.refuse", locale), RefuseChosen(b.id, view.page)),
        ]
    if view.resubmittable:
        buttons.append((t("wecom.button.resubmit", locale), ResubmitChosen(b.id, view.page)))
    if flaggable:
        buttons.append((t("wecom.button.flag", locale), FlagChosen(b.id, view.page)))
    if view.waiting_total:
        label = t("bot.button.batch_confirm", locale)
        buttons.append((f"{label}（{view.waiting_total}）", ConfirmBatch(b.id)))
    if view.page + 1 < view.pages:
        buttons.append((t("bot.button.next", locale), OpenBatch(b.id, view.page + 1)))
    if view.can_flag and b.counts.get(XStatus.CONFIRMED):
        buttons.append((t("bot.button.download", locale), Download(b.id)))
    if view.page > 0:
        buttons.append((t("bot.button.prev", locale), OpenBatch(b.id, view.page - 1)))
    if not buttons:
        buttons.append((t("wecom.button.refresh", locale), OpenBatch(b.id, view.page)))
    extra: dict[str, Any] = {
        "sub_title_text": f"{b.site_name}\n{Counts(b.counts).render(locale)}\n"
        + t("bot.batch.page", locale, page=view.page + 1, pages=view.pages),
        "horizontal_content_list": lines[:6],
    }
    if options:
        extra["button_selection"] = {
            "question_key": QUESTION,
            "title": t("wecom.batch.choose", locale),
            "option_list": options[:MAX_OPTIONS],
            "selected_id": options[0]["id"],
        }
    return _card(task, f"{b.program}（{b.level}）", b.plan, buttons[:MAX_BUTTONS], **extra)


def fields_card(record_id: int, task: int, locale: str) -> Card:
    """完善信息: which field the school must complete."""
    return _card(
        task,
        t("completion.which_field", locale),
        "",
        [(field_label(f, locale), FlagField(record_id, i)) for i, f in enumerate(FIELDS)],
    )


def stamp_card(task: int, locale: str) -> Card:
    """Save the stamp after reading the letter of authorization, or upload again."""
    return _card(
        task,
        t("wecom.stamp.card_title", locale),
        t("wecom.stamp.card_desc", locale),
        [
            (t("bot.stamp.accept", locale), AcceptStamp()),
            (t("bot.stamp.discard", locale), DiscardStamp()),
        ],
    )


def problems_text(problems: list[Problem], first: int, locale: str) -> str:
    """The school's open student-info problems of one page, numbered (ID numbers masked)."""
    lines = [t("completion.list_title", locale, count=len(problems))]
    for n, p in enumerate(problems[first : first + PROBLEM_PAGE], first + 1):
        lines.append(
            t(
                "completion.item",
                locale,
                n=n,
                name=p.student_name,
                id=mask(p.id_number),
                cert_no=p.cert_no,
                field=field_label(p.field, locale),
                note=p.note,
                deadline=p.deadline,
            )
        )
    return "\n".join(lines)


def problems_card(problems: list[Problem], page: int, task: int, locale: str) -> Card:
    """Pick one problem of the page in the drop-down, then 修改 (the value is the next message)."""
    pages = (len(problems) + PROBLEM_PAGE - 1) // PROBLEM_PAGE
    first = page * PROBLEM_PAGE
    options = [
        {
            "id": str(p.id),
            "text": _clip(f"{n}. {p.student_name} {field_label(p.field, locale)}", 16),
        }
        for n, p in enumerate(problems[first : first + PROBLEM_PAGE], first + 1)
    ]
    buttons: list[tuple[str, Action]] = [(t("wecom.completion.fix", locale), FixChosen())]
    if pages > 1:
        buttons.append((t("bot.button.next", locale), ProblemsPage((page + 1) % pages)))
    return _card(
        task,
        t("wecom.completion.card_title", locale),
        t("bot.batch.page", locale, page=page + 1, pages=pages),
        buttons,
        button_selection={
            "question_key": PROBLEM_QUESTION,
            "title": t("wecom.completion.choose", locale),
            "option_list": options,
            "selected_id": options[0]["id"],
        },
    )


def refusals_text(view: BatchPage, locale: str) -> str | None:
    """Refusal reasons and open student-info problems on the page (evaluators act on them)."""
    lines = []
    for n, r in enumerate(view.records, view.offset + 1):
        if r.id in view.refusals and r.status in REFUSED_STATUSES:
            lines.append(
                f"{n}. {r.student_name}" + t("bot.batch.reason", locale, reason=view.refusals[r.id])
            )
        if r.id in view.problems:
            lines.append(f"{n}. {r.student_name}" + t("bot.batch.problem", locale))
    return "\n".join(lines) if lines else None


def selected_option(fields: dict[str, Any], question: str = QUESTION) -> str | None:
    """The option chosen in the card's drop-down, from a template_card_event's SelectedItems."""
    items = fields.get("SelectedItems") or {}
    selected = items.get("SelectedItem") if isinstance(items, dict) else None
    for item in selected if isinstance(selected, list) else [selected]:
        if isinstance(item, dict) and item.get("QuestionKey") == question:
            ids = item.get("OptionIds") or {}
            option = ids.get("OptionId") if isinstance(ids, dict) else None
            if isinstance(option, list):
                option = option[0] if option else None
            return str(option) if option else None
    return None
