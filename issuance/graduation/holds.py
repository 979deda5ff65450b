"""The hold (暂缓发放) and its release, and certificate matching (证书比对).

A numbered graduate is held exactly while no qualification is recorded (`qualification_no IS
NULL`); there is no other flag. An X certificate issued in Qianfa to the graduate's ID number is
such a qualification: it is recorded at once (or when the graduate is imported, if issued
before) and the school's 经办人 is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from issuance.core.audit import AuditEntry
from issuance.core.catalog import t
from issuance.core.idcard import mask
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Role
from issuance.store import Store
from issuance.store.graduation import GradOrg
from issuance.xcert.records import IssuanceRecord
from issuance.xcert.statuses import CONFIRMED

HELD = "暂缓发放"


def is_held(cert_no: str | None, qualification_no: str | None) -> bool:
    """暂缓发放: numbered, and no qualification recorded yet (the store's `held_ids` in SQL)."""
    return cert_no is not None and qualification_no is None


@dataclass(frozen=True)
class XCertificate:
    """An X certificate issued in Qianfa, as a graduate's qualification."""

    id_number: str
    cert_no: str
    program: str
    level: str
    issued_at: str | None


async def release_by_x_certificates(
    store: Store, records: Sequence[IssuanceRecord], actor: str
) -> int:
    """Record each just-issued X certificate as the qualification of graduates with its ID
    number and none recorded (releasing the held ones); tell their schools' 经办人. How many."""
    return await _record(
        store,
        [
            XCertificate(r.id_number, r.cert_no, r.program, r.level, r.issued_at)
            for r in records
            if r.status == CONFIRMED
        ],
        actor,
    )


async def record_issued_x(store: Store, id_numbers: Sequence[str], actor: str) -> int:
    """Graduates just imported count X certificates issued to them earlier in Qianfa."""
    rows = await store.issued_x_certificates(id_numbers) if id_numbers else []
    return await _record(store, [XCertificate(**dict(row)) for row in rows], actor)


async def _record(store: Store, certificates: Sequence[XCertificate], actor: str) -> int:
    """Each certificate as the qualification of unqualified graduates with its ID number."""
    # the latest certificate of an ID number wins (they come oldest first)
    issued = {c.id_number: c for c in certificates}
    if not issued:
        return 0
    graduates = await store.unqualified_by_id_number(issued)
    for graduate in graduates:
        record = issued[graduate["id_number"]]
        at = store.now_iso()
        new = {
            "qualification_no": record.cert_no,
            "qualification_level": record.level,
            "qualification_occupation": record.program,
            "qualification_date": (record.issued_at or at)[:10],
        }
        old = {key: graduate[key] for key in new}
        source = f"xcert:{record.cert_no}"
        audit = AuditEntry(
            at, actor, "grad.qualification.xcert", f"graduate:{graduate['id']}", source
        )
        await store.record_corrections([(int(graduate["id"]), old, new)], source, audit)
        params = {
            "name": graduate["name"],
            "id": mask(graduate["id_number"]),
            "program": record.program,
            "level": record.level,
            "xcert_no": record.cert_no,
            "cert_no": graduate["cert_no"] or "",
        }
        released = graduate["cert_no"]
        kind = NoticeKind.QUALIFICATION_RELEASED if released else NoticeKind.QUALIFICATION_RECORDED
        for clerk in await store.people_of(graduate["school_id"], (Role.CLERK,)):
            await store.append_notice(Notice(kind, clerk.id, params=params))
    return len(graduates)


@dataclass(frozen=True)
class MatchReport:
    """证书比对 of a school and term: kept qualification rows that matched no graduate, and the
    term's graduates still without a qualification (held once numbered)."""

    school: str
    term: str
    kept: tuple[dict[str, Any], ...]
    unqualified: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "school": self.school,
            "term": self.term,
            "kept": list(self.kept),
            "unqualified": list(self.unqualified),
        }

    def lines(self, locale: str = "zh") -> list[str]:
        lines = [
            t(
                "qual.match.head",
                locale,
                school=self.school,
                term=self.term,
                kept=len(self.kept),
                unqualified=len(self.unqualified),
            )
        ]
        lines += [t(f"qual.match.{k['reason']}", locale, **k) for k in self.kept]
        lines += [
            t("qual.match.unqualified_held" if u["held"] else "qual.match.unqualified", locale, **u)
            for u in self.unqualified
        ]
        return lines


async def match_report(store: Store, school: GradOrg, term: str) -> MatchReport:
    """The school's 证书比对 for the term, ID numbers masked."""
    kept = tuple(
        {
            "name": row["name"],
            "id_number_masked": mask(row["id_number"]),
            "qualification_no": row["qualification_no"],
            "reason": row["reason"],
            "graduate_name": row["graduate_name"] or "",
        }
        for row in await store.pending_qualifications(school.id)
    )
    unqualified = tuple(
        {
            "name": row["name"],
            "id_number_masked": mask(row["id_number"]),
            "cert_no": row["cert_no"] or "",
            "held": row["cert_no"] is not None,
        }
        for row in await store.unqualified_graduates(school.id, term)
    )
    return MatchReport(school.name, term, kept, unqualified)
