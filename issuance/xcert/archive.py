"""Certificate downloads: a batch's PDFs and its issuance-record XLSX as ZIP files.

The Bot API takes documents up to 50 MB, so the archive is split into parts under `part_limit`.
PDFs are stored, not deflated (they are compressed already), which makes each part's size exact to
predict; every PDF is checked against the SHA-256 recorded when it was rendered.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from issuance.core.errors import Conflict, NotFound
from issuance.core.ports import CertificateWorkQueue, RecordRepository
from issuance.core.records import BatchCertificate, RecordFilter
from issuance.core.settings import Settings
from issuance.xcert.exporting import export_records_bytes

RECORDS_NAME = "发证记录.xlsx"
# Local header (30) + central directory entry (46) per file, plus slack for the end record.
_ENTRY_OVERHEAD = 30 + 46
_ARCHIVE_OVERHEAD = 22 + 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class ArchivePorts(RecordRepository, CertificateWorkQueue, Protocol):
    """The batch, its records and their certificate files."""


@dataclass(frozen=True)
class _Entry:
    name: str
    size: int
    source: Path | None = None
    sha256: str | None = None
    data: bytes | None = None


def entry_name(item: BatchCertificate) -> str:
    """`证书编号_姓名.pdf`, safe on every file system the archive may be unpacked on."""
    return _UNSAFE.sub("_", f"{item.cert_no}_{item.student_name}") + ".pdf"


def _parts(entries: Sequence[_Entry], part_limit: int) -> list[list[_Entry]]:
    parts: list[list[_Entry]] = [[]]
    size = _ARCHIVE_OVERHEAD
    for entry in entries:
        cost = entry.size + _ENTRY_OVERHEAD + 2 * len(entry.name.encode("utf-8"))
        if parts[-1] and size + cost > part_limit:
            parts.append([])
            size = _ARCHIVE_OVERHEAD
        parts[-1].append(entry)
        size += cost
    return parts


def part_paths(out_dir: Path, name: str, count: int) -> list[Path]:
    """NAME.zip, NAME.part2.zip, NAME.part3.zip, …"""
    return [
        out_dir / (f"{name}.zip" if i == 1 else f"{name}.part{i}.zip") for i in range(1, count + 1)
    ]


def _write_part(path: Path, entries: Sequence[_Entry]) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_STORED) as archive:
            for entry in entries:
                data = entry.data if entry.data is not None else _read_checked(entry)
                archive.writestr(entry.name, data)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _read_checked(entry: _Entry) -> bytes:
    assert entry.source is not None
    data = entry.source.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        raise Conflict("worker.archive.corrupt", path=str(entry.source))
    return data


def _write(out_dir: Path, name: str, entries: Sequence[_Entry], part_limit: int) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = _parts(entries, part_limit)
    paths = part_paths(out_dir, name, len(parts))
    for path, part in zip(paths, parts, strict=True):
        _write_part(path, part)
    return paths


async def write_batch_archives(
    store: ArchivePorts,
    settings: Settings,
    batch_id: int,
    out_dir: Path,
    part_limit: int = 45 * 2**20,
    name: str | None = None,
) -> list[Path]:
    """Write the batch's certificates and its XLSX into `out_dir` as one ZIP or several parts.

    Records whose certificate is not rendered yet are left out. `name` is the file stem
    (default `batch-ID-certificates`).
    """
    if await store.batch(batch_id) is None:
        raise NotFound("batch.unknown")
    items = await store.batch_certificates(batch_id)
    xlsx = await export_records_bytes(store, RecordFilter(batch_id=batch_id), "xlsx")
    entries = [_Entry(RECORDS_NAME, len(xlsx), data=xlsx)]
    entries += [
        _Entry(entry_name(item), item.file.size, settings.home / item.file.path, item.file.sha256)
        for item in items
        if item.file is not None
    ]
    stem = name or f"batch-{batch_id}-certificates"
    return await asyncio.to_thread(_write, out_dir, stem, entries, part_limit)
