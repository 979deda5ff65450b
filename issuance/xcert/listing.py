"""生成待签发名单 from a chat: the evaluator's own exam plans with passed results not yet listed."""

from __future__ import annotations

from issuance.core.errors import Forbidden, NotFound
from issuance.core.people import Person
from issuance.core.vocabulary import Party
from issuance.xcert.service import BatchCreated, Issuance


def _check_evaluator(actor: Person) -> None:
    if actor.party != Party.EVALUATOR:
        raise Forbidden("listing.evaluator_only")


async def plans_to_list(issuance: Issuance, actor: Person) -> list[tuple[int, str, int]]:
    """(plan id, name, passed results not yet listed) of the plans the actor's organization
    issues certificates for."""
    _check_evaluator(actor)
    return await issuance.store.plans_with_unlisted(actor.org_id)


async def create_for(issuance: Issuance, actor: Person, plan_id: int) -> list[BatchCreated]:
    """Generate the plan's pending lists, if the actor's organization issues its certificates."""
    _check_evaluator(actor)
    plan = await issuance.store.plan(str(plan_id))
    if plan is None or plan.id != plan_id or plan.issuer_id != actor.org_id:
        raise NotFound("plan.unknown", plan=plan_id)
    return await issuance.create_lists(plan.name)
