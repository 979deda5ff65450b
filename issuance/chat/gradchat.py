"""Graduation printouts in chat, for any channel: the typed buttons (打印, 校准页, 花名册, which
kind of certificate to verify), the files a tap sends, and the screens around them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from issuance.chat.actions import Action
from issuance.chat.screens import Button, Lines, Part, Screen, Text


@dataclass(frozen=True)
class PrintTerm(Action, prefix="gpp"):
    """打印: a school's approved term as the print PDF, with a preview of its first page."""

    school: int
    term: int


@dataclass(frozen=True)
class CalibrationPage(Action, prefix="gpc"):
    """校准页: the school's calibration test page."""

    school: int


@dataclass(frozen=True)
class RosterOf(Action, prefix="gro"):
    """花名册: a school's term as the roster PDF and XLSX."""

    school: int
    term: int


@dataclass(frozen=True)
class VerifyKind(Action, prefix="vk"):
    """证书查验: which kind of certificate the next answer looks up."""

    kind: int


X_CERT, GRADUATION = 0, 1


@dataclass(frozen=True)
class OutFile:
    """A file a chat sends: a document, or a picture shown inline when the channel takes it."""

    name: str
    data: bytes
    caption: Part
    picture: bool = False


@dataclass(frozen=True)
class TermCount:
    """One approved term of a school: YYYYMM and how many numbered graduates."""

    term: str
    graduates: int


def term_label(term: str) -> str:
    """YYYYMM as the certificates write it: 2025年6月."""
    return f"{int(term[:4])}年{int(term[4:])}月"


def print_buttons(school_id: int, term: str) -> list[Button]:
    """打印 and 花名册 of one approved term."""
    label = {"term": term_label(term)}
    return [
        Button(Text("gradchat.button.print", label), PrintTerm(school_id, int(term))),
        Button(Text("gradchat.button.roster", label), RosterOf(school_id, int(term))),
    ]


def print_terms(school: str, school_id: int, terms: Sequence[TermCount]) -> Screen:
    """/print of a 经办人: the school's approved terms, each with 打印 and 花名册, and 校准页."""
    if not terms:
        return Screen(Text("gradchat.terms.none", {"school": school}))
    parts: list[Part] = [Text("gradchat.terms.title", {"school": school})]
    parts += [
        Text("gradchat.terms.line", {"term": term_label(t.term), "count": t.graduates})
        for t in terms
    ]
    parts.append(Text("gradchat.terms.calibration"))
    rows = [print_buttons(school_id, t.term) for t in terms]
    rows.append([Button(Text("gradchat.button.calibration"), CalibrationPage(school_id))])
    return Screen(Lines(parts), rows)


def roster_terms(school: str, school_id: int, terms: Sequence[TermCount]) -> Screen:
    """/roster: the school's approved terms, each with its 花名册 button."""
    if not terms:
        return Screen(Text("gradchat.terms.none", {"school": school}))
    parts: list[Part] = [Text("gradchat.roster.title", {"school": school})]
    rows = []
    for t in terms:
        label = {"term": term_label(t.term)}
        parts.append(Text("gradchat.terms.line", {"term": label["term"], "count": t.graduates}))
        rows.append(
            [Button(Text("gradchat.button.roster", label), RosterOf(school_id, int(t.term)))]
        )
    return Screen(Lines(parts), rows)


def verify_choice() -> Screen:
    """/verify without numbers: X 证书 or 毕业证?"""
    return Screen(
        Text("gradchat.verify.which"),
        [
            [
                Button(Text("gradchat.button.verify_x"), VerifyKind(X_CERT)),
                Button(Text("gradchat.button.verify_graduation"), VerifyKind(GRADUATION)),
            ]
        ],
    )


@dataclass(frozen=True)
class SchoolLine:
    """One school's line of the statistics table."""

    school: str
    graduates: int
    qualification_rate: float
    employment_rate: float


def stats_table(year: int, lines: Sequence[SchoolLine]) -> Screen:
    """统计: one line per school under the asker, both rates as percentages."""
    if not lines:
        return Screen(Text("gradchat.stats.none", {"year": year}))
    parts: list[Part] = [Text("gradchat.stats.title", {"year": year, "count": len(lines)})]
    parts += [
        Text(
            "gradchat.stats.line",
            {
                "school": line.school,
                "graduates": line.graduates,
                "qualification": f"{line.qualification_rate:.1%}",
                "employment": f"{line.employment_rate:.1%}",
            },
        )
        for line in lines
    ]
    return Screen(Lines(parts))


def lookup_answer(facts: dict[str, str]) -> Screen:
    """The graduation lookup's answer in chat: valid with its facts, or void."""
    if facts.get("status") == "void":
        return Screen(Text("gradchat.verify.void", {"cert_no": facts["cert_no"]}))
    return Screen(Text("gradchat.verify.valid", facts))
