"""Store queries of what chat shows the province at a glance: the blank stock per school (库存)
and every school's terms with numbered graduates (a department's 花名册 and 打印预览)."""

from __future__ import annotations

from issuance.store.base import BaseStore


class ChatViewQueries(BaseStore):
    """Overviews across schools, read in chat."""

    async def blank_balance_by_school(self) -> list[tuple[str, str, str, int]]:
        """(school name, kind, state, count) of every blank issued to a school."""
        rows = await self._all(
            "SELECT o.name, b.kind, b.state, COUNT(*) FROM blank b JOIN org o ON o.id = b.school_id"
            " GROUP BY o.code, o.name, b.kind, b.state ORDER BY o.code, b.kind, b.state"
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def numbered_terms(self) -> list[tuple[int, str, int]]:
        """(school id, term, graduates) of every school's terms with numbered graduates, by
        school, latest term first."""
        rows = await self._all(
            "SELECT school_id, graduated, COUNT(*) FROM graduate WHERE cert_no IS NOT NULL"
            " GROUP BY school_id, graduated ORDER BY school_id, graduated DESC"
        )
        return [(row[0], row[1], row[2]) for row in rows]
