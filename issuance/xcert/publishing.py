"""Certificate files on disk: where they live, rendering, publishing.

A certificate reaches its final path only by `os.replace` of a fully written and fsynced temporary
file in the same folder, so a reader (or a crash) never sees half a PDF. Rendering runs in pool
processes (`render_chunk`); publishing (rename, fsync of the folder) runs in the worker while it
holds the database transaction that records the file's SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from issuance.core.records import IssuanceRecord
from issuance.core.settings import Settings
from issuance.core.timing import SHANGHAI
from issuance.formats.certificate import CertificateView, Template, load_template, render
from issuance.xcert.signing import certificate_link

CERTIFICATES_DIR = "certificates"
TEMP_SUFFIX = ".tmp"
_SAFE_NAME = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def certificate_path(record: IssuanceRecord) -> str:
    """Where a record's PDF lives, relative to the home: one folder per batch."""
    name = record.cert_no if _SAFE_NAME.match(record.cert_no) else f"record-{record.id}"
    return f"{CERTIFICATES_DIR}/{record.batch_id}/{name}.pdf"


def issued_on(record: IssuanceRecord) -> date:
    """The issue date printed: the day of 确认签发 in Asia/Shanghai."""
    if not record.issued_at:
        raise ValueError(f"record {record.id} has no issue date")
    moment = datetime.fromisoformat(record.issued_at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.date()


def certificate_view(
    settings: Settings,
    record: IssuanceRecord,
    school_stamp_png: bytes | None,
    issuer_seal_png: bytes | None,
) -> CertificateView:
    """What the record's certificate prints."""
    return CertificateView(
        cert_no=record.cert_no,
        student_name=record.student_name,
        id_number=record.id_number,
        program=record.program,
        level=record.level,
        issuer_name=record.issuer_name,
        school_name=record.site_name,
        issued_on=issued_on(record),
        verify_url=certificate_link(settings, record.cert_no, record.id_number),
        school_stamp_png=school_stamp_png,
        issuer_seal_png=issuer_seal_png,
        created_at=datetime.now(SHANGHAI),
    )


@dataclass(frozen=True)
class RenderTask:
    """One certificate for a pool process: the claim it belongs to and where the file goes."""

    record_id: int
    token: int
    path: str
    view: CertificateView


@dataclass(frozen=True)
class Rendered:
    """A certificate written and fsynced to `temp` (relative to the home), ready to publish."""

    record_id: int
    token: int
    path: str
    temp: str
    sha256: str
    size: int


_template: Template | None = None
_writers: ThreadPoolExecutor | None = None


def init_render_process(template_path: str) -> None:
    """Pool initializer: load the template (and so register its font) once per process."""
    global _template, _writers
    _template = load_template(Path(template_path))
    _writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fsync")


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def render_chunk(home: str, tasks: Sequence[RenderTask]) -> list[Rendered]:
    """Render each certificate to a fsynced temporary file beside its final path (pool process).

    Writing and fsyncing happen in threads while the next certificate renders: waiting for the
    disk would otherwise take as long as drawing the page.
    """
    assert _template is not None and _writers is not None, "init_render_process did not run"
    done = []
    writes: list[Future[None]] = []
    try:
        for task in tasks:
            pdf = render(task.view, _template)
            final = Path(home) / task.path
            temp = final.with_name(f".{final.stem}.{task.token}{TEMP_SUFFIX}")
            final.parent.mkdir(parents=True, exist_ok=True)
            writes.append(_writers.submit(_write_durably, temp, pdf))
            relative = f"{Path(task.path).parent.as_posix()}/{temp.name}"
            sha256 = hashlib.sha256(pdf).hexdigest()
            done.append(Rendered(task.record_id, task.token, task.path, relative, sha256, len(pdf)))
    finally:
        for write in writes:
            write.result()
    return done


def publish(home: Path, rendered: Sequence[Rendered]) -> list[Rendered]:
    """Rename temporary files to their final paths, then fsync the folders; returns those moved.

    A temporary file that is gone (swept after a crash) is left out: its job is simply tried again.
    """
    moved = []
    for item in rendered:
        try:
            os.replace(home / item.temp, home / item.path)
        except FileNotFoundError:
            continue
        moved.append(item)
    _fsync_dirs(home / Path(item.path).parent for item in moved)
    return moved


def discard(home: Path, rendered: Iterable[Rendered]) -> None:
    """Remove the temporary files of results nobody will publish."""
    for item in rendered:
        (home / item.temp).unlink(missing_ok=True)


def sweep_temporary_files(home: Path) -> int:
    """Delete temporary files left by a killed worker; returns how many."""
    removed = 0
    for temp in (home / CERTIFICATES_DIR).glob(f"*/.*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed


def _fsync_dirs(folders: Iterable[Path]) -> None:
    for folder in set(folders):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
