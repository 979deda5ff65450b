"""Blank graduation certificates (空白毕业证): receive, issue, print, void, return, trace, balance.

The 库管员 books deliveries in; the 发放员 (never the same person) hands the blanks of an approved
空白毕业证申报 to its school; the school prints on them, voids spoiled ones (作废), which go
back to the province and are kept. The database refuses a serial issued or printed twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from issuance.core.audit import AuditEntry
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound
from issuance.core.graduate_fields import ascii_digits
from issuance.core.graduates import BlankEvent
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Person, Role
from issuance.core.ports import (
    AuditLog,
    DeclarationRepository,
    GraduateRepository,
    OutboxQueue,
    PeopleRepository,
    StockRepository,
)
from issuance.core.settings import Settings
from issuance.core.text import REASON_MAX, checked_text
from issuance.core.vocabulary import BlankState, GradStatus, RequestKind, SchoolLevel
from issuance.store.base import is_refusal

MAX_RANGE = 100_000
_SERIAL = re.compile(r"^([A-Za-z]*)([0-9]+)$")
# What the database says when it refuses, and what that means to the person.
_REFUSALS = (
    ("a blank is issued once", "stock.issued_twice"),
    ("a blank is printed once", "stock.printed_twice"),
    ("a serial is booked in once", "stock.serials_exist"),
    ("never hands them out", "stock.keeper_cannot_issue"),
    ("issued_by <> received_by", "stock.keeper_cannot_issue"),
    ("not issued to this school", "stock.not_issued_to_school"),
    ("booked in by a 库管员", "stock.wrong_role"),
    ("blank.serial", "stock.serials_exist"),
    ("cannot move from this state", "stock.wrong_state"),
)


class StockPorts(
    StockRepository,
    DeclarationRepository,
    GraduateRepository,
    PeopleRepository,
    OutboxQueue,
    AuditLog,
    Protocol,
):
    """What the blank-certificate stock reaches: blanks, the requests they are issued for, the
    departments and people who act, the outbox, the audit log."""


def serial_range(first: str, last: str | None = None, count: int | None = None) -> list[str]:
    """Serials from `first` to `last` (or `count` of them): same prefix, same width."""
    start, end = _SERIAL.match(first.strip()), None
    if start is None:
        raise Invalid("stock.serial_shape", serial=first)
    prefix, digits = start.groups()
    if last is not None:
        end = _SERIAL.match(last.strip())
        if end is None or end.group(1) != prefix or len(end.group(2)) != len(digits):
            raise Invalid("stock.range_shape", first=first, last=last)
        count = int(end.group(2)) - int(digits) + 1
    assert count is not None
    if not 0 < count <= MAX_RANGE:
        raise Invalid("stock.range_size", limit=MAX_RANGE)
    if int(digits) + count - 1 >= 10 ** len(digits):
        raise Invalid("stock.range_shape", first=first, last=last or "")
    return [f"{prefix}{int(digits) + n:0{len(digits)}d}" for n in range(count)]


@dataclass(frozen=True)
class Trace:
    """Where one blank went: its kind, current state and every event in order."""

    serial: str
    kind: str
    state: str
    events: list[BlankEvent]


@dataclass(frozen=True)
class Moved:
    """Blanks moved by one act, and a low-stock warning when the kind ran low."""

    serials: list[str]
    low_stock: int | None = None


class Stock:
    """The blank-certificate ledger use cases."""

    def __init__(self, store: StockPorts, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    async def _person(self, ref: str, role: str) -> Person:
        person = await self.store.person_by_ref(ref)
        if person is None:
            raise NotFound("person.unknown", ref=ref)
        if person.role != role:
            raise Forbidden("stock.role_required", role=role)
        return person

    def _audit(
        self, actor: Person | None, action: str, subject: str, reason: str | None = None
    ) -> AuditEntry:
        who = f"person:{actor.id}" if actor else "admin"
        return AuditEntry(self.store.now_iso(), who, action, subject, reason)

    async def canonical(self, serial: str) -> str:
        """A serial as the ledger keeps it: letters upper-case, digits as wide as the serials
        already booked with that prefix (so 001 and 0000001, a1 and A1 are one blank)."""
        found = _SERIAL.match(ascii_digits(unicodedata.normalize("NFKC", serial).strip()))
        if found is None:
            raise Invalid("stock.serial_shape", serial=serial.strip()[:40])
        prefix, digits = found.group(1).upper(), found.group(2)
        width = await self.store.serial_width(prefix) or len(digits)
        if len(str(int(digits))) > width:
            raise Invalid("stock.serial_width", serial=serial.strip(), width=width)
        return f"{prefix}{int(digits):0{width}d}"

    async def canonical_all(self, serials: Sequence[str]) -> list[str]:
        return [await self.canonical(serial) for serial in serials]

    async def receive(self, kind: str, first: str, last: str, by: str) -> Moved:
        """The 库管员 books a delivery in."""
        if kind not in tuple(SchoolLevel):
            raise Invalid("grad.blank_kind", allowed=" | ".join(SchoolLevel))
        keeper = await self._person(by, Role.KEEPER)
        serials = serial_range(await self.canonical(first), await self.canonical(last))
        taken = await self.store.existing_serials(serials)
        if taken:
            raise Conflict("stock.serial_exists", serial=min(taken))
        entry = self._audit(keeper, "stock.receive", f"blank:{kind}:{serials[0]}-{serials[-1]}")
        async with _refused():
            await self.store.receive_blanks(kind, serials, keeper.id, entry)
        return Moved(serials)

    async def issue(self, request_id: int, first: str, by: str) -> Moved:
        """The 发放员 hands an approved 空白毕业证申报's blanks, from `first` on, to its school."""
        distributor = await self._person(by, Role.DISTRIBUTOR)
        request = await self.store.grad_request(request_id)
        if request is None or request.kind != RequestKind.BLANK_REQUEST:
            raise NotFound("stock.request_unknown", id=request_id)
        counts = await self.store.request_counts(request_id)
        if counts.get(GradStatus.APPROVED, 0) == 0:
            raise Conflict("stock.request_not_approved")
        if await self.store.issued_for_request(request_id):
            raise Conflict("stock.request_issued")
        assert request.blank_kind and request.blank_count
        serials = serial_range(await self.canonical(first), count=request.blank_count)
        booked = await self.store.existing_serials(serials)
        if missing := [s for s in serials if s not in booked]:
            raise NotFound("stock.serials_not_booked", serial=missing[0], count=len(missing))
        entry = self._audit(
            distributor,
            "stock.issue",
            f"blank:{serials[0]}-{serials[-1]}:school:{request.school_code}:request:{request_id}",
        )
        async with _refused("stock.issued_twice"), self.store.transaction():
            await self.store.issue_blanks(
                request_id, request.school_id, request.blank_kind, serials, distributor.id, entry
            )
            left = await self.in_stock(request.blank_kind)
            low = left if left < self.settings.graduation_low_stock else None
            if low is not None:
                await self._warn_low(request.blank_kind, left)
        return Moved(serials, low)

    async def in_stock(self, kind: str) -> int:
        balance = await self.store.blank_balance(None)
        return sum(n for k, state, n in balance if k == kind and state == BlankState.IN_STOCK)

    async def _warn_low(self, kind: str, left: int) -> None:
        """Tell the province's 库管员 once a day that a kind runs low."""
        day = self.store.now().date().isoformat()
        for dept in await self.store.departments():
            if dept.parent_id is not None:
                continue
            for person in await self.store.people_of(dept.id, (Role.KEEPER,)):
                notice = Notice(
                    NoticeKind.STOCK_LOW,
                    person.id,
                    params={"kind": kind, "left": left},
                    dedup_key=f"stock.low:{kind}:{day}:{person.id}",
                )
                await self.store.append_notice(notice)

    async def record_printing(
        self, school_id: int, printed: Sequence[tuple[str, int]], by: Person | None
    ) -> None:
        """Blanks printed with named graduates' certificates; only blanks issued to the school."""
        printed = [(await self.canonical(serial), graduate) for serial, graduate in printed]
        entry = self._audit(
            by, "stock.print", f"school:{school_id}:blanks:{','.join(s for s, _ in printed)}"
        )
        async with _refused("stock.printed_twice"):
            await self.store.print_blanks(school_id, printed, by.id if by else None, entry)

    async def void(self, serial: str, reason: str, by: str | None = None) -> None:
        """作废 a spoiled blank at the school (kept, never destroyed)."""
        reason = checked_text(reason, REASON_MAX, "void.reason_bad_text", "void.reason_too_long")
        if not reason:
            raise Invalid("stock.reason_required")
        actor = await self.store.person_by_ref(by) if by else None
        blank = await self.store.blank(await self.canonical(serial))
        if blank is None:
            raise NotFound("stock.serial_unknown", serial=serial.strip()[:40])
        entry = self._audit(actor, "stock.void", f"blank:{blank.serial}", reason)
        async with _refused():
            await self.store.void_blank(blank.serial, reason, actor.id if actor else None, entry)

    async def return_(self, serials: Sequence[str], by: str, reason: str | None = None) -> Moved:
        """Voided blanks are back at the province, booked by its 库管员 (why, if given)."""
        keeper = await self._person(by, Role.KEEPER)
        wanted = await self.canonical_all(serials)
        entry = self._audit(keeper, "stock.return", "blank:" + ",".join(wanted), reason)
        async with _refused():
            await self.store.return_blanks(wanted, keeper.id, entry)
        return Moved(wanted)

    async def trace(self, serial: str) -> Trace:
        blank = await self.store.blank(await self.canonical(serial))
        if blank is None:
            raise NotFound("stock.serial_unknown", serial=serial.strip()[:40])
        events = await self.store.blank_events(blank.serial)
        return Trace(blank.serial, blank.kind, blank.state, events)

    async def balance(self, school_id: int | None) -> list[tuple[str, str, int]]:
        return await self.store.blank_balance(school_id)

    async def balance_by_school(self) -> list[tuple[str, str, str, int]]:
        """(school, kind, state, count) of the blanks issued to schools."""
        return await self.store.blank_balance_by_school()


class _refused:
    """Translate the database's refusal (a trigger or unique index) into a domain error;
    `twice` names what a second event on the same serial means (issued or printed twice)."""

    def __init__(self, twice: str = "stock.refused") -> None:
        self.twice = twice

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: object, error: BaseException | None, tb: object) -> bool:
        if error is not None and is_refusal(error):
            text = str(error)
            if "blank_event.serial" in text or '_once"' in text:  # SQLite, PostgreSQL
                raise Conflict(self.twice) from error
            for needle, key in _REFUSALS:
                if needle in text:
                    raise Conflict(key) from error
            raise Conflict("stock.refused") from error
        return False
