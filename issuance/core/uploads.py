"""Upload links (上传链接): what may be uploaded through the upload page, and the stored link."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class UploadKind(StrEnum):
    """A kind of file the upload page imports; each value is the name `qianfa import` uses."""

    RESULTS = "results"
    PROBLEMS = "problems"  # the corrected student-info list (学生信息待完善清单)
    GRADUATES = "graduates"
    QUALIFICATIONS = "qualifications"
    EMPLOYMENT = "employment"
    GRADES = "grades"
    ORGS = "orgs"
    PEOPLE = "people"


@dataclass(frozen=True)
class StoredUploadLink:
    """An upload link as stored: whose it is, what it takes, on which channel it was given."""

    id: int
    person_id: int
    kinds: tuple[UploadKind, ...]
    channel: str
    chat_ref: dict[str, Any] | None
    status: str
    created_at: str
    expires_at: str
    used_at: str | None
