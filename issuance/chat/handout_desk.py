"""What a chat does with hand-out work, for every channel: the /handout overview and the answer
to each tap or typed answer (the core re-checks who acts and the state every time)."""

from __future__ import annotations

from typing import Any

from issuance.chat.handout import (
    MAIL,
    MAIL_ON,
    GradLine,
    SealLine,
    ask,
    batch_page,
    overview,
)
from issuance.chat.screens import Lines, Part, Screen, Text
from issuance.chat.session import Session
from issuance.core.errors import Forbidden, Invalid, NotFound
from issuance.core.idcard import mask
from issuance.core.people import SCHOOL_ROLES, OrgKind, Person
from issuance.core.vocabulary import Delivery
from issuance.graduation.sealing import Sealing, SealRefused
from issuance.graduation.service import Graduation
from issuance.xcert.handout import Handout


async def handout_overview(grad: Graduation, actor: Person) -> Screen:
    """/handout of anybody: batches to mail or receive or hand out, terms to seal or hand out."""
    sealing = Sealing(grad)
    if actor.org_kind == OrgKind.EVALUATOR:
        return overview(await grad.store.handout_batches(issuer_id=actor.org_id), evaluator=True)
    if actor.org_kind == OrgKind.SCHOOL and actor.role in SCHOOL_ROLES:
        batches = await grad.store.handout_batches(site_id=actor.org_id)
        return overview([b for b in batches if b.courier is not None], evaluator=False)
    seal = [
        SealLine(s.school_id, s.school_name, s.term, s.certificates)
        for s in await sealing.terms_to_seal(actor)
    ]
    lines = [
        GradLine(
            g.school_id,
            g.school_name,
            g.term,
            g.waiting,
            [f"{h.name} {mask(h.id_number)}" for h in g.held],
        )
        for g in await sealing.terms_to_hand_out(actor)
    ]
    return overview([], evaluator=False, seal=seal, grad=lines)


async def mail(handout: Handout, actor: Person, batch_id: int, answer: str) -> Screen:
    """The evaluator typed "快递公司 运单号": book the batch as mailed."""
    courier, _, tracking = answer.strip().rpartition(" ")
    if not courier.strip():
        raise Invalid("handout.mail_answer")
    mailing = await handout.mail(actor, batch_id, courier, tracking)
    params = {"courier": mailing.courier, "tracking": mailing.tracking}
    return Screen(Text("handout.mailed", params))


async def check_mailable(handout: Handout, actor: Person, batch_id: int) -> None:
    """Before asking for courier and tracking: the actor's organization issues the batch."""
    batch = await handout.batch_for(actor, batch_id)
    if actor.org_kind != OrgKind.EVALUATOR or batch.issuer_id != actor.org_id:
        raise Forbidden("handout.not_evaluator")


async def receive(handout: Handout, actor: Person, batch_id: int) -> Screen:
    """确认收到, then the batch's first page to hand out from."""
    await handout.receive(actor, batch_id)
    return await page(handout, actor, batch_id, 0, Text("handout.received"))


async def page(
    handout: Handout, actor: Person, batch_id: int, number: int, head: Part | None = None
) -> Screen:
    """A page of the batch's certificates, for its school."""
    batch = await handout.batch_for(actor, batch_id)
    if actor.org_id != batch.site_id:
        raise Forbidden("handout.not_school")
    screen = batch_page(batch, await handout.records(actor, batch_id), number)
    if head is None:
        return screen
    return Screen(Lines([head, screen.body]), screen.rows)


async def hand_out(
    handout: Handout,
    actor: Person,
    batch_id: int,
    record_ids: list[int],
    tracking: str | None = None,
    number: int = 0,
) -> Screen:
    """已发放 / 已转寄 / 其余全部已发放, then the page again."""
    done = await handout.hand_out(actor, batch_id, record_ids, tracking)
    key = "handout.done_handed" if done.how == Delivery.HANDED else "handout.done_mailed_on"
    head = Text(key, {"count": len(done.records), "left": done.left})
    return await page(handout, actor, batch_id, number, head)


async def check_record(handout: Handout, actor: Person, batch_id: int, record_id: int) -> None:
    """Before asking for a tracking number: the record is the school's, not handed out yet."""
    records = await handout.records(actor, batch_id)
    batch = await handout.batch_for(actor, batch_id)
    if actor.org_id != batch.site_id:
        raise Forbidden("handout.not_school")
    if record_id not in {r.record_id for r in records if r.how is None}:
        raise NotFound("handout.record_unknown")


async def seal(grad: Graduation, actor: Person, school_id: int, term: int) -> Screen:
    """验印 from a tap: the same check as the command line; the disagreements, one a line, in a
    message of their own (too long for an alert)."""
    school = await grad.store.grad_org(school_id)
    if school is None:
        raise NotFound("grad.school_unknown", code=school_id)
    try:
        sealed = await Sealing(grad).seal(actor, school.code, str(term))
    except SealRefused as refused:
        return Screen(Lines([Text(refused.key, refused.params), *refused.found]))
    params = {"school": sealed.school, "term": sealed.term, "count": len(sealed.serials)}
    return Screen(Text("seal.done", params))


async def hand_out_term(grad: Graduation, actor: Person, school_id: int, term: int) -> Screen:
    """发放 of a sealed term by its 经办人: every certificate not held; the held ones named."""
    school = await grad.store.grad_org(school_id)
    if school is None:
        raise NotFound("grad.school_unknown", code=school_id)
    done = await Sealing(grad).hand_out(actor, school.code, str(term))
    params = {"school": done.school, "term": done.term, "count": len(done.handed)}
    parts: list[Part] = [Text("handout.grad_done", params)]
    if done.held:
        who = "、".join(f"{g.name} {mask(g.id_number)}" for g in done.held)
        parts.append(Text("handout.grad_held", {"count": len(done.held), "who": who}))
    return Screen(Lines(parts))


async def ask_mailing(session: Session, batch_id: int) -> Screen:
    """邮寄 tapped: courier and tracking number are the evaluator's next message."""
    await check_mailable(session.handout, await session.need_actor(), batch_id)
    await session.conversation.expect(MAIL, batch=batch_id)
    return ask("handout.mail_ask")


async def mailing_given(session: Session, data: dict[str, Any], answer: str) -> Screen:
    """The evaluator sent "快递公司 运单号": book the batch as mailed."""
    return await mail(session.handout, await session.need_actor(), data["batch"], answer)


async def ask_tracking(session: Session, batch_id: int, record_id: int) -> Screen:
    """已转寄 tapped: the tracking number of the parcel to the student is the next message."""
    await check_record(session.handout, await session.need_actor(), batch_id, record_id)
    await session.conversation.expect(MAIL_ON, batch=batch_id, record=record_id)
    return ask("handout.tracking_ask")


async def tracking_given(session: Session, data: dict[str, Any], answer: str) -> Screen:
    """The school sent the tracking number of a certificate mailed on to its student."""
    actor = await session.need_actor()
    return await hand_out(session.handout, actor, data["batch"], [data["record"]], tracking=answer)
