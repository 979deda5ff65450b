"""The upload page's use cases (上传): a one-time link from the chat, bound to a person and to
the kinds of file they may import, and the import behind it with that person's scope.

The link is stored as the SHA-256 of its random token (as signing links are), expires after
`web.upload_link_minutes` and works once: the first file sent through it uses it, whatever the
file holds. The import is the one `qianfa import` runs (same bounds, all or nothing), with the
person's scope: a 经办人 imports their own school only, an evaluator their own results, a school
the student-info problems flagged to it, an administrator (管理员) organizations and people.
The report goes to the page and, as a notice, to the chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from issuance.core.audit import AuditEntry
from issuance.core.catalog import DEFAULT_LOCALE
from issuance.core.errors import Conflict, DomainError, Forbidden, NotFound
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import SCHOOL_ROLES, OrgKind, Person, Role
from issuance.core.timing import SHANGHAI
from issuance.core.tokens import new_token
from issuance.core.uploads import StoredUploadLink, UploadKind
from issuance.core.vocabulary import Party
from issuance.formats.tabular import RowError
from issuance.formats.templates import template_xlsx
from issuance.graduation import qualifications
from issuance.graduation.importing import GRADUATE_COLUMNS, GraduateReport, import_graduates
from issuance.graduation.qualifications import (
    EMPLOYMENT_COLUMNS,
    GRADE_COLUMNS,
    QUALIFICATION_COLUMNS,
    GradeReport,
    QualificationReport,
)
from issuance.importing import ImportReport
from issuance.xcert.completion import SHEET_HEADERS, Completion, SheetRejected
from issuance.xcert.importing import (
    ORG_COLUMNS,
    PEOPLE_COLUMNS,
    RESULT_COLUMNS,
    import_orgs,
    import_people,
    import_results,
)
from issuance.xcert.service import Issuance
from issuance.xcert.signing import qr_png, token_hash

_MAX_TOKEN = 128
# Errors listed in the chat notice; the page lists them all.
NOTICE_ERRORS = 20
_CLERK_KINDS = (
    UploadKind.GRADUATES,
    UploadKind.QUALIFICATIONS,
    UploadKind.EMPLOYMENT,
    UploadKind.GRADES,
)
_ADMIN_KINDS = (UploadKind.ORGS, UploadKind.PEOPLE)


def kinds_for(person: Person) -> tuple[UploadKind, ...]:
    """What `person` may upload: evaluators their results and the corrected student-info list
    they sent out, a 经办人 their school's graduation files, a school its corrected list, an
    administrator the organizations and people."""
    if person.role == Role.ADMIN:
        return _ADMIN_KINDS
    if person.party == Party.EVALUATOR:
        return (UploadKind.RESULTS, UploadKind.PROBLEMS)
    if person.role == Role.CLERK:
        return _CLERK_KINDS
    if person.org_kind == OrgKind.SCHOOL and person.role in SCHOOL_ROLES:
        return (UploadKind.PROBLEMS,)
    return ()


@dataclass(frozen=True)
class UploadLink:
    """The link (and its QR code) a person opens to upload a file."""

    link_id: int
    url: str
    expires_at: str
    kinds: tuple[UploadKind, ...]
    qr_png: bytes


@dataclass(frozen=True)
class UploadView:
    """What the upload page shows: whose link it is, what it takes, until when."""

    link: StoredUploadLink
    person: Person

    @property
    def kinds(self) -> tuple[UploadKind, ...]:
        return self.link.kinds


@dataclass(frozen=True)
class UploadResult:
    """An upload's all-or-nothing outcome: the counts written, or every bad row (then nothing
    was written), or why the whole file could not be read."""

    kind: UploadKind
    counts: dict[str, int] = field(default_factory=dict)
    errors: tuple[RowError, ...] = ()
    failure: str = ""
    notes: tuple[str, ...] = ()

    @property
    def imported(self) -> bool:
        return not self.errors and not self.failure


async def start_upload(
    issuance: Issuance, person: Person, channel: str, chat_ref: dict[str, Any] | None = None
) -> UploadLink:
    """A one-time upload link for `person`, taking what their role may import."""
    kinds = kinds_for(person)
    if not kinds:
        raise Forbidden("upload.nothing_to_upload")
    store = issuance.store
    token = new_token()
    expires = store.now() + timedelta(minutes=issuance.settings.web_upload_link_minutes)
    expires_at = expires.astimezone(SHANGHAI).isoformat(timespec="seconds")
    async with store.transaction():
        link_id = await store.add_upload_link(
            token_hash(token), person.id, kinds, channel, chat_ref, expires_at
        )
        await store.append_audit(
            AuditEntry(
                store.now_iso(),
                f"person:{person.id}",
                "upload.start",
                f"upload:{link_id} kinds:{','.join(kinds)}",
            )
        )
    url = f"{issuance.settings.public_url.rstrip('/')}/upload/{token}"
    return UploadLink(link_id, url, expires_at, kinds, qr_png(url))


async def open_upload(issuance: Issuance, token: str) -> UploadView:
    """The open link behind `token`, or a DomainError saying why it cannot be used."""
    if not token or len(token) > _MAX_TOKEN:
        raise NotFound("upload.unknown")
    link = await issuance.store.upload_link_by_token_hash(token_hash(token))
    if link is None:
        raise NotFound("upload.unknown")
    if link.status == "used":
        raise Conflict("upload.used")
    if link.expires_at <= issuance.store.now_iso():
        raise Conflict("upload.expired")
    person = await issuance.store.person(link.person_id)
    if person is None:
        raise NotFound("upload.unknown")
    return UploadView(link, person)


async def run_upload(
    issuance: Issuance, token: str, kind: str, path: Path, locale: str = DEFAULT_LOCALE
) -> UploadResult:
    """Use the link, import the file as `kind` with its person's scope, tell the chat."""
    view = await open_upload(issuance, token)
    if kind not in view.kinds:
        raise Forbidden("upload.kind_not_allowed")
    store = issuance.store
    async with store.transaction():
        if not await store.use_upload_link(view.link.id):
            await open_upload(issuance, token)  # raises the precise reason (used or expired)
            raise Conflict("upload.used")
    upload_kind = UploadKind(kind)
    try:
        result = await _IMPORTS[upload_kind](issuance, view.person, path, locale)
    except DomainError as error:
        result = UploadResult(upload_kind, failure=error.message(locale))
    await _tell_chat(issuance, view, result)
    return result


