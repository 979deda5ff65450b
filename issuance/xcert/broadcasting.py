"""群发通知: an evaluation organization notifies every school of an exam plan's pending lists."""

from __future__ import annotations

from dataclasses import dataclass

from issuance.core.errors import Forbidden, NotFound
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Person
from issuance.core.vocabulary import Party
from issuance.xcert.service import Issuance


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands: sent, failed, not bound, blocked the bot, still going."""

    id: int
    schools: int
    sent: int
    failed: int
    not_bound: list[str]
    blocked: list[str]
    waiting: int

    @property
    def finished(self) -> bool:
        return self.waiting == 0


async def plans_for(issuance: Issuance, actor: Person) -> list[tuple[int, str, int]]:
    """The actor's exam plans with pending lists: (plan id, name, number of schools)."""
    if actor.party != Party.EVALUATOR:
        raise Forbidden("broadcast.evaluator_only")
    return await issuance.store.issuer_plans(actor.org_id)


async def start(issuance: Issuance, actor: Person, plan_id: int) -> Progress:
    """Queue one notice per school of the plan, each in its head's language; where it stands."""
    store = issuance.store
    plans = {p[0]: p for p in await plans_for(issuance, actor)}
    if plan_id not in plans:
        raise NotFound("plan.unknown", plan=plan_id)
    batches = await store.batches(issuer_id=actor.org_id, plan_id=plan_id)
    heads = await store.heads_of([b.site_id for b in batches])
    bound = set(await store.chat_accounts(list(heads.values())))
    sent = [b for b in batches if heads.get(b.site_id) in bound]
    not_bound = [b.site_name for b in batches if b not in sent]
    notices = [
        Notice(
            NoticeKind.BROADCAST,
            heads[batch.site_id],
            {"batch": batch.id},
            {
                "issuer": batch.issuer_name,
                "plan": batch.plan,
                "program": batch.program,
                "level": batch.level,
                "counts": dict(batch.counts),
            },
        )
        for batch in sent
    ]
    async with store.transaction():
        broadcast_id = await store.create_broadcast(plan_id, actor.id, len(batches), not_bound)
        await store.append_notices(notices, broadcast_id)
    return await progress(issuance, broadcast_id)


async def show_progress(issuance: Issuance, broadcast_id: int, chat: str, message: int) -> None:
    """The chat message that shows the broadcast's progress, kept current by the sender."""
    await issuance.store.set_broadcast_progress(broadcast_id, chat, message)


async def progress(issuance: Issuance, broadcast_id: int) -> Progress:
    store = issuance.store
    info = await store.broadcast(broadcast_id)
    if info is None:
        raise NotFound("broadcast.unknown")
    counts = await store.outbox_counts(broadcast_id)
    return Progress(
        id=broadcast_id,
        schools=info.schools,
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        not_bound=info.not_bound,
        blocked=await store.outbox_people(broadcast_id, "unreachable"),
        waiting=counts.get("pending", 0) + counts.get("sending", 0),
    )
