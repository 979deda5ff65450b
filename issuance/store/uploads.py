"""Store queries for upload links (the one-time links from the chat to the upload page)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from issuance.core.uploads import StoredUploadLink, UploadKind
from issuance.store.base import BaseStore
from issuance.store.driver import Row

_LINK_SQL = (
    "SELECT id, person_id, kinds, channel, chat_ref, status, created_at, expires_at, used_at"
    " FROM upload_link"
)


def _link(row: Row) -> StoredUploadLink:
    values = dict(row)
    values["kinds"] = tuple(UploadKind(kind) for kind in values["kinds"].split(","))
    values["chat_ref"] = json.loads(values["chat_ref"]) if values["chat_ref"] else None
    return StoredUploadLink(**values)


class UploadQueries(BaseStore):
    """Create, look up and use upload links."""

    async def add_upload_link(
        self,
        token_hash: str,
        person_id: int,
        kinds: Sequence[UploadKind],
        channel: str,
        chat_ref: Mapping[str, Any] | None,
        expires_at: str,
    ) -> int:
        return await self._insert(
            "INSERT INTO upload_link (token_hash, person_id, kinds, channel, chat_ref,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                token_hash,
                person_id,
                ",".join(kinds),
                channel,
                json.dumps(dict(chat_ref), ensure_ascii=False) if chat_ref is not None else None,
                self.now_iso(),
                expires_at,
            ),
        )

    async def upload_link_by_token_hash(self, token_hash: str) -> StoredUploadLink | None:
        row = await self._one(f"{_LINK_SQL} WHERE token_hash = ?", (token_hash,))
        return _link(row) if row else None

    async def use_upload_link(self, link_id: int) -> bool:
        """Mark an open, unexpired link used; False if it was used or has expired."""
        now = self.now_iso()
        cursor = await self._execute(
            "UPDATE upload_link SET status = 'used', used_at = ?"
            " WHERE id = ? AND status = 'open' AND expires_at > ?",
            (now, link_id, now),
        )
        return cursor.rowcount == 1
