"""Certificate files on disk: where they live, rendering, publishing.

A certificate reaches its final path only by `os.replace` of a fully written and fsynced temporary
file in the same folder, so a reader (or a crash) never sees half a PDF. Rendering runs in pool
processes (`render_chunk`, which writes the temporary files); the worker fsyncs them
(`sync_temporary_files`, while the pool renders the next chunk), then publishes them (rename, fsync
of the folder) while it holds the database transaction that records the file's SHA-256.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import cast

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
    """A certificate written to `temp` (relative to the home), to fsync and publish."""

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
    _writers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="write")


# sync_file_range's flag that starts writing a file's dirty pages without waiting for them.
_SYNC_FILE_RANGE_WRITE = 2


def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """Linux's sync_file_range(2) from the C library, or None where there is none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return cast(Callable[[int, int, int, int], int], function)


_sync_range = _sync_file_range()


def _write(path: str, data: bytes) -> str:
    """Write a temporary file (fsynced later, by the worker) and give the data's SHA-256.

    The file's pages are sent to the disk at once (a hint, not the fsync): by the time the worker
    fsyncs them they are written and their blocks allocated, so most fsyncs of a chunk find their
    journal transaction already committed, which takes the worker about half the CPU time it
    otherwise spends on them. Plain `os` calls: each system call hands the GIL to the render thread
    and back, and a buffered file makes twice as many.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if _sync_range is not None:
            # A hint: where it fails (a file system without it) the fsync does the work.
            _sync_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)
    finally:
        os.close(fd)
    # hashlib lets other threads run while it hashes a buffer this large: the next certificate
    # renders meanwhile.
    return hashlib.sha256(data).hexdigest()


def render_chunk(home: str, tasks: Sequence[RenderTask]) -> list[Rendered]:
    """Render each certificate to a temporary file beside its final path (pool process).

    Writing and hashing happen in threads while the next certificate renders. The files are not
    fsynced here: the worker does that (`sync_temporary_files`) while this process renders its
    next chunk, instead of this process waiting for the disk between chunks.
    """
    assert _template is not None and _writers is not None, "init_render_process did not run"
    written: list[tuple[RenderTask, str, int, Future[str]]] = []
    folders: set[str] = set()
    try:
        for task in tasks:
            pdf = render(task.view, _template)
            relative = temporary_path(task.path, task.token)
            folder = os.path.dirname(relative)
            if folder not in folders:
                os.makedirs(os.path.join(home, folder), exist_ok=True)
                folders.add(folder)
            write = _writers.submit(_write, os.path.join(home, relative), pdf)
            written.append((task, relative, len(pdf), write))
    finally:
        # Every write ends before the chunk does, so no file appears after its chunk is discarded.
        wait([write for *_, write in written])
    return [
        Rendered(task.record_id, task.token, task.path, relative, write.result(), size)
        for task, relative, size, write in written
    ]


def temporary_path(path: str, token: int) -> str:
    """Where the claim `token` writes the certificate for `path` (both relative to the home)."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{os.path.splitext(name)[0]}.{token}{TEMP_SUFFIX}")


def sync_temporary_files(home: Path, rendered: Iterable[Rendered]) -> None:
    """fsync the temporary files a render process wrote, before any is published; one after the
    other (threads would cost more CPU than they save: the worker's next chunk is rendering
    meanwhile). A file swept meanwhile is skipped (`publish` leaves it out)."""
    for item in rendered:
        try:
            fd = os.open(os.path.join(home, item.temp), os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(home: Path, rendered: Sequence[Rendered]) -> list[Rendered]:
    """Rename temporary files to their final paths, then fsync the folders; returns those moved.

    A temporary file that is gone (swept after a crash) is left out: its job is simply tried again.
    """
    moved = []
    for item in rendered:
        try:
            os.replace(os.path.join(home, item.temp), os.path.join(home, item.path))
        except FileNotFoundError:
            continue
        moved.append(item)
    _fsync_dirs({os.path.join(home, os.path.dirname(item.path)) for item in moved})
    return moved


def discard(home: Path, rendered: Iterable[Rendered]) -> None:
    """Remove the temporary files of results nobody will publish."""
    for item in rendered:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(home, item.temp))


def sweep_temporary_files(home: Path) -> int:
    """Delete temporary files left by a killed worker; returns how many."""
    removed = 0
    for temp in (home / CERTIFICATES_DIR).glob(f"*/.*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed


def _fsync_dirs(folders: Iterable[str]) -> None:
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
