"""验印 and hand-out (发放) of graduation certificates.

The sealing department (the last 审批 department of the school's route: Fuzhou and Xiamen seal
their own schools, the province the others) checks that the roster, the certificate numbers and
the printed serials agree before it seals; the school's 经办人 hands sealed certificates out,
never one that is held (暂缓发放: no qualification recorded yet).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from issuance.core.audit import AuditEntry
from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import Conflict, Forbidden, NotFound, refusing
from issuance.core.graduates import GradOrg, PrintedBlank, RosterGraduate
from issuance.core.idcard import mask, parse_id_number
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Person, Role
from issuance.core.settings import Settings
from issuance.core.vocabulary import BlankState
from issuance.graduation.service import Graduation, GraduationPorts, term_of


@dataclass(frozen=True)
class Disagreement:
    """One way the roster, the numbers and the printed serials disagree: a catalog text."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        return t(self.key, locale, **self.params)


def disagreements(
    school_id: int, roster: Sequence[RosterGraduate], blanks: Sequence[PrintedBlank]
) -> list[Disagreement]:
    """Everything that keeps the school's term from being sealed (none: all agree)."""
    found: list[Disagreement] = []
    on_roster = {g.id: g for g in roster}
    for cert_no, n in sorted(Counter(g.cert_no for g in roster).items()):
        if n > 1:
            found.append(Disagreement("seal.number_twice", {"cert_no": cert_no, "count": n}))
    printed: dict[int, list[PrintedBlank]] = defaultdict(list)
    for blank in blanks:
        if blank.prints > 1:
            found.append(Disagreement("seal.serial_twice", {"serial": blank.serial}))
        graduate = on_roster.get(blank.graduate_id)
        if graduate is None and blank.voided:
            found.append(Disagreement("seal.void", {"serial": blank.serial, "name": blank.name}))
            continue
        if graduate is None:
            found.append(
                Disagreement("seal.not_on_roster", {"serial": blank.serial, "name": blank.name})
                if blank.graduate_school_id == school_id
                else Disagreement("seal.other_school", {"serial": blank.serial})
            )
            continue
        if blank.school_id != school_id:
            found.append(Disagreement("seal.not_issued_here", {"serial": blank.serial}))
        printed[graduate.id].append(blank)
    for graduate in roster:
        who: dict[str, object] = {"name": graduate.name, "id": mask(graduate.id_number)}
        who["cert_no"] = graduate.cert_no
        serials = printed.get(graduate.id, [])
        if not serials:
            found.append(Disagreement("seal.not_printed", who))
        elif len(serials) > 1:
            shown = "、".join(b.serial for b in serials)
            found.append(Disagreement("seal.printed_twice", who | {"serials": shown}))
    return found