Import = Callable[[Issuance, Person, Path, str], Awaitable[UploadResult]]


async def _results(issuance: Issuance, person: Person, path: Path, locale: str) -> UploadResult:
    report = await import_results(issuance.store, path, locale, issuer_id=person.org_id)
    return _from_report(UploadKind.RESULTS, report, {"imported": report.imported})


async def _problems(issuance: Issuance, person: Person, path: Path, locale: str) -> UploadResult:
    completion = Completion(issuance)
    apply = (
        completion.apply_returned_sheet
        if person.party == Party.EVALUATOR
        else completion.apply_sheet
    )
    try:
        fixed = await apply(person, path, locale)
    except SheetRejected as rejected:
        return UploadResult(UploadKind.PROBLEMS, errors=tuple(rejected.errors))
    return UploadResult(UploadKind.PROBLEMS, {"imported": len(fixed.problems)})


async def _graduates(issuance: Issuance, person: Person, path: Path, locale: str) -> UploadResult:
    report = await import_graduates(issuance.store, path, locale, school_id=person.org_id)
    counts = {"imported": report.imported}
    notes: tuple[str, ...] = ()
    if isinstance(report, GraduateReport):
        counts |= {"corrected": report.corrected, "warnings": len(report.warnings)}
        notes = tuple(str(w) for w in report.warnings)
    return _from_report(UploadKind.GRADUATES, report, counts, notes)


async def _orgs(issuance: Issuance, person: Person, path: Path, locale: str) -> UploadResult:
    report = await import_orgs(issuance.store, path, locale)
    return _from_report(UploadKind.ORGS, report, {"imported": report.imported})


async def _people(issuance: Issuance, person: Person, path: Path, locale: str) -> UploadResult:
    report = await import_people(issuance.store, path, locale)
    return _from_report(UploadKind.PEOPLE, report, {"imported": report.imported})


def _school_scoped(kind: UploadKind) -> Import:
    importer = {
        UploadKind.QUALIFICATIONS: qualifications.import_qualifications,
        UploadKind.EMPLOYMENT: qualifications.import_employment,
        UploadKind.GRADES: qualifications.import_grades,
    }[kind]

    async def run(issuance: Issuance, person: Person, path: Path, locale: str) -> UploadResult:
        school = await issuance.store.grad_org(person.org_id)
        if school is None:
            raise Forbidden("upload.nothing_to_upload")
        report = await importer(
            issuance.store, path, locale, school=school, actor=f"person:{person.id}"
        )
        counts = {"imported": report.imported}
        notes: tuple[str, ...] = ()
        if isinstance(report, QualificationReport):
            counts["kept"] = len(report.kept)
            notes = tuple(report.lines(locale))
        if isinstance(report, GradeReport):
            counts["replaced"] = report.replaced
        return _from_report(kind, report, counts, notes)

    return run


