"""Serve the worker in the shared event loop: APScheduler ticks drive the jobs in worker.jobs."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from issuance.core.settings import Settings
from issuance.graduation.reminders import send_graduation_reminders
from issuance.graduation.sealing import send_seal_notices
from issuance.store import Store
from issuance.telemetry import CERTIFICATES_RENDERED
from issuance.xcert.handout import send_handout_reminders
from issuance.xcert.publishing import init_render_process, sweep_temporary_files
from worker.jobs import render_certificates, scheduled_backup, send_reminders

log = logging.getLogger(__name__)
# How often the worker looks whether a scheduled backup is due.
BACKUP_CHECK_SECONDS = 60.0


def render_pool(settings: Settings) -> ProcessPoolExecutor:
    """Processes that render PDFs; spawned, not forked, since the event loop runs threads."""
    return ProcessPoolExecutor(
        max_workers=max(1, settings.worker_render_processes),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_render_process,
        initargs=(str(settings.certificate_template_path),),
    )


class _Pool:
    """The render pool, replaced by a fresh one if a process of it dies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.executor = render_pool(settings)

    async def render(self, store: Store) -> None:
        try:
            made = await render_certificates(store, self.settings, self.executor)
        except BrokenProcessPool:
            log.warning("a render process died; starting a new pool")
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = render_pool(self.settings)
            return
        if made:
            CERTIFICATES_RENDERED.inc(made)
            log.info("worker: %d certificates rendered", made)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


async def _guarded(name: str, job: Callable[[], Awaitable[object]]) -> None:
    """Run one tick of a job; a failure is logged and the next tick tries again."""
    try:
        await job()
    except asyncio.CancelledError:
        # Shutting down (SIGTERM, even during start-up) mid-tick: the work is rows in the
        # database and the next run picks it up; not an error for the scheduler to log.
        log.info("worker: %s stopped mid-tick by shutdown", name)
    except Exception:
        log.exception("worker: %s failed; retrying on the next tick", name)


async def serve(settings: Settings, store: Store, stop: asyncio.Event) -> None:
    """Tick the jobs until `stop` is set; the work itself is rows in the database."""
    swept = await asyncio.to_thread(sweep_temporary_files, settings.home)
    if swept:
        log.info("worker: removed %d temporary files of an interrupted run", swept)
    pool = _Pool(settings)
    zone = ZoneInfo(settings.timezone)
    scheduler = AsyncIOScheduler(timezone=zone)
    every = {
        "trigger": "interval",
        "seconds": settings.worker_tick_seconds,
        "max_instances": 1,
        "coalesce": True,
        "next_run_time": datetime.now(zone),
    }
    jobs: dict[str, Callable[[], Awaitable[object]]] = {
        "certificates": lambda: pool.render(store),
        "reminders": lambda: send_reminders(store, settings),
        "graduation-reminders": lambda: send_graduation_reminders(store, settings),
        "handout-reminders": lambda: send_handout_reminders(store, settings),
        "seal-notices": lambda: send_seal_notices(store, settings),
    }
    for name, job in jobs.items():
        scheduler.add_job(_guarded, args=(name.replace("-", " "), job), id=name, **every)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    scheduler.add_job(
        _guarded,
        args=("backup", lambda: scheduled_backup(store, settings, holder)),
        id="backup",
        **{
            **every,
            "seconds": BACKUP_CHECK_SECONDS,
            # Not at start: a worker restarting in a loop must not back up at each start.
            "next_run_time": datetime.now(zone) + timedelta(seconds=BACKUP_CHECK_SECONDS),
        },
    )
    scheduler.start()
    log.info("worker: running, %d render processes", settings.worker_render_processes)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.to_thread(pool.close)
