"""The figures an operator watches that live in the database (queue depths, work waiting, acts
by status, audit length): read at scrape time, the same from every process."""

from __future__ import annotations

from datetime import datetime

from issuance.store.base import BaseStore

# One figure read at scrape time: name, help, labels, value.
Figure = tuple[str, str, dict[str, str], float]

# What each import kind fills: orgs, people, results, graduates, qualifications (pending
# matches), grades; employment is a column of graduate.
IMPORTED = ("org", "person", "exam_result", "graduate", "qualification_pending", "graduate_grade")


async def database_figures(store: BaseStore, now: datetime) -> list[Figure]:
    """Queue depths, work waiting, acts by status and the audit log's length, read now."""
    figures: list[Figure] = []
    depth = "qianfa_outbox_depth"
    depth_help = "Outbox messages not sent yet (pending or being sent), per channel."
    oldest = "qianfa_outbox_oldest_seconds"
    oldest_help = "Age of the oldest message not sent yet, per channel."
    settled = "qianfa_outbox_messages"
    settled_help = "Outbox messages by channel and status (all processes, whole history)."
    for row in await store._all(
        "SELECT channel, status, COUNT(*), MIN(created_at) FROM outbox GROUP BY channel, status"
    ):
        channel, status, count = str(row[0]), str(row[1]), float(row[2])
        figures.append((settled, settled_help, {"channel": channel, "status": status}, count))
        if status in ("pending", "sending"):
            figures.append((depth, depth_help, {"channel": channel, "status": status}, count))
            age = (now - datetime.fromisoformat(str(row[3]))).total_seconds()
            figures.append((oldest, oldest_help, {"channel": channel, "status": status}, age))
    for row in await store._all(
        "SELECT channel, SUM(attempts - 1) FROM outbox WHERE attempts > 1 GROUP BY channel"
    ):
        figures.append(
            (
                "qianfa_outbox_retries",
                "Send attempts beyond the first, per channel (whole history).",
                {"channel": str(row[0])},
                float(row[1]),
            )
        )
    for row in await store._all("SELECT status, COUNT(*) FROM certificate_job GROUP BY status"):
        figures.append(
            (
                "qianfa_certificate_jobs",
                "Certificate render jobs by status (pending: waiting to be rendered).",
                {"status": str(row[0])},
                float(row[1]),
            )
        )
    acts = "qianfa_acts"
    acts_help = "X-certificate records and graduation items by workflow and status."
    for row in await store._all("SELECT status, COUNT(*) FROM record GROUP BY status"):
        figures.append((acts, acts_help, {"workflow": "xcert", "status": str(row[0])}, row[1]))
    for row in await store._all("SELECT status, COUNT(*) FROM grad_item GROUP BY status"):
        figures.append((acts, acts_help, {"workflow": "graduation", "status": str(row[0])}, row[1]))
    imported = "Rows of the tables imports fill, per kind (their growth is the rows imported)."
    for table in IMPORTED:
        rows = await _count(store, f"SELECT COUNT(*) FROM {table}")
        figures.append(("qianfa_imported_rows", imported, {"kind": table}, rows))
    rendered = await _count(store, "SELECT COUNT(*) FROM certificate")
    figures.append(("qianfa_certificates", "Certificate PDFs rendered (database).", {}, rendered))
    entries = await _count(store, "SELECT COUNT(*) FROM audit")
    figures.append(("qianfa_audit_entries", "Entries in the audit log.", {}, entries))
    return figures


async def _count(store: BaseStore, sql: str) -> float:
    row = await store._one(sql)
    return float(row[0]) if row else 0.0


def pool_figures(driver: object) -> list[Figure]:
    """The PostgreSQL connection pool's use in this process (none for SQLite)."""
    pool = getattr(driver, "pool", None)
    if pool is None:
        return []
    stats = pool.get_stats()
    help_text = "Connection pool of this process: size, available and waiting requests."
    return [
        ("qianfa_db_pool", help_text, {"figure": name}, float(stats.get(key, 0)))
        for name, key in (
            ("size", "pool_size"),
            ("available", "pool_available"),
            ("waiting", "requests_waiting"),
            ("max", "pool_max"),
        )
    ]
