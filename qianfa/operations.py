"""Operator commands beyond the basics: the anchored audit check and its integrity scan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from issuance.core.audit import StoredEntry
from issuance.core.catalog import t
from issuance.core.errors import DomainError
from issuance.core.settings import Settings
from issuance.store import Store
from issuance.store.heads import database_head, head_problem
from issuance.store.opening import open_store
from issuance.store.serving import require_config, warn_default_public_url
from issuance.xcert.rerendering import requeue

log = logging.getLogger("qianfa")


class NotValid(Exception):
    """A verification whose answer is not `valid`: printed, exit status 1."""

    def __init__(self, result: dict[str, Any], text: str) -> None:
        super().__init__(text)
        self.result = result
        self.text = text


async def verify_anchor_and_pages(
    store: Store, entries: list[StoredEntry]
) -> tuple[dict[str, Any], str]:
    """After the public chain check: the keyed MACs and head outside the database, then every
    page of the database (`PRAGMA integrity_check`)."""
    anchor = store.anchor
    assert anchor is not None, "the CLI opens its store anchored"
    why = anchor.problem(entries, await store.audit_macs())
    last = (entries[-1].id, entries[-1].hash) if entries else (0, "")
    found = await database_head(store)
    why = why or head_problem(anchor, found, last)
    if why:
        raise DomainError("audit.anchor_broken", why=why)
    # This host has now seen the log up to the database's head: a later rollback below it shows.
    local = anchor.head()
    at_local = next((e.hash for e in entries if e.id == local.count), None)
    anchor.advance(last[0], last[1], {local.count: at_local} if at_local else {})
    problems = await store.page_problems(full=True)
    if problems:
        raise DomainError("audit.damaged", detail="; ".join(problems[:5]))
    keyed_from = anchor.head().keyed_from
    result = {"ok": True, "entries": len(entries), "keyed_from": keyed_from}
    return result, t("audit.ok_anchored", count=len(entries), keyed_from=keyed_from)


@asynccontextmanager
async def home_store(settings: Settings) -> AsyncIterator[Store]:
    """The home's store for a command, closed after it: its `qianfa.toml` required, the database
    checked and the audit anchor attached (SQLite or PostgreSQL, as configured)."""
    require_config(settings.home)
    store = await open_store(settings)
    try:
        yield store
    finally:
        await store.close()


async def rerender(store: Store, settings: Settings, batch_id: int | None) -> dict[str, int]:
    """Queue the certificates again and render them now, in a pool like the worker's."""
    from worker.jobs import render_certificates
    from worker.serve import render_pool

    queued = await requeue(store, batch_id)
    warn_default_public_url(settings)
    pool = render_pool(settings)
    try:
        made = await render_certificates(store, settings, pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return {"queued": len(queued), "rendered": made}
