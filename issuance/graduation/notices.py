"""Notices of the graduation workflow, through the one way to notify (each in its reader's
language): whose turn it is, a 退回 with its reason, an approval, blanks to hand out."""

from __future__ import annotations

from typing import Protocol

from issuance.chat.gradchat import print_buttons
from issuance.chat.graduation import buttons, describe
from issuance.chat.notify import notify
from issuance.core.chain import Act
from issuance.core.graduates import GradRequest
from issuance.core.people import Role
from issuance.core.ports import (
    DeclarationRepository,
    GraduateRepository,
    OutboxQueue,
    PeopleRepository,
)
from issuance.core.vocabulary import GradStatus, RequestKind


class NoticePorts(
    DeclarationRepository, GraduateRepository, PeopleRepository, OutboxQueue, Protocol
):
    """Requests and their waiting organizations, the departments, who to tell, the outbox."""


async def waiting(store: NoticePorts, request_id: int, org_id: int) -> None:
    """Tell the people of `org_id` whose turn it is that the request waits for them."""
    request = await store.grad_request(request_id)
    if request is None:
        return
    role = Role.LEADER if org_id == request.school_id else Role.APPROVER
    count = sum((await store.request_counts(request_id)).values())
    rows = [buttons(request_id, await store.request_round(request_id), role)]
    what = describe(request, count)
    for person in await store.people_of(org_id, (role,)):
        await notify(store, person.id, "grad.notice.waiting", {"what": what}, rows)


async def after_act(
    store: NoticePorts, request: GradRequest, act: Act, status: str, count: int, reason: str | None
) -> None:
    """Who hears of an act: the 经办人 of a 退回 and of the approval; the next party of its turn."""
    what = describe(request, count)
    clerks = await store.people_of(request.school_id, (Role.CLERK,))
    if act is Act.REFUSE:
        rows = [buttons(request.id, await store.request_round(request.id), Role.CLERK)]
        params = {"what": what, "status": status, "reason": reason}
        for clerk in clerks:
            await notify(store, clerk.id, "grad.notice.returned", params, rows)
        return
    if status == GradStatus.APPROVED:
        key = "grad.notice.approved_blanks" if request.blank_kind else "grad.notice.approved"
        # an approved declaration is numbered: the 经办人 can print it and its roster now
        term = request.term if request.kind == RequestKind.DECLARATION else None
        rows = [print_buttons(request.school_id, term)] if term else []
        for clerk in clerks:
            await notify(store, clerk.id, key, {"what": what}, rows)
        if request.blank_kind:
            await _to_distributors(store, request, count)
        return
    if status == GradStatus.PENDING_REVIEW:
        await waiting(store, request.id, request.school_id)
        return
    for org_id in await store.waiting_orgs(request.id):
        await waiting(store, request.id, org_id)


async def _to_distributors(store: NoticePorts, request: GradRequest, count: int) -> None:
    """The province's 发放员 hear of an approved blank request, with a button to hand it out."""
    rows = [buttons(request.id, 1, Role.DISTRIBUTOR)]
    for dept in await store.departments():
        if dept.parent_id is None:
            for person in await store.people_of(dept.id, (Role.DISTRIBUTOR,)):
                await notify(
                    store,
                    person.id,
                    "grad.notice.to_issue",
                    {"what": describe(request, count)},
                    rows,
                )
