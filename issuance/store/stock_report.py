"""Store queries of the blank stock as the 库管员 reads it in chat: the balance per school."""

from __future__ import annotations

from issuance.store.base import BaseStore


class StockReportQueries(BaseStore):
    """The blank-certificate balance per school (库存)."""

    async def blank_balance_by_school(self) -> list[tuple[str, str, str, int]]:
        """(school name, kind, state, count) of every blank issued to a school."""
        rows = await self._all(
            "SELECT o.name, b.kind, b.state, COUNT(*) FROM blank b JOIN org o ON o.id = b.school_id"
            " GROUP BY o.code, o.name, b.kind, b.state ORDER BY o.code, b.kind, b.state"
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]
