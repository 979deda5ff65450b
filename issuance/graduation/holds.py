"""The hold (暂缓发放) and its release, and certificate matching (证书比对).

A numbered graduate is held exactly while no qualification is recorded (`qualification_no IS
NULL`); there is no other flag. An X certificate issued in Qianfa to the graduate's ID number is
such a qualification: it is recorded at once (or when the graduate is imported, if issued
before) and the school's 经办人 is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from issuance.core.catalog import t
from issuance.core.graduates import GradOrg
from issuance.core.idcard import mask
from issuance.core.notices import Notice
from issuance.core.people import Role
from issuance.core.ports import GraduateRepository, OutboxQueue, PeopleRepository

HELD = "暂缓发放"


class HoldPorts(GraduateRepository, PeopleRepository, OutboxQueue, Protocol):
    """Graduates and their qualifications, the school's 经办人 to tell, the outbox."""


def is_held(cert_no: str | None, qualification_no: str | None) -> bool:
    """暂缓发放: numbered, and no qualification recorded yet (the store's `held_ids` in SQL)."""
    return cert_no is not None and qualification_no is None


async def record_issued_x(store: HoldPorts, id_numbers: Sequence[str], actor: str) -> int:
    """Graduates just imported count X certificates issued to them earlier in Qianfa (the X
    certificate's confirmation records them at once: `Store.qualify_by_x_certificates`); their
    schools' 经办人 are told. How many."""
    qualified = await store.qualify_by_x_certificates(id_numbers, actor) if id_numbers else []
    for graduate in qualified:
        for clerk in await store.people_of(graduate.school_id, (Role.CLERK,)):
            notice = Notice(graduate.notice_kind, clerk.id, params=graduate.notice_params())
            await store.append_notice(notice)
    return len(qualified)


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


async def match_report(store: GraduateRepository, school: GradOrg, term: str) -> MatchReport:
    """The school's 证书比对 for the term, ID numbers masked."""
    kept = tuple(
        {
            "name": row.name,
            "id_number_masked": mask(row.id_number),
            "qualification_no": row.qualification_no,
            "reason": row.reason,
            "graduate_name": row.graduate_name or "",
        }
        for row in await store.pending_qualifications(school.id)
    )
    unqualified = tuple(
        {
            "name": row.name,
            "id_number_masked": mask(row.id_number),
            "cert_no": row.cert_no or "",
            "held": row.cert_no is not None,
        }
        for row in await store.unqualified_graduates(school.id, term)
    )
    return MatchReport(school.name, term, kept, unqualified)
