"""Export of graduates and their declarations (XLSX or CSV), formula-safe like the X export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from issuance.core.errors import Invalid
from issuance.core.graduates import GraduateListed
from issuance.core.idcard import mask
from issuance.core.ports import GraduateRepository
from issuance.formats.tabular import Format, write_table
from issuance.graduation.service import STATUS_FILTERS
from issuance.store.graduation import UNDECLARED

HEADERS = (
    "序号",
    "毕业证书编号",
    "姓名",
    "身份证号",
    "所属院校",
    "入学时间",
    "毕业时间",
    "培养层次",
    "专业代码",
    "专业",
    "学制",
    "学习方式",
    "状态",
    "申报",
    "流水码",
)


def _rows(graduates: Sequence[GraduateListed]) -> Iterator[tuple[object, ...]]:
    for index, g in enumerate(graduates, start=1):
        yield (
            index,
            g.cert_no or "",
            g.name,
            mask(g.id_number),
            g.school_code,
            g.enrolled,
            g.graduated,
            g.class_level,
            g.major_code,
            g.major,
            g.years,
            g.study_mode,
            g.status or UNDECLARED,
            g.request_id or "",
            g.serial or "",
        )


async def export_graduates(
    store: GraduateRepository,
    out: Path,
    fmt: Format,
    school_id: int | None = None,
    term: str | None = None,
    status: str | None = None,
) -> int:
    """Write the filtered graduates, one line each; returns how many. An unknown status is
    refused, not answered with an empty file."""
    if status is not None and status not in STATUS_FILTERS:
        raise Invalid("filter.status", value=status, choices="、".join(STATUS_FILTERS))
    graduates = await store.graduates_listed(school_id, term, status)
    return write_table(out, HEADERS, _rows(graduates), fmt)
