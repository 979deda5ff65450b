"""Digests of final rows: what a numbered graduate or a confirmed X certificate held when the act
that made or changed it was logged, so `audit verify` sees a row changed past the triggers.

Each digest row names its audit entry and carries a MAC under the audit key (kept outside the
database): dropping the triggers and rewriting a row and its digest together is still found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from issuance.store.base import BaseStore

# What a final row is, and the columns its digest covers (not bookkeeping such as version).
FINAL_ROWS = {
    "graduate": (
        "cert_no IS NOT NULL",
        (
            "school_id",
            "name",
            "id_number",
            "sex",
            "cert_no",
            "major_code",
            "major",
            "class_level",
            "enrolled",
            "graduated",
            "years",
            "study_mode",
            "qualification_no",
        ),
    ),
    "record": (
        "status = '确认签发'",
        ("cert_no", "result_id", "batch_id", "status", "issued_at", "void_at"),
    ),
}
BASELINE = "final.baseline"


def row_digest(kind: str, row_id: int, values: Sequence[object]) -> str:
    """SHA-256 over the row's identity and covered columns, canonically encoded."""
    encoded = json.dumps(
        [kind, int(row_id), *(None if v is None else str(v) for v in values)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class FinalDigestQueries(BaseStore):
    """Recording digests as acts finalize rows, and finding rows that no longer match."""

    async def _final_rows(self, kind: str, ids: Sequence[int] | None) -> list[tuple[int, str]]:
        final, columns = FINAL_ROWS[kind]
        sql = f"SELECT id, {', '.join(columns)} FROM {kind} WHERE {final}"
        if ids is None:
            rows = await self._all(sql + " ORDER BY id")
        else:
            rows = await self._all_in(sql + " AND id IN ({marks}) ORDER BY id", list(ids))
        return [(int(row[0]), row_digest(kind, row[0], tuple(row)[1:])) for row in rows]

    def _digest_mac(self, subject: str, digest: str, audit_id: int) -> str | None:
        return self.anchor.mac(f"{subject}:{digest}:{audit_id}") if self.anchor else None

    async def seal_final(self, kind: str, ids: Sequence[int] | None = None) -> None:
        """Record the digest of these final rows (of every one, if `ids` is None) under the
        latest audit entry: the act just logged in the same transaction."""
        if ids is not None and not ids:
            return
        row = await self._one("SELECT MAX(id) FROM audit")
        audit_id = int(row[0]) if row and row[0] is not None else 0
        values = []
        for row_id, digest in await self._final_rows(kind, ids):
            subject = f"{kind}:{row_id}"
            values.append((subject, digest, audit_id, self._digest_mac(subject, digest, audit_id)))
        if values:
            await self._db.executemany(
                "INSERT INTO final_digest (subject, digest, audit_id, mac) VALUES (?, ?, ?, ?)",
                values,
            )

    async def final_digest_problems(self) -> list[str]:
        """Final rows whose digest is missing, differs from the row, or is not ours (MAC)."""
        recorded = {
            row[0]: (row[1], int(row[2]), row[3])
            for row in await self._all(
                "SELECT subject, digest, audit_id, mac FROM final_digest d WHERE id ="
                " (SELECT MAX(id) FROM final_digest e WHERE e.subject = d.subject)"
            )
        }
        # Digests logged before the log was anchored under the current key carry no MAC of it,
        # like the entries before `keyed_from`.
        keyed_from = self.anchor.head().keyed_from if self.anchor else None
        problems = []
        for kind in FINAL_ROWS:
            for row_id, digest in await self._final_rows(kind, None):
                subject = f"{kind}:{row_id}"
                found = recorded.pop(subject, None)
                if found is None:
                    problems.append(f"{subject}: no digest recorded")
                elif found[0] != digest:
                    problems.append(f"{subject}: changed since audit entry {found[1]}")
                elif (
                    keyed_from is not None
                    and found[1] >= keyed_from
                    and found[2] != self._digest_mac(subject, found[0], found[1])
                ):
                    problems.append(f"{subject}: digest not written by Qianfa")
        # a digest whose row is no longer final: a confirmed certificate withdrawn, a number gone
        problems += [f"{subject}: no longer final" for subject in recorded]
        return problems

    async def has_final_digests(self) -> bool:
        return await self._one("SELECT id FROM final_digest LIMIT 1") is not None

    async def seal_baseline(self) -> None:
        """Once, on a database from before digests: seal the final rows as they are, logged."""
        missing = [
            p for p in await self.final_digest_problems() if p.endswith("no digest recorded")
        ]
        if not missing:
            return
        async with self.transaction():
            row = await self._one("SELECT COUNT(*) FROM audit WHERE action = ?", (BASELINE,))
            if row and int(row[0]):
                return  # sealed before: digests missing now were removed
            from issuance.core.audit import AuditEntry

            await self.append_audit(  # type: ignore[attr-defined]
                AuditEntry(self.now_iso(), "system", BASELINE, f"rows:{len(missing)}")
            )
            for kind in FINAL_ROWS:
                await self.seal_final(kind)
