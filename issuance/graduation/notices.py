"""Notices of the graduation workflow, appended in the transaction of the act they tell of (the
chat layer renders each in its reader's language): whose turn it is, a 退回 with its reason, an
approval, blanks to hand out."""

from __future__ import annotations

from typing import Protocol

from issuance.core.chain import Act
from issuance.core.graduates import GradRequest, Waiting
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Role
from issuance.core.ports import (
    DeclarationRepository,
    GraduateRepository,
    OutboxQueue,
    PeopleRepository,
)
from issuance.core.vocabulary import GradStatus, RequestKind


def subject(request: GradRequest | Waiting, count: int) -> dict[str, object]:
    """What names a request in a notice: kind, school, then term and graduates, or blank kind
    and count (`issuance.chat.graduation.described` writes it out)."""
    if request.blank_kind:
        return {
            "kind": request.kind,
            "school": request.school_name,
            "blank_kind": request.blank_kind,
            "count": request.blank_count,
        }
    return {
        "kind": request.kind,
        "school": request.school_name,
        "term": request.term or "",
        "count": count,
    }


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
    about = {"request": request_id, "round": await store.request_round(request_id)}
    params = {"what": subject(request, count), "role": role.value}
    for person in await store.people_of(org_id, (role,)):
        await store.append_notice(Notice(NoticeKind.GRAD_WAITING, person.id, about, params))


async def after_act(
    store: NoticePorts, request: GradRequest, act: Act, status: str, count: int, reason: str | None
) -> None:
    """Who hears of an act: the 经办人 of a 退回 and of the approval; the next party of its turn."""
    what = subject(request, count)
    clerks = await store.people_of(request.school_id, (Role.CLERK,))
    if act is Act.REFUSE:
        about = {"request": request.id, "round": await store.request_round(request.id)}
        params = {"what": what, "status": status, "reason": reason, "role": Role.CLERK.value}
        for clerk in clerks:
            await store.append_notice(Notice(NoticeKind.GRAD_RETURNED, clerk.id, about, params))
        return
    if status == GradStatus.APPROVED:
        kind = NoticeKind.GRAD_APPROVED_BLANKS if request.blank_kind else NoticeKind.GRAD_APPROVED
        # an approved declaration is numbered: the 经办人 can print it and its roster now
        term = request.term if request.kind == RequestKind.DECLARATION else None
        printed = {"school": request.school_id, "term": int(term)} if term else {}
        for clerk in clerks:
            await store.append_notice(Notice(kind, clerk.id, printed, {"what": what}))
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
    about = {"request": request.id, "round": 1}
    params = {"what": subject(request, count), "role": Role.DISTRIBUTOR.value}
    for dept in await store.departments():
        if dept.parent_id is None:
            for person in await store.people_of(dept.id, (Role.DISTRIBUTOR,)):
                notice = Notice(NoticeKind.GRAD_TO_ISSUE, person.id, about, params)
                await store.append_notice(notice)
