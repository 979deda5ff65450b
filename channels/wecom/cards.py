"""Pure formatting of what WeCom members see: texts and template cards from core values.

Cards are WeCom's `button_interaction` template cards: at most six buttons, a drop-down
(`button_selection`) to pick one record, at most six key/value lines. Button keys and option ids
carry ids only, never a name or an ID number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from issuance.core.catalog import t
from issuance.core.idcard import mask
from issuance.store import Problem
from issuance.xcert.broadcasting import counts_line
from issuance.xcert.completion import FIELDS, field_label
from issuance.xcert.desk import BatchPage
from issuance.xcert.records import Batch
from issuance.xcert.statuses import CONFIRMED

Card = dict[str, Any]
PENDING_PAGE = 5  # batches per pending-list card (a sixth button pages on)
QUESTION = "record"
TITLE_LIMIT = 36  # characters of main_title.title
MAX_BUTTONS = 6
PROBLEM_PAGE = 10  # a drop-down holds ten options
PROBLEM_QUESTION = "problem"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card(task: int, title: str, desc: str, buttons: list[tuple[str, str]], **extra: Any) -> Card:
    return {
        "card_type": "button_interaction",
        "source": {"desc": "签发 Qianfa"},
        "main_title": {"title": _clip(title, TITLE_LIMIT), "desc": desc},
        "task_id": f"qf-{task}",
        "button_list": [
            {"text": label, "style": 1 if n == 0 else 2, "key": key}
            for n, (label, key) in enumerate(buttons)
        ],
        **extra,
    }


def button_cards(
    rows: list[list[dict[str, str]]], task: Callable[[], int], locale: str
) -> list[Card]:
    """A queued notice's buttons ({"text", "callback_data" | "url"}) as cards of six at most."""
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


def task_number(task_id: str) -> int | None:
    """The number in one of our task ids (None for anything else)."""
    number = task_id.removeprefix("qf-")
    return int(number) if task_id.startswith("qf-") and number.isdigit() else None


def pending_text(batches: list[Batch], locale: str) -> str:
    """待签发: every batch with its counts line, numbered like the card's buttons."""
    if not batches:
        return t("bot.pending.none", locale)
    lines = [t("bot.pending.title", locale)]
    for n, batch in enumerate(batches, 1):
        lines.append(
            f"\n{n}. {batch.program}（{batch.level}）\n{batch.plan}\n{batch.site_name}\n"
            + counts_line(batch.counts, locale)
        )
    return "\n".join(lines)


def pending_card(batches: list[Batch], page: int, task: int, locale: str) -> Card | None:
    """Buttons to open the batches of one page of the pending list."""
    if not batches:
        return None
    pages = (len(batches) + PENDING_PAGE - 1) // PENDING_PAGE
    page = min(max(page, 0), pages - 1)
    first = page * PENDING_PAGE
    buttons = [
        (t("bot.pending.open", locale, n=n), f"b:{batch.id}:0")
        for n, batch in enumerate(batches[first : first + PENDING_PAGE], first + 1)
    ]
    if pages > 1:
        buttons.append((t("bot.button.next", locale), f"wp:{(page + 1) % pages}"))
    return _card(
        task,
        t("wecom.pending.card_title", locale),
        t("bot.batch.page", locale, page=page + 1, pages=pages),
        buttons,
    )


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
        {
            "keyname": _clip(f"{n}. {r.student_name}", 12),
            "value": f"{r.masked_id} {r.status}",
        }
        for n, r in enumerate(view.records, view.offset + 1)
    ]
    flaggable = {r.id for r in view.records if view.can_flag and r.status != CONFIRMED}
    choosable = view.actionable | view.resubmittable | flaggable
    options = [
        {"id": option_id(r.id, r.version), "text": f"{n}. {r.student_name}"}
        for n, r in enumerate(view.records, view.offset + 1)
        if r.id in choosable
    ]
    where = f"{b.id}:{view.page}"
    buttons: list[tuple[str, str]] = []
    if view.actionable:
        buttons += [
            (t("bot.button.confirm", locale), f"wc:{where}"),
            (t("bot.button.refuse", locale), f"wr:{where}"),
        ]
    if view.resubmittable:
        buttons.append((t("wecom.button.resubmit", locale), f"wrs:{where}"))
    if flaggable:
        buttons.append((t("wecom.button.flag", locale), f"wf:{where}"))
    if view.waiting_total:
        label = t("bot.button.batch_confirm", locale)
        buttons.append((f"{label}（{view.waiting_total}）", f"ca:{b.id}"))
    if view.page + 1 < view.pages:
        buttons.append((t("bot.button.next", locale), f"b:{b.id}:{view.page + 1}"))
    if view.can_flag and b.counts.get(CONFIRMED):
        buttons.append((t("bot.button.download", locale), f"dl:{b.id}"))
    if view.page > 0:
        buttons.append((t("bot.button.prev", locale), f"b:{b.id}:{view.page - 1}"))
    if not buttons:
        buttons.append((t("wecom.button.refresh", locale), f"b:{where}"))
    extra: dict[str, Any] = {
        "sub_title_text": f"{b.site_name}\n{counts_line(b.counts, locale)}\n"
        + t("bot.batch.page", locale, page=view.page + 1, pages=view.pages),
        "horizontal_content_list": lines[:6],
    }
    if options:
        extra["button_selection"] = {
            "question_key": QUESTION,
            "title": t("wecom.batch.choose", locale),
            "option_list": options[:PROBLEM_PAGE],
            "selected_id": options[0]["id"],
        }
    return _card(task, f"{b.program}（{b.level}）", b.plan, buttons[:MAX_BUTTONS], **extra)


def fields_card(record_id: int, task: int, locale: str) -> Card:
    """完善信息: which field the school must complete."""
    return _card(
        task,
        t("completion.which_field", locale),
        "",
        [(field_label(f, locale), f"ff:{record_id}:{i}") for i, f in enumerate(FIELDS)],
    )


def stamp_card(task: int, locale: str) -> Card:
    """Save the stamp after reading the letter of authorization, or upload again."""
    return _card(
        task,
        t("wecom.stamp.card_title", locale),
        t("wecom.stamp.card_desc", locale),
        [(t("bot.stamp.accept", locale), "sa"), (t("bot.stamp.discard", locale), "sx")],
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
    buttons = [(t("wecom.completion.fix", locale), "wfx")]
    if pages > 1:
        buttons.append((t("bot.button.next", locale), f"wpl:{(page + 1) % pages}"))
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
        if r.id in view.refusals and r.status.endswith("拒绝签发"):
            lines.append(
                f"{n}. {r.student_name}" + t("bot.batch.reason", locale, reason=view.refusals[r.id])
            )
        if r.id in view.problems:
            lines.append(f"{n}. {r.student_name}" + t("bot.batch.problem", locale))
    return "\n".join(lines) if lines else None


def selected_option(fields: dict[str, Any], question: str = QUESTION) -> str | None:
    """The option chosen in the card's drop-down, from a template_card_event's SelectedItems."""
    items = (fields.get("SelectedItems") or {}) if isinstance(fields, dict) else {}
    selected = items.get("SelectedItem") if isinstance(items, dict) else None
    for item in selected if isinstance(selected, list) else [selected]:
        if isinstance(item, dict) and item.get("QuestionKey") == question:
            ids = item.get("OptionIds") or {}
            option = ids.get("OptionId") if isinstance(ids, dict) else None
            if isinstance(option, list):
                option = option[0] if option else None
            return str(option) if option else None
    return None
