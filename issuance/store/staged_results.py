"""Exam results staged for one import (考核结果导入): TEMP tables on a connection of the import's
own, the file's rows checked against each other and the database in SQL, and written to the
database in one short transaction.

Rows share few `ResultCells` (the same school, plan and site over thousands of rows), so a staged
row is five values: its file row, ID number, name, cells id and whether it passed its own checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from issuance.core.records import Clash, ResultCells, ResultClash
from issuance.store.base import BaseStore

_TABLES = (
    """CREATE TEMP TABLE staged_cells (
        id INTEGER PRIMARY KEY, student_type TEXT NOT NULL, school_id INTEGER,
        program TEXT NOT NULL, level TEXT NOT NULL, issuer_id INTEGER, plan TEXT NOT NULL,
        site_id INTEGER, passed INTEGER NOT NULL)""",
    """CREATE TEMP TABLE staged_result (
        file_row INTEGER PRIMARY KEY, id_number TEXT NOT NULL, name TEXT NOT NULL,
        cells INTEGER NOT NULL, ok BOOLEAN NOT NULL)""",
    """CREATE TEMP TABLE staged_clash (
        file_row INTEGER NOT NULL, kind INTEGER NOT NULL, name TEXT, first_row INTEGER,
        program TEXT, level TEXT, PRIMARY KEY (file_row, kind))""",
)

_NUMBER_INDEX = "CREATE INDEX staged_result_number ON staged_result (id_number, file_row)"
# Only a row whose ID number repeats in the file or is registered can clash over its name or
# its result: those rows, with the name the number goes by (the registered one, else the first
# row's) and the first row of the same student and plan.
_SUSPECTS = """
    CREATE TEMP TABLE staged_suspect AS
    SELECT file_row, id_number, name, plan, student_id,
           COALESCE(registered, FIRST_VALUE(name) OVER by_number) AS known,
           MIN(file_row) OVER by_pair AS first_row
    FROM (
        SELECT s.file_row, s.id_number, s.name, c.plan, st.id AS student_id,
               st.name AS registered
        FROM staged_result s JOIN staged_cells c ON c.id = s.cells
        LEFT JOIN student st ON st.id_number = s.id_number
        WHERE st.id IS NOT NULL OR s.id_number IN (
            SELECT id_number FROM staged_result GROUP BY id_number HAVING COUNT(*) > 1)
    ) AS f
    WINDOW by_number AS (PARTITION BY id_number ORDER BY file_row),
           by_pair AS (PARTITION BY id_number, plan)
"""
_NAME_CLASHES = f"""
    INSERT INTO staged_clash (file_row, kind, name)
    SELECT file_row, {Clash.NAME:d}, known FROM staged_suspect WHERE name <> known
"""
_REPEATED = f"""
    INSERT INTO staged_clash (file_row, kind, first_row)
    SELECT file_row, {Clash.REPEATED:d}, first_row FROM staged_suspect WHERE file_row <> first_row
"""
_RECORDED = f"""
    INSERT INTO staged_clash (file_row, kind)
    SELECT s.file_row, {Clash.RECORDED:d} FROM staged_suspect s
    WHERE s.file_row = s.first_row AND EXISTS (
        SELECT 1 FROM exam_result er
        WHERE er.student_id = s.student_id
          AND er.plan_id = (SELECT id FROM exam_plan WHERE name = s.plan))
"""
# A plan on file: every row naming it (its issuer found) with another program, level or issuer.
_PLAN_ON_FILE = f"""
    INSERT INTO staged_clash (file_row, kind, program, level)
    SELECT s.file_row, {Clash.PLAN:d}, pr.name, pr.level
    FROM staged_cells c
    JOIN exam_plan pl ON pl.name = c.plan JOIN program pr ON pr.id = pl.program_id
    JOIN staged_result s ON s.cells = c.id
    WHERE c.issuer_id IS NOT NULL
      AND (pr.name <> c.program OR pr.level <> c.level OR pr.issuer_id <> c.issuer_id)
"""
# A new plan is what its first good row says: the later rows that say otherwise clash. Only the
# plans the file names with two programs, levels or issuers need looking at.
_PLAN_NEW = f"""
    INSERT INTO staged_clash (file_row, kind, program, level)
    SELECT s.file_row, {Clash.PLAN:d}, d.program, d.level
    FROM (
        SELECT c.plan, MIN(s.file_row) AS file_row
        FROM staged_result s JOIN staged_cells c ON c.id = s.cells
        WHERE s.ok AND c.plan IN (
            SELECT plan FROM staged_cells WHERE issuer_id IS NOT NULL
              AND plan NOT IN (SELECT name FROM exam_plan)
            GROUP BY plan
            HAVING MIN(program) <> MAX(program) OR MIN(level) <> MAX(level)
                OR MIN(issuer_id) <> MAX(issuer_id))
          AND NOT EXISTS (SELECT 1 FROM staged_clash k WHERE k.file_row = s.file_row)
        GROUP BY c.plan
    ) AS first_good
    JOIN staged_result ds ON ds.file_row = first_good.file_row
    JOIN staged_cells d ON d.id = ds.cells
    JOIN staged_cells c ON c.plan = d.plan AND c.issuer_id IS NOT NULL
         AND (c.program <> d.program OR c.level <> d.level OR c.issuer_id <> d.issuer_id)
    JOIN staged_result s ON s.cells = c.id AND s.file_row > first_good.file_row
