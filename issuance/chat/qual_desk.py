"""What a chat does with a 经办人's qualifications, employment or grades file: imported for the
经办人's own school, answered with the summary and every row kept or refused."""

from __future__ import annotations

from pathlib import Path

from issuance.chat.screens import Lines, Part, Plain, Screen, Text
from issuance.core.people import Person
from issuance.core.ports import GraduateRepository
from issuance.graduation import qualifications
from issuance.graduation.qualifications import GradeReport, QualificationReport

MAX_LINES_SHOWN = 20
_IMPORTERS = {
    "qualifications": qualifications.import_qualifications,
    "employment": qualifications.import_employment,
    "grades": qualifications.import_grades,
}


async def import_file(
    store: GraduateRepository, clerk: Person, path: Path, locale: str
) -> Screen | None:
    """Import the file if its header row makes it one of these kinds; None for another file
    (a graduates file). The caller has checked that `clerk` is a school's 经办人."""
    kind = qualifications.file_kind(path)
    if kind not in _IMPORTERS:
        return None
    school = await store.grad_org(clerk.org_id)
    assert school is not None
    report = await _IMPORTERS[kind](store, path, locale, school=school, actor=f"person:{clerk.id}")
    if report.errors:
        shown = "\n".join(str(e) for e in report.errors[:MAX_LINES_SHOWN])
        parts: list[Part] = [
            Text("grad.file.failed", {"count": len(report.errors), "errors": shown})
        ]
        if len(report.errors) > MAX_LINES_SHOWN:
            parts.append(Text("grad.file.more", {"count": len(report.errors) - MAX_LINES_SHOWN}))
        return Screen(Lines(parts))
    if isinstance(report, QualificationReport):
        counts = {"imported": report.imported, "kept": len(report.kept)}
        lines: list[Part] = [Text("qual.file.imported_qualifications", counts)]
        lines += [Plain(line) for line in report.lines(locale)[:MAX_LINES_SHOWN]]
        return Screen(Lines(lines))
    if isinstance(report, GradeReport):
        counts = {"imported": report.imported, "replaced": report.replaced}
        return Screen(Text("qual.file.imported_grades", counts))
    return Screen(Text("qual.file.imported_employment", {"imported": report.imported}))