class SealRefused(Conflict):
    """验印 refused: the disagreements, one a line, in the reader's language."""

    def __init__(self, found: Sequence[Disagreement]) -> None:
        super().__init__("seal.disagree", count=len(found))
        self.found = list(found)

    def message(self, locale: str = DEFAULT_LOCALE) -> str:
        lines = [t(self.key, locale, **self.params), *(d.render(locale) for d in self.found)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Sealed:
    """A school's term sealed: how many certificates, by which serials."""

    school: str
    term: str
    serials: list[str]


@dataclass(frozen=True)
class HandedOut:
    """Graduates handed out by one act, and those held (暂缓发放) that were left."""

    school: str
    term: str
    handed: list[RosterGraduate]
    held: list[RosterGraduate]


@dataclass(frozen=True)
class SealTerm:
    """A school's term whose certificates are printed, waiting for 验印."""

    school_id: int
    school_name: str
    term: str
    certificates: int


@dataclass(frozen=True)
class HandoutTerm:
    """A school's sealed term with certificates to hand out, and the held ones."""

    school_id: int
    school_name: str
    term: str
    waiting: int
    held: list[RosterGraduate]


class Sealing:
    """验印 by the department, hand-out by the school."""

    def __init__(self, grad: Graduation) -> None:
        self.grad = grad
        self.store = grad.store

    async def sealer_of(self, school: GradOrg) -> int:
        """The department that seals the school's certificates: the last of its route."""
        return (await self.grad.approvers_of(school))[-1]

    async def _school_for_sealer(self, actor: Person, school: GradOrg) -> None:
        if actor.role != Role.APPROVER or actor.org_id != await self.sealer_of(school):
            raise Forbidden("seal.not_sealer", school=school.name)

    async def seal(self, actor: Person, school_code: str, term: str) -> Sealed:
        """验印 of a school's term: refused with every disagreement listed, else all at once."""
        school = await self.grad.school(school_code)
        term = term_of(term)
        await self._school_for_sealer(actor, school)
        # One transaction and one reading of the blanks for the check and the sealing: a blank
        # printed meanwhile is neither checked nor sealed.
        async with refusing("seal.refused"), self.store.transaction():
            roster = await self.store.seal_roster(school.id, term)
            if not roster:
                raise NotFound("seal.empty_roster", school=school.name, term=term)
            blanks = await self.store.printed_blanks(school.id, term)
            found = disagreements(school.id, roster, blanks)
            if found:
                raise SealRefused(found)
            serials = [b.serial for b in blanks if b.state == BlankState.PRINTED]
            if not serials:
                raise Conflict("seal.already_sealed", school=school.name, term=term)
            subject = f"school:{school.code}:term:{term}:blanks:{len(serials)}"
            entry = self._audit(actor, "grad.seal", subject)
            await self.store.seal_blanks(school.id, serials, actor.id, entry)
            params = {"school": school.name, "term": term, "count": len(serials)}
            about = {"school": school.id, "term": int(term)}
            for clerk in await self.store.people_of(school.id, (Role.CLERK,)):
                notice = Notice(
                    NoticeKind.SEALED,
                    clerk.id,
                    about,
                    params,
                    dedup_key=f"handout.sealed:{school.id}:{term}:{clerk.id}",
                )
                await self.store.append_notice(notice)
        return Sealed(school.name, term, serials)

    async def ready_to_seal(self) -> list[tuple[int, SealTerm]]:
        """(sealing department, term) of every fully printed term not sealed yet."""
        found = []
        for school_id, term in await self.store.printed_terms():
            school = await self.store.grad_org(school_id)
            if school is None:
                continue
            roster = await self.store.seal_roster(school_id, term)
            printed = {b.graduate_id for b in await self.store.printed_blanks(school_id, term)}
            if roster and all(g.id in printed for g in roster):
                ready = SealTerm(school_id, school.name, term, len(roster))
                found.append((await self.sealer_of(school), ready))
        return found

    async def terms_to_seal(self, actor: Person) -> list[SealTerm]:
        """The fully printed, not yet sealed terms this department's 审批人 seals."""
        if actor.role != Role.APPROVER:
            return []
        return [term for dept, term in await self.ready_to_seal() if dept == actor.org_id]

    async def hand_out(
        self, actor: Person, school_code: str, term: str, id_numbers: Sequence[str] = ()
    ) -> HandedOut:
        """发放 by the school's 经办人: the graduates named (each must be sealed and not held), or
        every sealed one not held and not handed out yet (the held ones are listed)."""
        school = await self.grad.school(school_code)
        term = term_of(term)
        if actor.role != Role.CLERK or actor.org_id != school.id:
            raise Forbidden("handout.not_clerk", school=school.name)
        roster = await self.store.seal_roster(school.id, term)
        sealed = await self.store.sealed_serials([g.id for g in roster])
        if id_numbers:
            picked = _named(roster, id_numbers)
            for graduate in picked:
                _check_one(graduate, sealed)
            held: list[RosterGraduate] = []
        else:
            if not sealed:
                raise Conflict("handout.term_not_sealed", school=school.name, term=term)
            left = [g for g in roster if g.id in sealed and not g.handed]
            picked = [g for g in left if not g.held]
            held = [g for g in left if g.held]
            if not picked:
                raise Conflict("handout.nothing_left", held=len(held))
        entry = self._audit(
            actor, "grad.handout", f"school:{school.code}:term:{term}:graduates:{len(picked)}"
        )
        async with refusing("handout.refused"):
            await self.store.hand_out_graduates(
                [(g.id, sealed[g.id]) for g in picked], actor.id, entry
            )
        return HandedOut(school.name, term, picked, held)

    async def terms_to_hand_out(self, actor: Person) -> list[HandoutTerm]:
        """The 经办人's sealed terms with certificates left to hand out."""
        if actor.role != Role.CLERK:
            return []
        found = []
        school = await self.store.grad_org(actor.org_id)
        assert school is not None
        for school_id, term in await self.store.sealed_terms(actor.org_id):
            roster = await self.store.seal_roster(school_id, term)
            sealed = await self.store.sealed_serials([g.id for g in roster])
            left = [g for g in roster if g.id in sealed and not g.handed]
            held = [g for g in left if g.held]
            if left:
                found.append(HandoutTerm(school_id, school.name, term, len(left) - len(held), held))
        return found

    def _audit(self, actor: Person, action: str, subject: str) -> AuditEntry:
        return AuditEntry(self.store.now_iso(), f"person:{actor.id}", action, subject)

    async def counts(self, school_code: str | None, term: str | None) -> dict[str, int]:
        """已验印 and 已发放, for `grad status`."""
        school_id = (await self.grad.school(school_code)).id if school_code else None
        return await self.store.grad_handout_counts(school_id, term_of(term) if term else None)


async def send_seal_notices(store: GraduationPorts, settings: Settings) -> int:
    """Tell the sealing department's 审批人 once that a school's term is fully printed, with the
    验印 button; returns how many notices were new."""
    sealing = Sealing(Graduation(store, settings))
    added = 0
    for dept, term in await sealing.ready_to_seal():
        params = {"school": term.school_name, "term": term.term, "count": term.certificates}
        about = {"school": term.school_id, "term": int(term.term)}
        for person in await store.people_of(dept, (Role.APPROVER,)):
            notice = Notice(
                NoticeKind.SEAL_READY,
                person.id,
                about,
                params,
                dedup_key=f"seal.ready:{term.school_id}:{term.term}:{person.id}",
            )
            added += await store.append_notice(notice) is not None
    return added


def _named(roster: Sequence[RosterGraduate], id_numbers: Sequence[str]) -> list[RosterGraduate]:
    by_number = {g.id_number: g for g in roster}
    picked = []
    for raw in id_numbers:
        number = parse_id_number(raw).value
        graduate = by_number.get(number)
        if graduate is None:
            raise NotFound("handout.not_on_roster", id=mask(number))
        picked.append(graduate)
    return list({g.id: g for g in picked}.values())


def _check_one(graduate: RosterGraduate, sealed: dict[int, str]) -> None:
    who: dict[str, Any] = {"name": graduate.name, "id": mask(graduate.id_number)}
    if graduate.handed:
        raise Conflict("handout.already_handed", **who)
    if graduate.id not in sealed:
        raise Conflict("handout.not_sealed", **who)
    if graduate.held:
        raise Conflict("handout.held", **who)