"""
_OTHER_ISSUER = f"""
    INSERT INTO staged_clash (file_row, kind)
    SELECT s.file_row, {Clash.ISSUER:d} FROM staged_result s JOIN staged_cells c ON c.id = s.cells
    WHERE s.ok AND c.issuer_id <> ?
      AND NOT EXISTS (SELECT 1 FROM staged_clash k WHERE k.file_row = s.file_row)
"""

# The write: programs and plans in the order the file first names them, a student for each new
# ID number (as its first row says), then every result in file order.
_WRITE = (
    """INSERT INTO program (name, level, issuer_id)
    SELECT c.program, c.level, c.issuer_id FROM staged_cells c
    WHERE NOT EXISTS (SELECT 1 FROM program p
        WHERE p.name = c.program AND p.level = c.level AND p.issuer_id = c.issuer_id)
    GROUP BY c.program, c.level, c.issuer_id ORDER BY MIN(c.id)""",
    """INSERT INTO exam_plan (name, program_id)
    SELECT c.plan, MIN(p.id) FROM staged_cells c
    JOIN program p ON p.name = c.program AND p.level = c.level AND p.issuer_id = c.issuer_id
    WHERE NOT EXISTS (SELECT 1 FROM exam_plan pl WHERE pl.name = c.plan)
    GROUP BY c.plan ORDER BY MIN(c.id)""",
    """INSERT INTO student (id_number, name, student_type, school_id)
    SELECT s.id_number, s.name, c.student_type, c.school_id
    FROM staged_result s JOIN staged_cells c ON c.id = s.cells
    WHERE NOT EXISTS (SELECT 1 FROM student st WHERE st.id_number = s.id_number)
      AND NOT EXISTS (SELECT 1 FROM staged_result e
          WHERE e.id_number = s.id_number AND e.file_row < s.file_row)
    ORDER BY s.file_row""",
    """INSERT INTO exam_result (student_id, plan_id, site_id, passed)
    SELECT st.id, pl.id, c.site_id, c.passed
    FROM staged_result s JOIN staged_cells c ON c.id = s.cells
    JOIN student st ON st.id_number = s.id_number JOIN exam_plan pl ON pl.name = c.plan
    ORDER BY s.file_row""",
)


class SqlStagedResults:
    """`StagedResults` on the import's own connection (`BaseStore.own_connection`)."""

    def __init__(self, store: BaseStore) -> None:
        self._store = store

    async def create(self) -> None:
        await self._store._temp_work(_TABLES)

    async def add(
        self, cells: Sequence[ResultCells], rows: Sequence[tuple[int, str, str, int, bool]]
    ) -> None:
        # Filled while the import reads on; the next fill or check waits for it.
        if cells:
            await self._store._fill("staged_cells", ResultCells._fields, cells)
        columns = ("file_row", "id_number", "name", "cells", "ok")
        await self._store._fill("staged_result", columns, rows)

    async def clashes(self, issuer_id: int | None) -> AsyncIterator[ResultClash]:
        await self._store._filled()
        checks = [_NUMBER_INDEX, _SUSPECTS, _NAME_CLASHES, _REPEATED, _RECORDED, _PLAN_ON_FILE]
        await self._store._temp_work([*checks, _PLAN_NEW])
        if issuer_id is not None:
            await self._store._temp_work([_OTHER_ISSUER], (issuer_id,))
        # A page at a time, so that a file clashing on every row is not held at once.
        after = (0, 0)
        while page := await self._store._all(_CLASH_PAGE, (after[0], after[0], after[1])):
            for row in page:
                yield ResultClash(row[0], Clash(row[1]), row[2], row[3], row[4], row[5])
            after = (page[-1][0], page[-1][1])

    async def write(self) -> int:
        await self._store._filled()
        async with self._store.transaction():
            for statement in _WRITE:
                cursor = await self._store._execute(statement)
        return int(cursor.rowcount)


_CLASH_PAGE = (
    "SELECT file_row, kind, name, first_row, program, level FROM staged_clash"
    " WHERE file_row > ? OR (file_row = ? AND kind > ?) ORDER BY file_row, kind LIMIT 1000"
)
