"""Graduation use cases: declare, review and approve (or return, re-declare), numbers, counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from issuance.core.audit import AuditEntry
from issuance.core.chain import Act, Chain
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound
from issuance.core.graduate_fields import FieldInvalid, check_dates, checked_field
from issuance.core.graduates import GradItem, GradOrg, GradRequest, Graduate, ItemChange, Waiting
from issuance.core.idcard import mask, mask_ref
from issuance.core.people import OrgKind, Person, Role
from issuance.core.ports import (
    AuditLog,
    DeclarationRepository,
    GraduateRepository,
    HandoutRepository,
    OutboxQueue,
    PeopleRepository,
    ResultRepository,
    StockRepository,
)
from issuance.core.settings import Settings
from issuance.core.text import checked_text
from issuance.core.vocabulary import ClassLevel, GradStatus, RequestKind, SchoolLevel
from issuance.graduation import notices
from issuance.graduation.chains import (
    PENDING,
    RETURNED,
    STATUSES,
    Department,
    advance,
    graduation_chain,
    party,
    route,
    waiting_org,
)
from issuance.graduation.holds import HELD
from issuance.graduation.numbers import GraduationNumbers, NumberParts, parse_mapping
from issuance.graduation.printable import PRINTED_FIELDS, check_printable
from issuance.store.graduation import (
    UNDECLARED,
    VOIDED,
)

ALL = "全部"
# What `grad export --status` filters by: a declaration's status, 作废, or 未申报.
STATUS_FILTERS = (*STATUSES, VOIDED, UNDECLARED)
MAX_REASON = 500
_ACT_ROLES: dict[str, Role] = {
    GradStatus.PENDING_REVIEW: Role.LEADER,
    GradStatus.PENDING_APPROVAL: Role.APPROVER,
}
_ACTION: dict[str, str] = {RequestKind.AMENDMENT: "amend", RequestKind.REPRINT: "reprint"}
# What 毕业证修改 may change: not the parts the number is made of (school, level, year, major).
AMENDABLE = ("name", "id_number", "enrolled", "years", "study_mode", "major")


class GraduationPorts(
    DeclarationRepository,
    GraduateRepository,
    StockRepository,
    HandoutRepository,
    PeopleRepository,
    ResultRepository,
    OutboxQueue,
    AuditLog,
    Protocol,
):
    """What the graduation use cases reach through `Graduation.store`: declarations and their
    graduates, blanks, sealing and hand-out, people, number counters, the outbox, the audit log."""


@dataclass(frozen=True)
class ActDone:
    """What one act did: how many items moved, to which status, and numbers allocated."""

    request_id: int
    items: int
    status: str
    numbered: int


def term_of(raw: str) -> str:
    """A YYYYMM term, or Invalid."""
    value = raw.strip()
    if len(value) != 6 or not value.isdigit() or not 1 <= int(value[4:]) <= 12:
        raise Invalid("grad.term", term=raw)
    return value


def numbers_from(settings: Settings) -> GraduationNumbers:
    return GraduationNumbers(
        settings.graduation_number_pattern,
        parse_mapping(settings.graduation_school_level_digits, tuple(SchoolLevel), "school_level"),
        parse_mapping(
            settings.graduation_class_level_digits,
            tuple(ClassLevel),
            "class_level",
        ),
    )


class Graduation:
    """The graduation use cases over one store."""

    def __init__(self, store: GraduationPorts, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.numbers = numbers_from(settings)

    # Organizations and people

    async def school(self, code: str) -> GradOrg:
        org = (await self.store.grad_orgs_by_code([code])).get(code)
        if org is None or org.kind != OrgKind.TECH_SCHOOL:
            raise NotFound("grad.school_unknown", code=code)
        return org

    async def person(self, ref: str) -> Person:
        person = await self.store.person_by_ref(ref)
        if person is None:
            raise NotFound("person.unknown", ref=ref)
        return person

    async def approvers_of(self, school: GradOrg) -> tuple[int, ...]:
        departments = {
            d.id: Department(d.id, d.parent_id, bool(d.final))
            for d in await self.store.departments()
        }
        return route(school.parent_id, departments)

    async def clerk_of(self, school: GradOrg, ref: str | None) -> Person:
        """The 经办人 who declares: the one named, else the school's first."""
        if ref:
            person = await self.person(ref)
        else:
            clerks = await self.store.people_of(school.id, (Role.CLERK,))
            if not clerks:
                raise Conflict("grad.no_clerk", school=school.name)
            person = clerks[0]
        if person.role != Role.CLERK or person.org_id != school.id:
            raise Forbidden("grad.not_clerk", school=school.name)
        return person

    # 申报

    async def declare(self, school_code: str, term: str, by: str | None = None) -> tuple[int, int]:
        """毕业证申报 of the school's graduates of `term` not yet declared: (request id, count)."""
        school = await self.school(school_code)
        term = term_of(term)
        clerk = await self.clerk_of(school, by)
        approvers = await self.approvers_of(school)
        async with self.store.transaction():
            graduates = await self.store.undeclared_graduates(school.id, term)
            if not graduates:
                raise Conflict("grad.nothing_to_declare", school=school.name, term=term)
            request_id = await self.store.create_request(
                RequestKind.DECLARATION,
                school.id,
                approvers,
                clerk.id,
                graduates,
                self._audit(clerk, "grad.declare", f"school:{school.code}:{term}"),
                term=term,
            )
            await notices.waiting(self.store, request_id, school.id)
        return request_id, len(graduates)

    async def request_blanks(self, school_code: str, kind: str, count: int, by: str | None) -> int:
        """空白毕业证申报: a kind (the school's level) and a count, through the same chain."""
        school = await self.school(school_code)
        if kind not in tuple(SchoolLevel):
            raise Invalid("grad.blank_kind", allowed=" | ".join(SchoolLevel))
        if kind != school.level:
            raise Invalid("grad.blank_kind_school", kind=school.level)
        if not 0 < count <= 100_000:
            raise Invalid("grad.blank_count")
        clerk = await self.clerk_of(school, by)
        approvers = await self.approvers_of(school)
        async with self.store.transaction():
            request_id = await self.store.create_request(
                RequestKind.BLANK_REQUEST,
                school.id,
                approvers,
                clerk.id,
                [None],
                self._audit(clerk, "grad.blank_request", f"school:{school.code}:{kind}:{count}"),
                blank_kind=kind,
                blank_count=count,
            )
            await notices.waiting(self.store, request_id, school.id)
        return request_id

    async def amend(self, ref: str, changes: dict[str, str], by: str | None) -> int:
        """毕业证修改 of an approved graduate's data (not the parts its number is made of)."""
        graduate = await self._numbered(ref)
        unknown = set(changes) - set(AMENDABLE)
        if not changes or unknown:
            raise Invalid("grad.amend_fields", fields=", ".join(AMENDABLE))
        checked = {field: checked_field(field, value) for field, value in changes.items()}
        for field in set(checked) & set(PRINTED_FIELDS):
            try:
                check_printable(field, checked[field])
            except Invalid as why:
                raise FieldInvalid(field, why) from None
        after = {key: checked.get(key, getattr(graduate, key)) for key in ("id_number", "enrolled")}
        try:
            check_dates(after["id_number"], after["enrolled"], graduate.graduated)
        except Invalid as why:
            raise FieldInvalid("enrolled" if "enrolled" in checked else "id_number", why) from None
        await self._id_number_free(graduate, checked)
        return await self._single(
            RequestKind.AMENDMENT, graduate, by, json.dumps(checked, ensure_ascii=False)
        )

    async def _id_number_free(self, graduate: Graduate, changes: dict[str, Any]) -> None:
        """A new ID number must not be another graduate's of the same term."""
        number = changes.get("id_number")
        if number is None or number == graduate.id_number:
            return
        taken = await self.store.graduates_by_id_number([number])
        if (number, graduate.graduated) in taken:
            raise Conflict("grad.amend_id_taken", id=mask(number))

    async def reprint(self, ref: str, by: str | None) -> int:
        """毕业证重打 of an approved graduate's certificate; the number stays."""
        return await self._single(RequestKind.REPRINT, await self._numbered(ref), by, None)

    async def _numbered(self, ref: str) -> Graduate:
        graduate = await self.store.graduate_by_ref(ref.strip())
        if graduate is None:
            raise NotFound("grad.graduate_unknown", ref=mask_ref(ref))
        if graduate.cert_no is None:
            raise Conflict("grad.not_numbered")
        return graduate

    async def _single(
        self, kind: str, graduate: Graduate, by: str | None, changes: str | None
    ) -> int:
        school = await self.store.grad_org(graduate.school_id)
        assert school is not None
        clerk = await self.clerk_of(school, by)
        approvers = await self.approvers_of(school)
        async with self.store.transaction():
            request_id = await self.store.create_request(
                kind,
                school.id,
                approvers,
                clerk.id,
                [graduate.id],
                self._audit(clerk, f"grad.{_ACTION[kind]}", f"graduate:{graduate.id}"),
                changes=changes,
            )
            await notices.waiting(self.store, request_id, school.id)
        return request_id

    async def may_print_again(self, graduate_id: int) -> bool:
        """Whether a printed graduate has an approved 毕业证重打 or 毕业证修改 since printing."""
        return await self.store.approved_since_print(
            graduate_id, (RequestKind.AMENDMENT, RequestKind.REPRINT)
        )

    # 审核 / 审批 / 退回 / 重新申报

    async def request_for(self, actor: Person, request_id: int) -> GradRequest:
        """The request, if the actor's organization takes part in it."""
        request = await self.store.grad_request(request_id)
        if request is None or actor.org_id not in (request.school_id, *request.approvers):
            raise NotFound("grad.request_unknown")
        return request

    async def act(
        self,
        actor: Person,
        request_id: int,
        act: Act,
        *,
        reason: str | None = None,
        item_ids: Sequence[int] | None = None,
        round_seen: int | None = None,
    ) -> ActDone:
        """审核通过/审批通过, 退回 (with a reason) or 重新申报, in one act on every item of the
        request waiting for the actor, or on the selected ones."""
        if act is Act.REFUSE:
            reason = _reason(reason)
        async with self.store.transaction():
            request = await self.request_for(actor, request_id)
            chain = graduation_chain(request.school_id, request.approvers)
            who = party(actor.role, actor.org_id)
            items = await self._items_for(actor, request, chain, act, item_ids, round_seen)
            changes = _changes(request, chain, items, act, who)
            approved = [
                item.graduate_id
                for item, change in zip(items, changes, strict=True)
                if change.status == GradStatus.APPROVED and item.graduate_id is not None
            ]
            numbers = (
                await self._allocate(request, approved)
                if request.kind == RequestKind.DECLARATION
                else []
            )
            if request.kind == RequestKind.AMENDMENT and approved:
                assert request.changes is not None
                amended = json.loads(request.changes)
                # another graduate may have been imported with the new ID number meanwhile
                graduate = await self.store.graduate(approved[0])
                assert graduate is not None
                await self._id_number_free(graduate, amended)
                await self.store.amend_graduate(approved[0], amended, request.id)
            entry = self._audit(
                actor, f"grad.{act.value}", f"request:{request.id}:items:{len(items)}", reason
            )
            await self.store.apply_grad_acts(changes, act.value, actor.id, reason, entry, numbers)
            # numbered or amended: the rows as this act left them, for `audit verify`
            await self.store.seal_final("graduate", approved)
            status = changes[0].status
            # told in the act's transaction: no act without its notices, and no notice without it
            await notices.after_act(self.store, request, act, status, len(changes), reason)
        return ActDone(request.id, len(changes), status, len(numbers))

    async def _items_for(
        self,
        actor: Person,
        request: GradRequest,
        chain: Chain,
        act: Act,
        item_ids: Sequence[int] | None,
        round_seen: int | None,
    ) -> list[GradItem]:
        """The items the act applies to; a stale or foreign selection changes nothing."""
        all_items = await self.store.grad_items(request.id, item_ids)
        if item_ids is not None and len(all_items) != len(set(item_ids)):
            raise NotFound("grad.items_unknown")
        if act is Act.RESUBMIT:
            if actor.role != Role.CLERK or actor.org_id != request.school_id:
                raise Forbidden("grad.not_clerk", school=request.school_name)
            items = [i for i in all_items if i.status in RETURNED]
        else:
            items = [
                i
                for i in all_items
                if i.status in PENDING
                and _ACT_ROLES[i.status] == actor.role
                and waiting_org(request.school_id, request.approvers, i.status, i.stage)
                == actor.org_id
            ]
        if item_ids is not None and len(items) != len(all_items):
            raise Conflict("grad.changed_meanwhile")
        if not items:
            raise Conflict("grad.nothing_waiting")
        if round_seen is not None and any(i.round != round_seen for i in items):
            raise Conflict("grad.changed_meanwhile")
        return items

    async def _allocate(
        self, request: GradRequest, graduate_ids: list[int]
    ) -> list[tuple[int, str]]:
        """Numbers for the graduates just finally approved: per school and year, never reused."""
        if not graduate_ids:
            return []
        school = await self.store.grad_org(request.school_id)
        assert school is not None and school.level and school.school_seq
        region = int((school.region or "00")[:2])
        rows = await self.store.numbering_rows(graduate_ids)
        by_year: dict[int, list[dict[str, str]]] = {}
        for row in rows:
            by_year.setdefault(int(row.graduated[:4]), []).append(asdict(row))
        numbers = []
        for year, graduates in sorted(by_year.items()):
            first = await self.store.allocate_numbers(f"grad:{school.id}:{year}", len(graduates))
            for offset, g in enumerate(graduates):
                parts = NumberParts(
                    region,
                    int(school.school_seq),
                    school.level,
                    year,
                    g["class_level"],
                    int(g["major_code"]),
                    first + offset,
                )
                numbers.append((int(g["id"]), self.numbers.format(parts)))
        return numbers

    # Reading

    async def waiting_for(self, actor: Person) -> list[Waiting]:
        """What waits for the person: to review, to approve, returned to them to fix, or (for the
        province's 发放员) approved blank requests to hand out."""
        if actor.role == Role.LEADER:
            return await self.store.waiting_for(actor.org_id, (GradStatus.PENDING_REVIEW,))
        if actor.role == Role.APPROVER:
            return await self.store.waiting_for(actor.org_id, (GradStatus.PENDING_APPROVAL,))
        if actor.role == Role.CLERK:
            return await self.store.returned_to(actor.org_id)
        if actor.role == Role.DISTRIBUTOR:
            return await self.store.blank_requests_to_issue()
        return []

    async def counts(self, school_code: str | None, term: str | None) -> dict[str, int]:
        """全部 and each status, with graduates not yet declared as 未申报."""
        school_id = (await self.school(school_code)).id if school_code else None
        raw = await self.store.graduate_counts(school_id, term_of(term) if term else None)
        result = {ALL: sum(raw.values())}
        result.update({status: raw.get(status, 0) for status in (*STATUSES, VOIDED)})
        result[UNDECLARED] = raw.get(None, 0)  # type: ignore[call-overload]
        result[HELD] = len(await self.store.held_ids(school_id, term_of(term) if term else None))
        return result

    async def listing(self, school_code: str | None, term: str | None) -> list[dict[str, object]]:
        school_id = (await self.school(school_code)).id if school_code else None
        rows = await self.store.graduates_listed(school_id, term_of(term) if term else None)
        held = await self.store.held_ids(school_id, term_of(term) if term else None)
        return [
            {
                "name": g.name,
                "id_number_masked": mask(g.id_number),
                "status": g.status or UNDECLARED,
                "cert_no": g.cert_no,
                "serial": g.serial,
                "class_level": g.class_level,
                "major": g.major,
                "held": g.id in held,
            }
            for g in rows
        ]

    def explain(self, number: str) -> NumberParts:
        return self.numbers.explain(number)

    async def history(self, request_id: int) -> list[dict[str, object]]:
        """The request's submission (act `declare`), then every act on it."""
        opened = await self.store.grad_request_opened(request_id)
        if opened is None:
            raise NotFound("grad.request_unknown")
        first: dict[str, object] = {
            "round": 1,
            "stage": None,
            "act": "declare",
            "reason": None,
            "at": opened["at"],
            "person": opened["person"],
            "items": opened["items"],
            "kind": opened["kind"],
        }
        return [first, *(asdict(row) for row in await self.store.grad_acts(request_id))]

    def _audit(
        self, actor: Person, action: str, subject: str, reason: str | None = None
    ) -> AuditEntry:
        return AuditEntry(self.store.now_iso(), f"person:{actor.id}", action, subject, reason)


def _reason(reason: str | None) -> str:
    text = checked_text(reason or "", MAX_REASON, "grad.reason_bad_text", "grad.reason_too_long")
    if not text:
        raise Invalid("grad.reason_required")
    return text


__all__ = ["ALL", "ActDone", "Graduation", "term_of"]


def _changes(
    request: GradRequest, chain: Chain, items: Sequence[GradItem], act: Act, who: str
) -> list[ItemChange]:
    """How each item moves: items of one request move alike, each (status, stage) worked out
    once."""
    moves: dict[tuple[str, int], tuple[str, int]] = {}
    changes = []
    for item in items:
        key = (item.status, item.stage)
        if key not in moves:
            moves[key] = advance(chain, item.stage, item.status, act, who)
        status, stage = moves[key]
        changes.append(
            ItemChange(
                item.id,
                item.version,
                status,
                stage,
                waiting_org(request.school_id, request.approvers, status, stage),
                item.round + 1 if act is Act.RESUBMIT else item.round,
                item.stage,
            )
        )
    return changes
