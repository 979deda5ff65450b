"""`qianfa grad match | grades | show`: certificate matching (证书比对), the grades export
(成绩管理) and one graduate's record."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from issuance.core.catalog import t
from issuance.core.idcard import mask
from issuance.core.settings import Settings
from issuance.formats.tabular import write_table
from issuance.graduation.holds import MatchReport, match_report
from issuance.graduation.qualifications import graduate_record
from issuance.graduation.service import Graduation, term_of
from qianfa.helptext import help_text
from qianfa.operations import home_store

Result = tuple[Any, str]


async def _with(settings: Settings, body: Callable[[Graduation], Awaitable[Result]]) -> Result:
    async with home_store(settings) as store:
        return await body(Graduation(store, settings))


async def match(grad: Graduation, school_code: str, term: str) -> MatchReport:
    """The school's 证书比对 for the term."""
    return await match_report(grad.store, await grad.school(school_code), term_of(term))


async def cmd_match(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation) -> Result:
        report = await match(grad, args.school, args.term)
        return report.as_json(), "\n".join(report.lines())

    return await _with(settings, body)


async def cmd_grades(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation) -> Result:
        school = await grad.school(args.school)
        rows = await grad.store.grades_listed(school.id, term_of(args.term))
        lines = (
            (
                r.cert_no or "",
                r.name,
                mask(r.id_number),
                r.major,
                r.semester or "",
                r.course,
                r.score,
                r.teacher,
            )
            for r in rows
        )
        headers = t("qual.grades.headers").split(",")
        count = write_table(Path(args.out), headers, lines, "xlsx")
        return {"exported": count, "out": args.out}, t(
            "qual.grades.written", count=count, out=args.out
        )

    return await _with(settings, body)


def record_lines(record: dict[str, Any]) -> list[str]:
    """A graduate's record as text lines."""
    lines = [t("qual.show.head", **(record | {"cert_no": record["cert_no"] or "-"}))]
    if record.get("void"):
        lines.append(t("qual.show.void", **record["void"]))
    if record["qualification_no"]:
        lines.append(t("qual.show.qualification", **record))
    else:
        lines.append(t("qual.show.no_qualification"))
    if record["held"]:
        lines.append(t("qual.show.held"))
    if record["employment"]:
        lines.append(t("qual.show.employment", **(record | {"employer": record["employer"] or ""})))
    lines += [
        t("qual.show.grade", **(g | {"semester": g["semester"] or ""})).strip()
        for g in record["grades"]
    ]
    return lines


async def _void_of(grad: Graduation, cert_no: str | None) -> dict[str, str] | None:
    """作废 of the graduate's certificate: its reason and time, or None."""
    row = await grad.store.graduate_by_cert_no(cert_no) if cert_no else None
    void = await grad.store.graduation_void(row.id) if row else None
    return {"reason": void.reason, "at": void.voided_at} if void else None


async def cmd_show(args: argparse.Namespace, settings: Settings) -> Result:
    async def body(grad: Graduation) -> Result:
        record = await graduate_record(grad.store, args.graduate)
        record["void"] = await _void_of(grad, record["cert_no"])
        return record, "\n".join(record_lines(record))

    return await _with(settings, body)


def register(g: Any, common: argparse.ArgumentParser) -> None:
    """Add `grad match`, `grad grades` and `grad show`."""
    p = g.add_parser("match", parents=[common], help=help_text("help.grad.match"))
    p.add_argument("--school", required=True, help=help_text("help.grad.school"))
    p.add_argument("--term", required=True, help=help_text("help.grad.term"))
    p.set_defaults(func=cmd_match)

    p = g.add_parser("grades", parents=[common], help=help_text("help.grad.grades"))
    p.add_argument("--school", required=True, help=help_text("help.grad.school"))
    p.add_argument("--term", required=True, help=help_text("help.grad.term"))
    p.add_argument("--out", required=True, help=help_text("help.grad.grades_out"))
    p.set_defaults(func=cmd_grades)

    p = g.add_parser("show", parents=[common], help=help_text("help.grad.show"))
    p.add_argument("graduate", help=help_text("help.grad.graduate"))
    p.set_defaults(func=cmd_show)
