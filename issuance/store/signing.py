"""Store queries for signing requests (the one-time links to the online signature page)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from issuance.core.records import StoredSigningRequest
from issuance.store.base import BaseStore
from issuance.store.driver import Row

_REQUEST_SQL = (
    "SELECT id, person_id, batch_id, record_versions, record_count, content_sha256, chat_ref,"
    " status, failure, signature_id, created_at, expires_at, finished_at FROM signing_request"
)


def _request(row: Row) -> StoredSigningRequest:
    values = dict(row)
    values["record_versions"] = {
        int(key): int(value) for key, value in json.loads(values["record_versions"]).items()
    }
    values["chat_ref"] = json.loads(values["chat_ref"]) if values["chat_ref"] else None
    return StoredSigningRequest(**values)


class SigningQueries(BaseStore):
    """Create, look up and settle signing requests."""

    async def add_signing_request(
        self,
        token_hash: str,
        person_id: int,
        batch_id: int | None,
        record_versions: Mapping[int, int],
        content_sha256: str,
        chat_ref: Mapping[str, Any] | None,
        expires_at: str,
    ) -> int:
        return await self._insert(
            "INSERT INTO signing_request (token_hash, person_id, batch_id, record_versions,"
            " record_count, content_sha256, chat_ref, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                token_hash,
                person_id,
                batch_id,
                json.dumps({str(k): v for k, v in sorted(record_versions.items())}),
                len(record_versions),
                content_sha256,
                json.dumps(dict(chat_ref), ensure_ascii=False) if chat_ref is not None else None,
                self.now_iso(),
                expires_at,
            ),
        )

    async def signing_request_by_token_hash(self, token_hash: str) -> StoredSigningRequest | None:
        row = await self._one(f"{_REQUEST_SQL} WHERE token_hash = ?", (token_hash,))
        return _request(row) if row else None

    async def signing_request(self, request_id: int) -> StoredSigningRequest | None:
        row = await self._one(f"{_REQUEST_SQL} WHERE id = ?", (request_id,))
        return _request(row) if row else None

    async def use_signing_request(self, request_id: int, signature_id: int) -> bool:
        """Mark an open, unexpired request used; False if it was used, failed or expired."""
        now = self.now_iso()
        cursor = await self._execute(
            "UPDATE signing_request SET status = 'used', signature_id = ?, finished_at = ?"
            " WHERE id = ? AND status = 'open' AND expires_at > ?",
            (signature_id, now, request_id, now),
        )
        return cursor.rowcount == 1

    async def fail_signing_request(self, request_id: int, failure: str) -> bool:
        """Close an open request without confirming anything, recording why (a catalog key)."""
        cursor = await self._execute(
            "UPDATE signing_request SET status = 'failed', failure = ?, finished_at = ?"
            " WHERE id = ? AND status = 'open'",
            (failure, self.now_iso(), request_id),
        )
        return cursor.rowcount == 1
