"""Graduation notifications queued for chat delivery (the outbox), texts from the catalog."""

from __future__ import annotations

from typing import Any

from issuance.core.catalog import locale_for, t
from issuance.core.chain import Act
from issuance.graduation.actions import GradAction
from issuance.graduation.chains import (
    APPROVED,
    APPROVER,
    CLERK,
    DISTRIBUTOR,
    LEADER,
    PENDING_REVIEW,
)
from issuance.store import Store
from issuance.store.graduation import GradRequest, Waiting

CHANNEL = "telegram"


def describe(item: GradRequest | Waiting, count: int, locale: str) -> str:
    """One line naming a request: kind, school, term or blank kind and count, graduates."""
    school = item.school_name
    if item.blank_kind:
        return t(
            "grad.describe.blanks",
            locale,
            kind=item.kind,
            school=school,
            blank_kind=item.blank_kind,
            count=item.blank_count,
        )
    return t(
        "grad.describe", locale, kind=item.kind, school=school, term=item.term or "", count=count
    )


def buttons(request_id: int, round_: int, verbs: tuple[str, ...], locale: str) -> list[Any]:
    """One row of buttons for the request, labels from the catalog."""
    return [
        [
            {
                "text": t(f"grad.button.{verb}", locale),
                "callback_data": GradAction(verb, request_id, round_).pack(),
            }
            for verb in verbs
        ]
    ]


async def _tell(store: Store, roles: tuple[str, ...], org_id: int, body: Any) -> None:
    for person in await store.people_of(org_id, roles):
        locale = locale_for(await store.language_of(person.id, CHANNEL))
        text, rows = body(locale)
        await store.enqueue(person.id, "message", {"text": text, "buttons": rows})


async def waiting(store: Store, request_id: int, org_id: int) -> None:
    """Tell the people of `org_id` whose turn it is that the request waits for them."""
    request = await store.grad_request(request_id)
    if request is None:
        return
    counts = await store.request_counts(request_id)
    round_ = await store.request_round(request_id)
    role = LEADER if org_id == request.school_id else APPROVER
    status_count = sum(counts.values())
    verbs = ("review" if role == LEADER else "approve", "return")

    def body(locale: str) -> tuple[str, list[Any]]:
        line = describe(request, status_count, locale)
        return t("grad.notice.waiting", locale, what=line), buttons(
            request_id, round_, verbs, locale
        )

    await _tell(store, (role,), org_id, body)


async def after_act(
    store: Store, request: GradRequest, act: Act, status: str, count: int, reason: str | None
) -> None:
    """Who hears of an act: the 经办人 of a 退回 and of the approval; the next party of its turn."""
    if act is Act.REFUSE:
        round_ = await store.request_round(request.id)

        def returned(locale: str) -> tuple[str, list[Any]]:
            text = t(
                "grad.notice.returned",
                locale,
                what=describe(request, count, locale),
                status=status,
                reason=reason,
            )
            return text, buttons(request.id, round_, ("resubmit",), locale)

        await _tell(store, (CLERK,), request.school_id, returned)
        return
    if status == APPROVED:

        def approved(locale: str) -> tuple[str, list[Any]]:
            key = "grad.notice.approved_blanks" if request.blank_kind else "grad.notice.approved"
            return t(key, locale, what=describe(request, count, locale)), []

        await _tell(store, (CLERK,), request.school_id, approved)
        if request.blank_kind:
            await _tell_distributors(store, request, count)
        return
    counts = await store.request_counts(request.id)
    if status == PENDING_REVIEW:
        await waiting(store, request.id, request.school_id)
    elif counts:
        stage_orgs = await store.waiting_orgs(request.id)
        for org_id in stage_orgs:
            await waiting(store, request.id, org_id)


async def _tell_distributors(store: Store, request: GradRequest, count: int) -> None:
    """The province's 发放员 hear of an approved blank request, with a button to hand it out."""

    def body(locale: str) -> tuple[str, list[Any]]:
        text = t("grad.notice.to_issue", locale, what=describe(request, count, locale))
        return text, buttons(request.id, 1, ("issue",), locale)

    for dept in await store.departments():
        if dept.parent_id is None:
            await _tell(store, (DISTRIBUTOR,), dept.id, body)
