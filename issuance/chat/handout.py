"""Hand-out (发放) conversations: the typed buttons of mailing, receipt, 验印 and hand-out, and
their screens (the /handout overview, a batch's certificates page by page), for any channel."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from issuance.chat.actions import Action, Cancel
from issuance.chat.screens import Button, Lines, Part, Plain, Screen, Text
from issuance.core.graduates import HandoutBatch, HandoutRecord
from issuance.core.idcard import mask

PAGE_SIZE = 5
# The answers a hand-out conversation awaits (courier and tracking; a student's tracking number),
# named once for every channel.
MAIL = "handout_mail"
MAIL_ON = "handout_mail_on"


@dataclass(frozen=True)
class MailBatch(Action, prefix="hm"):
    """The evaluator books the batch's paper certificates as mailed (courier, tracking asked)."""

    batch: int


@dataclass(frozen=True)
class ConfirmReceipt(Action, prefix="hr"):
    """确认收到: the school received the batch's paper certificates."""

    batch: int


@dataclass(frozen=True)
class OpenHandout(Action, prefix="ho"):
    """A page of the batch's certificates with their hand-out."""

    batch: int
    page: int = 0


@dataclass(frozen=True)
class HandOutRecord(Action, prefix="hh"):
    """已发放: one certificate handed to its student, staying on this page."""

    batch: int
    record: int
    page: int


@dataclass(frozen=True)
class MailOnRecord(Action, prefix="hf"):
    """已转寄: one certificate mailed on to its student (the tracking number is asked)."""

    batch: int
    record: int


@dataclass(frozen=True)
class HandOutRest(Action, prefix="ha"):
    """其余全部已发放: every certificate of the batch not handed out yet."""

    batch: int


@dataclass(frozen=True)
class SealTerm(Action, prefix="hs"):
    """验印 of a school's term (YYYYMM), by the sealing department's 审批人."""

    school: int
    term: int


@dataclass(frozen=True)
class HandOutTerm(Action, prefix="hg"):
    """发放 of a school's sealed term, every certificate not held, by its 经办人."""

    school: int
    term: int


def _batch_line(n: int, batch: HandoutBatch) -> Part:
    head = Plain(f"{n}. {batch.program}（{batch.level}）{batch.plan} · {batch.site_name}")
    counts = {"issued": batch.issued, "handed": batch.handed}
    if batch.courier is None:
        state: Part = Text("handout.state.not_mailed", counts)
    elif batch.received_at is None:
        state = Text(
            "handout.state.mailed",
            counts | {"courier": batch.courier, "tracking": batch.tracking},
        )
    else:
        state = Text("handout.state.received", counts)
    return Lines([head, state])


@dataclass(frozen=True)
class SealLine:
    """A school's term waiting for 验印."""

    school_id: int
    school_name: str
    term: str
    certificates: int


@dataclass(frozen=True)
class GradLine:
    """A school's sealed term with certificates to hand out; `held` are masked names."""

    school_id: int
    school_name: str
    term: str
    waiting: int
    held: Sequence[str]


def overview(
    batches: Sequence[HandoutBatch],
    evaluator: bool,
    seal: Sequence[SealLine] = (),
    grad: Sequence[GradLine] = (),
) -> Screen:
    """/handout: what this person mails, receives, seals or hands out, with buttons."""
    parts: list[Part] = []
    rows: list[list[Button]] = []
    for n, batch in enumerate(batches, 1):
        parts.append(_batch_line(n, batch))
        if evaluator and batch.courier is None:
            rows.append([Button(_numbered(n, "handout.button.mail"), MailBatch(batch.batch_id))])
        if not evaluator and batch.courier is not None and batch.received_at is None:
            rows.append(
                [Button(_numbered(n, "handout.button.receive"), ConfirmReceipt(batch.batch_id))]
            )
        if not evaluator and batch.received_at is not None and batch.handed < batch.issued:
            rows.append([Button(_numbered(n, "handout.button.open"), OpenHandout(batch.batch_id))])
    for n, line in enumerate(seal, 1):
        params = {"school": line.school_name, "term": line.term, "count": line.certificates}
        parts.append(Lines([Plain(f"{n}. "), Text("seal.line", params)], separator=""))
        rows.append([Button(_numbered(n, "seal.button"), SealTerm(line.school_id, int(line.term)))])
    for n, g in enumerate(grad, 1):
        params = {"school": g.school_name, "term": g.term, "count": g.waiting}
        parts.append(Lines([Plain(f"{n}. "), Text("handout.grad_line", params)], separator=""))
        if g.held:
            held = {"count": len(g.held), "who": "、".join(g.held)}
            parts.append(Text("handout.grad_held", held))
        if g.waiting:
            label = _numbered(n, "handout.button.grad")
            rows.append([Button(label, HandOutTerm(g.school_id, int(g.term)))])
    if not parts:
        return Screen(Text("handout.none"))
    return Screen(Lines([Text("handout.title"), *parts]), rows)


def _numbered(n: int, key: str) -> Part:
    return Lines([Plain(f"{n}. "), Text(key)], separator="")


def batch_page(batch: HandoutBatch, records: Sequence[HandoutRecord], page: int) -> Screen:
    """One page of a received batch: each certificate (ID masked) and its hand-out buttons."""
    pages = max(1, math.ceil(len(records) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = records[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    parts: list[Part] = [_title(batch), Plain("")]
    rows: list[list[Button]] = []
    for n, record in enumerate(shown, page * PAGE_SIZE + 1):
        parts.append(_record_line(n, record))
        if record.how is None:
            rows.append(
                [
                    Button(
                        _numbered(n, "handout.button.handed"),
                        HandOutRecord(batch.batch_id, record.record_id, page),
                    ),
                    Button(
                        _numbered(n, "handout.button.mail_on"),
                        MailOnRecord(batch.batch_id, record.record_id),
                    ),
                ]
            )
    left = sum(1 for r in records if r.how is None)
    if left:
        label = Lines([Text("handout.button.rest"), Plain(f"（{left}）")], separator="")
        rows.append([Button(label, HandOutRest(batch.batch_id))])
    nav = []
    if page > 0:
        nav.append(Button(Text("bot.button.prev"), OpenHandout(batch.batch_id, page - 1)))
    if page + 1 < pages:
        nav.append(Button(Text("bot.button.next"), OpenHandout(batch.batch_id, page + 1)))
    rows.append(nav)
    parts.append(Text("bot.batch.page", {"page": page + 1, "pages": pages}))
    return Screen(Lines(parts), rows)


def _title(batch: HandoutBatch) -> Part:
    counts = {"issued": batch.issued, "handed": batch.handed}
    head = Plain(f"{batch.program}（{batch.level}）\n{batch.plan}\n{batch.site_name}")
    return Lines([head, Text("handout.state.received", counts)])


def _record_line(n: int, record: HandoutRecord) -> Part:
    params = {"n": n, "name": record.name, "id": mask(record.id_number), "cert_no": record.cert_no}
    if record.how is None:
        return Text("handout.record.waiting", params)
    if record.tracking:
        return Text("handout.record.mailed_on", params | {"tracking": record.tracking})
    return Text("handout.record.handed", params)


def ask(key: str) -> Screen:
    """A question (courier and tracking number, a tracking number) with a 取消 button."""
    return Screen(Text(key), [[Button(Text("bot.button.cancel"), Cancel())]])
