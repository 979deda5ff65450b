"""Store queries behind `qianfa rerender`: issued certificates put back in the render queue."""

from __future__ import annotations

from issuance.core.vocabulary import XStatus
from issuance.store.base import BaseStore


class RerenderQueries(BaseStore):
    """Certificate jobs made pending again, with the hash of the file each one will replace."""

    async def requeue_certificates(self, batch_id: int | None) -> list[tuple[int, str | None]]:
        """(record id, current SHA-256 or None) of every issued, not void certificate of the
        batch (or of all batches); their finished jobs are pending again."""
        only = " AND r.batch_id = ?" if batch_id is not None else ""
        params: list[object] = [XStatus.CONFIRMED]
        if batch_id is not None:
            params.append(batch_id)
        async with self.transaction():
            cursor = await self._db.execute(
                "SELECT r.id, c.sha256 FROM record r"
                " LEFT JOIN certificate c ON c.record_id = r.id"
                f" WHERE r.status = ? AND r.void_at IS NULL{only} ORDER BY r.id",
                params,
            )
            rows = [(int(row[0]), row[1]) for row in await cursor.fetchall()]
            # Only finished jobs are reset, so no claim in flight can come back with its token.
            await self._db.executemany(
                "INSERT INTO certificate_job (record_id, status, attempts, created_at)"
                " VALUES (?, 'pending', 0, ?) ON CONFLICT (record_id) DO UPDATE SET"
                " status = 'pending', attempts = 0, lease_until = NULL, last_error = NULL"
                " WHERE certificate_job.status IN ('done', 'failed')",
                [(record_id, self.now_iso()) for record_id, _ in rows],
            )
        return rows
