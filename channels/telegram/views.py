"""Pure formatting of what the bot shows: texts and keyboards from core values."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from channels.telegram.ui import Rows, keyboard
from issuance.core.catalog import t
from issuance.core.idcard import mask
from issuance.store import Problem
from issuance.xcert.broadcasting import counts_line
from issuance.xcert.desk import BatchPage
from issuance.xcert.records import Batch


def pending_list(batches: list[Batch], locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """/pending: every batch with its counts line and a button to open it."""
    if not batches:
        return t("bot.pending.none", locale), None
    lines = [t("bot.pending.title", locale)]
    rows: Rows = []
    for index, batch in enumerate(batches, 1):
        lines.append(
            f"\n{index}. {batch.program}（{batch.level}）\n{batch.plan}\n{batch.site_name}\n"
            + counts_line(batch.counts, locale)
        )
        rows.append([(t("bot.pending.open", locale, n=index), f"b:{batch.id}:0")])
    return "\n".join(lines), keyboard(rows)


def batch_view(
    view: BatchPage, selected: set[int], locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of a batch: records (ID numbers masked) and what the viewer may do."""
    b = view.batch
    lines = [f"{b.program}（{b.level}）", b.plan, b.site_name, counts_line(b.counts, locale), ""]
    rows: Rows = []
    for n, r in enumerate(view.records, view.offset + 1):
        lines.append(
            t(
                "bot.batch.record",
                locale,
                n=n,
                name=r.student_name,
                id=r.masked_id,
                cert_no=r.cert_no,
                program=r.program,
                level=r.level,
                plan=r.plan,
                status=r.status,
            )
        )
        if r.id in view.refusals and r.status.endswith("拒绝签发"):
            lines.append(t("bot.batch.reason", locale, reason=view.refusals[r.id]))
        if r.id in view.problems:
            lines.append(t("bot.batch.problem", locale))
        row: list[tuple[str, str]] = []
        if r.id in view.actionable:
            tick = "☑" if r.id in selected else "☐"
            row += [
                (f"{tick} {n}", f"t:{r.id}:{view.page}"),
                (t("bot.button.confirm", locale), f"c:{r.id}:{r.version}"),
                (t("bot.button.refuse", locale), f"r:{r.id}:{r.version}"),
            ]
        if r.id in view.resubmittable:
            row.append((t("bot.button.resubmit", locale, n=n), f"rs:{r.id}:{r.version}"))
        if view.can_flag and r.status != "确认签发":
            row.append((t("bot.button.flag", locale, n=n), f"f:{r.id}"))
        rows.append(row)
    if view.waiting_total:
        picked = len(selected)
        label = t("bot.button.batch_confirm", locale)
        rows.append([(f"{label}（{picked or view.waiting_total}）", f"ca:{b.id}")])
        if picked:
            rows.append([(f"{t('bot.button.refuse', locale)}（{picked}）", f"ra:{b.id}")])
    if view.can_flag and b.counts.get("确认签发"):
        rows.append([(t("bot.button.download", locale), f"dl:{b.id}")])
    nav = []
    if view.page > 0:
        nav.append((t("bot.button.prev", locale), f"b:{b.id}:{view.page - 1}"))
    if view.page + 1 < view.pages:
        nav.append((t("bot.button.next", locale), f"b:{b.id}:{view.page + 1}"))
    rows.append(nav)
    lines.append(t("bot.batch.page", locale, page=view.page + 1, pages=view.pages))
    return "\n".join(lines), keyboard(rows)


def problem_list(problems: list[Problem], locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The school's open student-info problems, each with a button to fix it."""
    if not problems:
        return t("completion.none_open", locale), None
    lines = [t("completion.list_title", locale, count=len(problems))]
    rows: Rows = []
    for n, p in enumerate(problems, 1):
        lines.append(
            t(
                "completion.item",
                locale,
                n=n,
                name=p.student_name,
                id=mask(p.id_number),
                cert_no=p.cert_no,
                field=t(f"completion.field.{p.field}", locale),
                note=p.note,
                deadline=p.deadline,
            )
        )
        rows.append([(t("completion.fix_button", locale, n=n), f"fx:{p.id}")])
    rows.append([(t("completion.sheet_button", locale), "px")])
    return "\n".join(lines), keyboard(rows)
