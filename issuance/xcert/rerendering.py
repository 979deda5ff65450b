"""Re-rendering issued certificates after `public_url` or a stamp changed, audited."""

from __future__ import annotations

from typing import Protocol

from issuance.core.audit import AuditEntry
from issuance.core.errors import NotFound
from issuance.core.ports import AuditLog, CertificateWorkQueue, RecordRepository


class RequeuePorts(RecordRepository, CertificateWorkQueue, AuditLog, Protocol):
    """The batch, its certificate jobs, and the audit log of what is replaced."""


async def requeue(store: RequeuePorts, batch_id: int | None) -> list[int]:
    """Queue the batch's (or every) issued certificate for rendering again; returns record ids.

    Each certificate that already has a file gets an audit entry `certificate.rerender` carrying
    the SHA-256 of the file it will replace, in the same transaction as the requeue.
    """
    if batch_id is not None and await store.batch(batch_id) is None:
        raise NotFound("filter.batch", value=batch_id)
    async with store.transaction():
        rows = await store.requeue_certificates(batch_id)
        now = store.now_iso()
        for record_id, old in rows:
            if old is not None:
                await store.append_audit(
                    AuditEntry(
                        now,
                        "admin",
                        "certificate.rerender",
                        f"record:{record_id}",
                        reason=f"replaces sha256 {old}",
                    )
                )
    return [record_id for record_id, _ in rows]
