"""The worker's jobs: plain async functions over the store; `worker.serve` schedules them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from issuance.core.records import CertificateClaim, CertificateFile
from issuance.core.settings import Settings
from issuance.core.timing import after_quiet_hours
from issuance.store import Store, backups
from issuance.telemetry import BACKUPS
from issuance.xcert.publishing import (
    Rendered,
    RenderTask,
    certificate_path,
    certificate_view,
    discard,
    publish,
    render_chunk,
    sync_temporary_files,
)
from issuance.xcert.reminders import (
    notice_for,
    notices,
)
from issuance.xcert.statuses import WAITING_STATUSES

log = logging.getLogger(__name__)

# Certificates per claim: CHUNK at least (the last ones of a run, so no render process idles long
# at its end), up to MAX_CHUNK while many are due (fewer commits, folder fsyncs and hops each).
CHUNK = 25
MAX_CHUNK = 100
# The slowest render rate a chunk's size allows for (certificates per second, a busy machine):
# every chunk claimed ahead must still be rendered within half its lease.
SLOW_RENDER_RATE = 50
# Chunks claimed and not yet recorded, per render process: the one it renders, the next one
# queued, and the last one being fsynced, published and recorded meanwhile.
AHEAD = 3
MAX_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(seconds=30)


async def render_certificates(store: Store, settings: Settings, pool: Executor) -> int:
    """Render every certificate due, keeping each pool process busy; returns how many were made."""
    left = await store.discover_certificate_jobs()
    lease = timedelta(seconds=settings.worker_render_lease_seconds)
    processes = max(1, settings.worker_render_processes)
    depth = AHEAD * processes
    in_flight: set[asyncio.Task[int]] = set()
    made = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(in_flight) < depth:
                size = chunk_size(left, processes, lease)
                claims = await store.claim_certificate_jobs(size, lease)
                if not claims:
                    exhausted = True
                    break
                left -= len(claims)
                in_flight.add(asyncio.create_task(_render_claims(store, settings, pool, claims)))
            if not in_flight:
                return made
            finished, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            made += sum(task.result() for task in finished)
    finally:
        for task in in_flight:
            task.cancel()


def chunk_size(left: int, processes: int, lease: timedelta) -> int:
    """How many certificates to claim when about `left` newly discovered ones are still due: a
    quarter of each process's share, within CHUNK…MAX_CHUNK and what the lease allows."""
    within_lease = int(lease.total_seconds() * SLOW_RENDER_RATE / 2 / (AHEAD * processes))
    return max(CHUNK, min(MAX_CHUNK, within_lease, left // (4 * processes)))


async def _render_claims(
    store: Store, settings: Settings, pool: Executor, claims: Sequence[CertificateClaim]
) -> int:
    """Render the claimed certificates in the pool, then publish and record them in one step."""
    written: Future[list[Rendered]] | None = None
    try:
        tasks = await render_tasks(store, settings, claims)
        written = pool.submit(render_chunk, str(settings.home), tasks)
        rendered = await asyncio.wrap_future(written)
    except asyncio.CancelledError:
        if written is not None:
            # The worker is stopping: the pool finishes the chunk it is writing, and nobody
            # would publish or remove those files.
            written.add_done_callback(partial(_discard_written, settings.home))
        raise
    except Exception as error:
        broken = isinstance(error, BrokenProcessPool)
        # A dead pool process is not the certificate's fault: retry it at once with a new pool.
        backoff = timedelta(0) if broken else RETRY_BACKOFF
        await store.release_certificate_jobs(claims, repr(error), MAX_ATTEMPTS, backoff)
        if broken:
            raise
        log.exception("rendering records %s failed", [c.record_id for c in claims])
        return 0
    try:
        # The files reach the disk while the pool renders the next chunk, before any is renamed.
        await asyncio.to_thread(sync_temporary_files, settings.home, rendered)
        async with store.transaction():
            current = await store.current_claims(claims)
            ours = [r for r in rendered if r.record_id in current]
            # A claim whose lease ended and was taken over must not overwrite the newer result.
            discard(settings.home, [r for r in rendered if r.record_id not in current])
            published = await asyncio.to_thread(publish, settings.home, ours)
            await store.record_certificates(
                [CertificateFile(r.record_id, r.path, r.sha256, r.size) for r in published]
            )
    except BaseException:
        # Stopped or failed between the chunk's writing and its recording: the claims come back
        # when their leases end; what was written and not published is nobody's (a published
        # file has no temporary file left).
        discard(settings.home, rendered)
        raise
    lost = {r.record_id for r in ours} - {r.record_id for r in published}
    if lost:
        await store.release_certificate_jobs(
            [c for c in claims if c.record_id in lost],
            "temporary file vanished",
            MAX_ATTEMPTS,
            timedelta(0),
        )
    return len(published)


def _discard_written(home: Path, written: Future[list[Rendered]]) -> None:
    """Remove the temporary files of a chunk the pool wrote after its job was cancelled."""
    if not written.cancelled() and written.exception() is None:
        discard(home, written.result())


async def render_tasks(
    store: Store, settings: Settings, claims: Sequence[CertificateClaim]
) -> list[RenderTask]:
    """What the pool renders for the claims: each record's certificate and where it goes."""
    records = await store.records_by_ids([c.record_id for c in claims])
    tokens = {c.record_id: c.token for c in claims}
    stamps: dict[int, bytes | None] = {}
    for org_id in {r.site_id for r in records} | {r.issuer_id for r in records}:
        stamp = await store.current_stamp(org_id)
        stamps[org_id] = stamp.png if stamp else None
    return [
        RenderTask(
            record.id,
            tokens[record.id],
            certificate_path(record),
            certificate_view(settings, record, stamps[record.site_id], stamps[record.issuer_id]),
        )
        for record in records
    ]


async def send_reminders(store: Store, settings: Settings) -> int:
    """Enqueue every reminder, escalation and nudge due now; returns how many were new."""
    now = store.now()
    zone = ZoneInfo(settings.timezone)
    due = notices(
        await store.open_problem_groups(),
        await store.waiting_batches(WAITING_STATUSES),
        now,
        settings.worker_reminder_offsets_hours,
        timedelta(hours=settings.worker_nudge_after_hours),
    )
    not_before = after_quiet_hours(now, settings.quiet_hours, zone)
    added = 0
    for reminder in due:
        for person in await store.people_of(reminder.org_id, reminder.roles):
            notice = notice_for(reminder, person.id, zone, not_before)
            added += await store.append_notice(notice) is not None
    return added


BACKUP_LEASE = "backup"


async def scheduled_backup(store: Store, settings: Settings, holder: str) -> Path | None:
    """Take a backup archive when the newest in `backup.dir` is `backup.every` hours old, then
    keep the `backup.keep` newest; one process at a time (lease), none when `every` is 0."""
    if not settings.backup_every:
        return None
    folder = settings.backup_path
    newest = backups.newest_archives(folder)
    now = store.now()
    if newest:
        taken = datetime.strptime(newest[0].name, backups.archive_name_pattern())
        if now.replace(tzinfo=None) - taken < timedelta(hours=settings.backup_every):
            return None
    if not await store.take_lease(BACKUP_LEASE, holder, timedelta(hours=1)):
        return None
    try:
        out = folder / backups.archive_name(now)
        try:
            await backups.take_backup(store, settings.home, out)
        except Exception:
            BACKUPS.labels("failed").inc()
            raise
        BACKUPS.labels("ok").inc()
        removed = backups.prune(folder, settings.backup_keep)
        log.info("worker: backup %s written, %d old ones removed", out.name, len(removed))
        return out
    finally:
        await store.release_lease(BACKUP_LEASE, holder)
