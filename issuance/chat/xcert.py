"""The X-certificate conversations' screens: pending lists, a batch page, problems, questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from issuance.chat.actions import (
    AcceptStamp,
    Broadcast,
    Cancel,
    Confirm,
    ConfirmBatch,
    CreateLists,
    DiscardStamp,
    FixProblem,
    FlagField,
    OpenBatch,
    ProblemSheet,
    Refuse,
    RefuseSelected,
    Resubmit,
    Toggle,
)
from issuance.chat.actions import Download as DownloadAction
from issuance.chat.actions import Flag as FlagAction
from issuance.chat.screens import Button, Lines, Part, Plain, Screen, Text
from issuance.core.catalog import t
from issuance.core.idcard import mask
from issuance.core.records import Batch, IssuanceRecord, Problem
from issuance.core.vocabulary import XStatus
from issuance.xcert.broadcasting import Progress
from issuance.xcert.service import BatchCreated, with_total


@dataclass(frozen=True)
class BatchPage:
    """One page of a batch for one viewer, with what they may do to each record."""

    batch: Batch
    page: int
    pages: int
    offset: int
    records: list[IssuanceRecord]
    refusals: dict[int, str]
    refused: set[int]
    problems: set[int]
    actionable: set[int]
    resubmittable: set[int]
    waiting_total: int
    can_flag: bool


@dataclass(frozen=True)
class Counts:
    """全部 N · 培训评价组织待签发 n · …, the platform's counts line."""

    counts: Mapping[str, int]

    def render(self, locale: str) -> str:
        total = with_total(dict(self.counts))
        return " · ".join(f"{t('bot.status.' + k, locale)} {v}" for k, v in total.items())


def pending_list(batches: Sequence[Batch]) -> Screen:
    """/pending: every batch with its counts line and a button to open it."""
    if not batches:
        return Screen(Text("bot.pending.none"))
    parts: list[Part] = [Text("bot.pending.title")]
    rows = []
    for n, batch in enumerate(batches, 1):
        head = f"\n{n}. {batch.program}（{batch.level}）\n{batch.plan}\n{batch.site_name}"
        parts.append(Lines([Plain(head), Counts(batch.counts)]))
        rows.append([Button(Text("bot.pending.open", {"n": n}), OpenBatch(batch.id))])
    return Screen(Lines(parts), rows)


def batch_page(view: BatchPage, selected: set[int]) -> Screen:
    """One page of a batch: records (ID numbers masked) and what the viewer may do."""
    b = view.batch
    parts: list[Part] = [
        Plain(f"{b.program}（{b.level}）\n{b.plan}\n{b.site_name}"),
        Counts(b.counts),
        Plain(""),
    ]
    rows: list[list[Button]] = []
    for n, r in enumerate(view.records, view.offset + 1):
        parts.append(_record(n, r))
        if r.id in view.refusals and r.id in view.refused:
            parts.append(Text("bot.batch.reason", {"reason": view.refusals[r.id]}))
        if r.id in view.problems:
            parts.append(Text("bot.batch.problem"))
        rows.append(_record_buttons(view, n, r, r.id in selected))
    if view.waiting_total:
        picked = len(selected)
        count = Plain(f"（{picked or view.waiting_total}）")
        label = Lines([Text("bot.button.batch_confirm"), count], separator="")
        rows.append([Button(label, ConfirmBatch(b.id))])
        if picked:
            label = Lines([Text("bot.button.refuse"), Plain(f"（{picked}）")], separator="")
            rows.append([Button(label, RefuseSelected(b.id))])
    if view.can_flag and b.counts.get(XStatus.CONFIRMED):
        rows.append([Button(Text("bot.button.download"), DownloadAction(b.id))])
    nav = []
    if view.page > 0:
        nav.append(Button(Text("bot.button.prev"), OpenBatch(b.id, view.page - 1)))
    if view.page + 1 < view.pages:
        nav.append(Button(Text("bot.button.next"), OpenBatch(b.id, view.page + 1)))
    rows.append(nav)
    parts.append(Text("bot.batch.page", {"page": view.page + 1, "pages": view.pages}))
    return Screen(Lines(parts), rows)


def _record(n: int, r: IssuanceRecord) -> Text:
    return Text(
        "bot.batch.record",
        {
            "n": n,
            "name": r.student_name,
            "id": r.masked_id,
            "cert_no": r.cert_no,
            "program": r.program,
            "level": r.level,
            "plan": r.plan,
            "status": r.shown_status,
        },
    )


