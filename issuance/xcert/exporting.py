"""批量导出发证记录: issuance records to XLSX or CSV, with the platform's columns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from issuance.core.catalog import t
from issuance.core.ports import RecordRepository
from issuance.core.records import IssuanceRecord, RecordFilter
from issuance.formats.tabular import Format, progress, write_table, write_table_bytes

RECORD_HEADERS = (
    "学生姓名",
    "身份证号",
    "学生类型",
    "所属院校",
    "证书编号",
    "证书名称",
    "证书等级",
    "颁证机构",
    "发证时间",
    "考试计划",
    "考核站点",
    "考核状态",
    "证书状态",
)
_PAGE = 5000


def record_row(record: IssuanceRecord) -> tuple[str, ...]:
    """One export line; the ID number is masked as in the platform's lists."""
    return (
        record.student_name,
        record.masked_id,
        record.student_type,
        record.school_name or "",
        record.cert_no,
        record.program,
        record.level,
        record.issuer_name,
        (record.issued_at or "")[:10],
        record.plan,
        record.site_name,
        "已通过",
        record.shown_status,
    )


async def _pages(store: RecordRepository, record_filter: RecordFilter) -> list[IssuanceRecord]:
    records: list[IssuanceRecord] = []
    offset = 0
    while True:
        page = await store.records(record_filter, limit=_PAGE, offset=offset)
        records.extend(page)
        if len(page) < _PAGE:
            return records
        offset += _PAGE


def _rows(records: Sequence[IssuanceRecord]) -> Iterator[tuple[str, ...]]:
    for record in progress(records, len(records), t("export.progress")):
        yield record_row(record)


async def export_records(
    store: RecordRepository, record_filter: RecordFilter, out: Path, fmt: str
) -> int:
    """Write the filtered records to `out`; returns how many."""
    records = await _pages(store, record_filter)
    return write_table(out, RECORD_HEADERS, _rows(records), _format(fmt))


async def export_records_bytes(
    store: RecordRepository, record_filter: RecordFilter, fmt: str
) -> bytes:
    """The same export in memory, for sending in chat."""
    records = await _pages(store, record_filter)
    return write_table_bytes(RECORD_HEADERS, _rows(records), _format(fmt))


def _format(fmt: str) -> Format:
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown export format {fmt!r}")
    return "xlsx" if fmt == "xlsx" else "csv"
