"""群发通知: an evaluation organization notifies every school of an exam plan's pending lists."""

from __future__ import annotations

from dataclasses import dataclass

from issuance.core.catalog import locale_for, t
from issuance.core.errors import Forbidden, NotFound
from issuance.core.people import Person
from issuance.xcert.service import Issuance, with_total
from issuance.xcert.statuses import EVALUATOR

CHANNEL = "telegram"


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands: sent, failed, not bound, blocked the bot, still going."""

    schools: int
    sent: int
    failed: int
    not_bound: list[str]
    blocked: list[str]
    waiting: int

    @property
    def finished(self) -> bool:
        return self.waiting == 0


def counts_line(counts: dict[str, int], locale: str) -> str:
    """全部 N · 培训评价组织待签发 n · …, the platform's counts line."""
    total = with_total(counts)
    return " · ".join(f"{t('bot.status.' + k, locale)} {v}" for k, v in total.items())


async def plans_for(issuance: Issuance, actor: Person) -> list[tuple[int, str, int]]:
    """The actor's exam plans with pending lists: (plan id, name, number of schools)."""
    if actor.party != EVALUATOR:
        raise Forbidden("broadcast.evaluator_only")
    return await issuance.store.issuer_plans(actor.org_id)


async def start(issuance: Issuance, actor: Person, plan_id: int) -> int:
    """Queue one notification per school of the plan; returns the broadcast id."""
    store = issuance.store
    plans = {p[0]: p for p in await plans_for(issuance, actor)}
    if plan_id not in plans:
        raise NotFound("plan.unknown", plan=plan_id)
    batches = await store.batches(issuer_id=actor.org_id, plan_id=plan_id)
    heads = await store.heads_of([b.site_id for b in batches])
    accounts = await store.people_accounts(list(heads.values()), CHANNEL)
    reachable = [b for b in batches if heads.get(b.site_id) in accounts]
    not_bound = [b.site_name for b in batches if b not in reachable]
    broadcast_id = await store.create_broadcast(plan_id, actor.id, len(batches), not_bound)
    rows = []
    for batch in reachable:
        locale = "zh"
        text = t(
            "bot.broadcast.notice",
            locale,
            issuer=batch.issuer_name,
            plan=batch.plan,
            program=batch.program,
            level=batch.level,
            counts=counts_line(batch.counts, locale),
        )
        button = {"text": t("bot.broadcast.open", locale), "callback_data": f"b:{batch.id}:0"}
        rows.append((heads[batch.site_id], "message", {"text": text, "buttons": [[button]]}))
    await store.enqueue_many(rows, broadcast_id)
    return broadcast_id


async def progress(issuance: Issuance, broadcast_id: int) -> Progress:
    store = issuance.store
    info = await store.broadcast(broadcast_id)
    if info is None:
        raise NotFound("broadcast.unknown")
    counts = await store.outbox_counts(broadcast_id)
    return Progress(
        schools=info.schools,
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        not_bound=info.not_bound,
        blocked=await store.outbox_people(broadcast_id, "unreachable"),
        waiting=counts.get("pending", 0) + counts.get("sending", 0),
    )


def progress_text(p: Progress, locale: str) -> str:
    key = "bot.broadcast.done" if p.finished else "bot.broadcast.progress"
    text = t(
        key,
        locale,
        schools=p.schools,
        sent=p.sent,
        failed=p.failed,
        not_bound=len(p.not_bound),
        blocked=len(p.blocked),
    )
    if p.finished and p.not_bound:
        text += "\n" + t("bot.broadcast.not_bound_list", locale, names="、".join(p.not_bound))
    if p.finished and p.blocked:
        text += "\n" + t("bot.broadcast.blocked_list", locale, names="、".join(p.blocked))
    return text


__all__ = [
    "CHANNEL",
    "Progress",
    "counts_line",
    "locale_for",
    "plans_for",
    "progress",
    "progress_text",
    "start",
]