def _record_buttons(view: BatchPage, n: int, r: IssuanceRecord, ticked: bool) -> list[Button]:
    row = []
    if r.id in view.actionable:
        row += [
            Button(Plain(f"{'☑' if ticked else '☐'} {n}"), Toggle(r.id, view.page)),
            Button(Text("bot.button.confirm"), Confirm(r.id, r.version)),
            Button(Text("bot.button.refuse"), Refuse(r.id, r.version)),
        ]
    if r.id in view.resubmittable:
        row.append(Button(Text("bot.button.resubmit", {"n": n}), Resubmit(r.id, r.version)))
    if view.can_flag and r.status != XStatus.CONFIRMED:
        row.append(Button(Text("bot.button.flag", {"n": n}), FlagAction(r.id)))
    return row


def problem_list(problems: Sequence[Problem]) -> Screen:
    """The school's open student-info problems, each with a button to fix it."""
    if not problems:
        return Screen(Text("completion.none_open"))
    parts: list[Part] = [Text("completion.list_title", {"count": len(problems)})]
    rows = []
    for n, p in enumerate(problems, 1):
        parts.append(
            Text(
                "completion.item",
                {
                    "n": n,
                    "name": p.student_name,
                    "id": mask(p.id_number),
                    "cert_no": p.cert_no,
                    "field": Text(f"completion.field.{p.field}"),
                    "note": p.note,
                    "deadline": p.deadline,
                },
            )
        )
        rows.append([Button(Text("completion.fix_button", {"n": n}), FixProblem(p.id))])
    rows.append([Button(Text("completion.sheet_button"), ProblemSheet())])
    return Screen(Lines(parts), rows)


def plan_choice(plans: Sequence[tuple[int, str, int]]) -> Screen:
    """/broadcast: which exam plan's pending lists go out."""
    if not plans:
        return Screen(Text("bot.broadcast.no_plans"))
    rows = [
        [Button(Text("bot.broadcast.plan", {"plan": name, "schools": n}), Broadcast(plan_id))]
        for plan_id, name, n in plans
    ]
    return Screen(Text("bot.broadcast.choose"), rows)


def lists_choice(plans: Sequence[tuple[int, str, int]]) -> Screen:
    """生成名单: the exam plans with passed results not yet on a pending list."""
    if not plans:
        return Screen(Text("cli.list.none"))
    rows = [
        [Button(Text("listing.plan", {"plan": name, "results": n}), CreateLists(plan_id))]
        for plan_id, name, n in plans
    ]
    return Screen(Text("listing.choose"), rows)


def lists_created(created: Sequence[BatchCreated]) -> Part:
    """What 生成名单 made: one line per school's new batch."""
    if not created:
        return Text("cli.list.none")
    lines: list[Part] = [Text("listing.created", {"count": len(created)})]
    lines += [
        Text("cli.list.batch", {"id": b.id, "school": b.school, "records": b.records})
        for b in created
    ]
    return Lines(lines)


def field_choice(record_id: int, fields: Sequence[str]) -> Screen:
    """Which field of the record the school must complete."""
    rows = [
        [Button(Text(f"completion.field.{f}"), FlagField(record_id, i))]
        for i, f in enumerate(fields)
    ]
    return Screen(Text("completion.which_field"), rows)


def ask_reason(records: Sequence[IssuanceRecord]) -> Screen:
    """拒绝签发: ask why, with a way out."""
    names = "、".join(r.student_name for r in records[:5]) + ("…" if len(records) > 5 else "")
    return Screen(
        Text("bot.refuse.ask", {"count": len(records), "names": names}),
        [[Button(Text("bot.button.cancel"), Cancel())]],
    )


def stamp_consent(letter: str) -> Screen:
    """The letter of authorization to accept before the stamp is saved."""
    return Screen(
        Text("bot.stamp.consent", {"letter": letter}),
        [
            [Button(Text("bot.stamp.accept"), AcceptStamp())],
            [Button(Text("bot.stamp.discard"), DiscardStamp())],
        ],
    )


def progress_text(p: Progress) -> Part:
    """正在通知 … / 通知完成 …, with who could not be reached once finished."""
    key = "bot.broadcast.done" if p.finished else "bot.broadcast.progress"
    parts: list[Part] = [
        Text(
            key,
            {
                "schools": p.schools,
                "sent": p.sent,
                "failed": p.failed,
                "not_bound": len(p.not_bound),
                "blocked": len(p.blocked),
            },
        )
    ]
    if p.finished and p.not_bound:
        parts.append(Text("bot.broadcast.not_bound_list", {"names": "、".join(p.not_bound)}))
    if p.finished and p.blocked:
        parts.append(Text("bot.broadcast.blocked_list", {"names": "、".join(p.blocked)}))
    return Lines(parts)