def _from_report(
    kind: UploadKind, report: ImportReport, counts: dict[str, int], notes: Sequence[str] = ()
) -> UploadResult:
    if report.errors:
        return UploadResult(kind, errors=report.errors)
    return UploadResult(kind, counts, notes=tuple(notes))


_IMPORTS: dict[UploadKind, Import] = {
    UploadKind.RESULTS: _results,
    UploadKind.PROBLEMS: _problems,
    UploadKind.GRADUATES: _graduates,
    **{kind: _school_scoped(kind) for kind in _CLERK_KINDS[1:]},
    UploadKind.ORGS: _orgs,
    UploadKind.PEOPLE: _people,
}


async def _tell_chat(issuance: Issuance, view: UploadView, result: UploadResult) -> None:
    """The report as a notice to the uploader, with an audit entry, in one transaction."""
    store = issuance.store
    params: dict[str, Any] = {"kind": result.kind.value, "counts": result.counts}
    if result.failure:
        params["failure"] = result.failure
    if result.errors:
        params["errors"] = [
            {"row": e.row, "column": e.column, "message": e.message}
            for e in result.errors[:NOTICE_ERRORS]
        ]
        params["count"] = len(result.errors)
    outcome = "imported" if result.imported else "refused"
    async with store.transaction():
        await store.append_audit(
            AuditEntry(
                store.now_iso(),
                f"person:{view.person.id}",
                "upload.done",
                f"upload:{view.link.id} kind:{result.kind}",
                reason=outcome,
            )
        )
        kind = NoticeKind.UPLOAD_DONE if result.imported else NoticeKind.UPLOAD_REFUSED
        await store.append_notice(
            Notice(kind, view.person.id, params=params, dedup_key=f"upload:{view.link.id}")
        )


# A valid-looking sample ID number (the checksum holds), never a real person's.
_SAMPLE_ID = "11010519491231002X"

_EXAMPLES: dict[UploadKind, tuple[Sequence[str], Sequence[str]]] = {
    UploadKind.RESULTS: (
        [c.header_zh for c in RESULT_COLUMNS],
        [
            "张三",
            _SAMPLE_ID,
            "院校学生",
            "S001",
            "老年照护",
            "初级",
            "E001",
            "2025年第一批",
            "S001",
            "已通过",
        ],
    ),
    UploadKind.PROBLEMS: (
        SHEET_HEADERS,
        [
            "1",
            "1000120250100000000001",
            "张三",
            "110105********002X",
            "身份证号",
            "请核对",
            "2025-07-07",
            _SAMPLE_ID,
        ],
    ),
    UploadKind.GRADUATES: (
        [c.header_zh for c in GRADUATE_COLUMNS],
        [
            "李四",
            _SAMPLE_ID,
            "男",
            "T001",
            "0101",
            "数控加工",
            "中级工班",
            "2022-09",
            "2025-07",
            "3",
            "全日制",
            "",
            "",
            "已就业",
        ],
    ),
    UploadKind.QUALIFICATIONS: (
        [c.header_zh for c in QUALIFICATION_COLUMNS],
        ["李四", _SAMPLE_ID, "S000012345678", "四级/中级工", "车工", "2025-06-30"],
    ),
    UploadKind.EMPLOYMENT: (
        [c.header_zh for c in EMPLOYMENT_COLUMNS],
        ["李四", _SAMPLE_ID, "已就业", "某某机械有限公司"],
    ),
    UploadKind.GRADES: (
        [c.header_zh for c in GRADE_COLUMNS],
        [_SAMPLE_ID, "李四", "机械制图", "85", "王老师", "2024-2025-1"],
    ),
    UploadKind.ORGS: (
        [c.header_zh for c in ORG_COLUMNS],
        ["T001", "某某技工学校", "技工院校", "350100", "D001", "技工学校", "001", ""],
    ),
    UploadKind.PEOPLE: (
        [c.header_zh for c in PEOPLE_COLUMNS],
        ["王五", "13800000000", "T001", "经办人", "教务科科员"],
    ),
}


def template(kind: UploadKind) -> bytes:
    """The XLSX template of an upload kind: its headers and one example row."""
    headers, words = _EXAMPLES[kind]
    # "_" stands for the sample ID number, "-" for an empty optional cell
    example = [{"_": _SAMPLE_ID, "-": ""}.get(word, word) for word in words]
    return template_xlsx(headers, example)
