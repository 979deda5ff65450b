"""Store queries of the worker: certificate jobs with leases, certificate files, reminder inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from issuance.core.records import (
    BatchCertificate,
    CertificateClaim,
    CertificateFile,
    ProblemGroup,
    WaitingBatch,
)
from issuance.core.vocabulary import XStatus
from issuance.store.base import SHANGHAI, BaseStore


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


class WorkQueries(BaseStore):
    """Certificate work rows (status, lease, attempts), certificate files and reminder inputs."""

    # Certificate jobs

    async def discover_certificate_jobs(self) -> int:
        """Add a job for every confirmed, not void record that has none; returns how many."""
        cursor = await self._execute(
            "INSERT INTO certificate_job (record_id, status, attempts, created_at)"
            " SELECT r.id, 'pending', 0, ? FROM record r"
            # issued_at (set by the confirming act) finds them through record_issued.
            " WHERE r.issued_at IS NOT NULL AND r.status = ? AND r.void_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM certificate_job j WHERE j.record_id = r.id)"
            # Two workers discovering at once: the second adds nothing instead of failing.
            " ON CONFLICT (record_id) DO NOTHING",
            (_iso(self.now()), XStatus.CONFIRMED),
        )
        return max(cursor.rowcount, 0)

    async def claim_certificate_jobs(self, limit: int, lease: timedelta) -> list[CertificateClaim]:
        """Pending jobs and jobs whose lease ended (their worker died), leased to the caller."""
        now = self.now()
        # One statement, atomic by itself: one round trip (SQLite takes the write lock before
        # the inner SELECT reads; PostgreSQL's SKIP LOCKED leaves rows another worker is taking).
        rows = await self._all(
            "UPDATE certificate_job SET status = 'rendering', lease_until = ?,"
            " attempts = attempts + 1 WHERE record_id IN ("
            " SELECT record_id FROM certificate_job WHERE status IN ('pending', 'rendering')"
            " AND (lease_until IS NULL OR lease_until <= ?)"
            f" ORDER BY record_id LIMIT ?{self.driver.skip_locked})"
            " RETURNING record_id, attempts",
            (_iso(now + lease), _iso(now), limit),
        )
        return [CertificateClaim(row[0], row[1]) for row in sorted(rows, key=lambda r: r[0])]

    async def current_claims(self, claims: Sequence[CertificateClaim]) -> set[int]:
        """Which claims are still the latest on a job being rendered (call in a transaction)."""
        held: set[int] = set()
        for start in range(0, len(claims), 400):
            chunk = claims[start : start + 400]
            where = " OR ".join("(record_id = ? AND attempts = ?)" for _ in chunk)
            rows = await self._all(
                f"SELECT record_id FROM certificate_job WHERE status = 'rendering' AND ({where})"
                f"{self.driver.for_update}",
                [value for claim in chunk for value in (claim.record_id, claim.token)],
            )
            held.update(row[0] for row in rows)
        return held

    async def record_certificates(self, files: Sequence[CertificateFile]) -> None:
        """The files are on disk for good: remember them and close their jobs."""
        now = _iso(self.now())
        async with self.transaction():
            # The chunk as a table joined in: a statement each, not one per file (on PostgreSQL
            # a round trip each).
            for table, params in self.driver.rows_table(
                ("INTEGER", "TEXT", "TEXT", "INTEGER"),
                [(f.record_id, f.path, f.sha256, f.size) for f in files],
            ):
                await self._db.execute(
                    "INSERT INTO certificate (record_id, path, sha256, size, rendered_at)"
                    f" SELECT v.column1, v.column2, v.column3, v.column4, ? FROM {table}"
                    # WHERE true: SQLite reads ON CONFLICT after a bare FROM as a join's ON.
                    " WHERE true ON CONFLICT (record_id) DO UPDATE SET"
                    " path = excluded.path, sha256 = excluded.sha256, size = excluded.size,"
                    " rendered_at = excluded.rendered_at",
                    [now, *params],
                )
            for among, ids in self.driver.among("record_id", [f.record_id for f in files]):
                await self._db.execute(
                    "UPDATE certificate_job SET status = 'done', lease_until = NULL, done_at = ?,"
                    f" last_error = NULL WHERE {among}",
                    [now, *ids],
                )

    async def release_certificate_jobs(
        self,
        claims: Sequence[CertificateClaim],
        error: str,
        max_attempts: int,
        backoff: timedelta = timedelta(seconds=30),
    ) -> None:
        """Give jobs back after a failure, to retry after `backoff` × attempts, or 'failed'."""
        now = self.now()
        await self._execute_many(
            "UPDATE certificate_job SET lease_until = ?, last_error = ?,"
            " status = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END"
            " WHERE record_id = ? AND attempts = ? AND status = 'rendering'",
            [
                (_iso(now + backoff * c.token), error[:500], max_attempts, c.record_id, c.token)
                for c in claims
            ],
        )

    async def certificate_job_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) FROM certificate_job GROUP BY status")
        return {row[0]: row[1] for row in rows}

    # Certificate files

    async def certificate_of(self, record_id: int) -> CertificateFile | None:
        row = await self._one(
            "SELECT record_id, path, sha256, size FROM certificate WHERE record_id = ?",
            (record_id,),
        )
        return CertificateFile(**dict(row)) if row else None

    async def certificate_files(self) -> list[CertificateFile]:
        rows = await self._all(
            "SELECT record_id, path, sha256, size FROM certificate ORDER BY record_id"
        )
        return [CertificateFile(**dict(row)) for row in rows]

    async def batch_certificates(self, batch_id: int) -> list[BatchCertificate]:
        """The batch's confirmed records in order, each with its certificate file if rendered."""
        rows = await self._all(
            "SELECT r.id, r.cert_no, s.name, c.path, c.sha256, c.size FROM record r"
            " JOIN exam_result er ON er.id = r.result_id JOIN student s ON s.id = er.student_id"
            " LEFT JOIN certificate c ON c.record_id = r.id"
            " WHERE r.batch_id = ? AND r.status = ? AND r.void_at IS NULL ORDER BY r.id",
            (batch_id, XStatus.CONFIRMED),
        )
        return [
            BatchCertificate(
                row[0],
                row[1],
                row[2],
                CertificateFile(row[0], row[3], row[4], row[5]) if row[3] else None,
            )
            for row in rows
        ]

    # Reminder inputs

    async def open_problem_groups(self) -> list[ProblemGroup]:
        """Unresolved student-info problems grouped by school and deadline."""
        rows = await self._all(
            "SELECT er.site_id, site.name, pr.issuer_id, ip.deadline, COUNT(DISTINCT ip.record_id)"
            " FROM info_problem ip JOIN record r ON r.id = ip.record_id"
            " JOIN exam_result er ON er.id = r.result_id JOIN org site ON site.id = er.site_id"
            " JOIN exam_plan pl ON pl.id = er.plan_id JOIN program pr ON pr.id = pl.program_id"
            " WHERE ip.resolved_at IS NULL"
            " GROUP BY er.site_id, site.name, pr.issuer_id, ip.deadline"
            " ORDER BY ip.deadline, er.site_id"
        )
        return [ProblemGroup(row[0], row[1], row[2], _moment(row[3]), row[4]) for row in rows]

    async def waiting_batches(self, statuses: Sequence[str]) -> list[WaitingBatch]:
        """Per batch and waiting status: the oldest moment a record entered it, and how many."""
        marks = ",".join("?" * len(statuses))
        rows = await self._all(
            "SELECT r.batch_id, r.status, b.site_id, site.name, pr.issuer_id, MIN(r.updated_at),"
            " COUNT(*), pl.name FROM record r JOIN batch b ON b.id = r.batch_id"
            " JOIN org site ON site.id = b.site_id"
            " JOIN exam_plan pl ON pl.id = b.plan_id JOIN program pr ON pr.id = pl.program_id"
            # The batches waiting found from their counts, their records by batch: status is in
            # no index of record (see migration 0230).
            f" WHERE r.batch_id IN (SELECT batch_id FROM batch_count WHERE status IN ({marks})"
            f" AND n > 0) AND r.status IN ({marks})"
            " GROUP BY r.batch_id, r.status, b.site_id, site.name, pr.issuer_id, pl.name"
            " ORDER BY r.batch_id, r.status",
            [*statuses, *statuses],
        )
        return [
            WaitingBatch(row[0], row[1], row[2], row[3], row[4], _moment(row[5]), row[6], row[7])
            for row in rows
        ]
