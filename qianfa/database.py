"""`qianfa db copy`, `db backup` and `db restore`: moving the data to another database, keeping
it, and getting it back."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from issuance.core.catalog import t
from issuance.core.errors import DomainError
from issuance.core.settings import Settings
from issuance.store import Store, backups
from issuance.store.transfer import backup, copy_database
from qianfa.helptext import help_text
from qianfa.operations import home_store


def _shown(location: Path | str) -> str:
    """A database location without its password, for messages."""
    if isinstance(location, Path) or "@" not in location:
        return str(location)
    scheme, _, rest = location.partition("://")
    credentials, _, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':')[0]}@{host}"


async def cmd_copy(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    target_location = replace(settings, database_url=args.to).database
    if str(target_location) == str(settings.database):
        raise DomainError("db.copy.same")
    waits = settings.database_busy_timeout_seconds
    source = await Store.open(settings.database, busy_seconds=waits)
    try:
        target = await Store.open(target_location, busy_seconds=waits)
        try:
            report = await copy_database(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
    rows = sum(report.tables.values())
    result = {"tables": report.tables, "audit_entries": report.audit_entries}
    text = t(
        "db.copy.done",
        rows=rows,
        tables=len(report.tables),
        target=_shown(target_location),
        entries=report.audit_entries,
    )
    return result, text


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    if args.out is None or args.out.endswith(backups.SUFFIX):
        return await backup_archive(settings, Path(args.out).resolve() if args.out else None)
    out = Path(args.out).resolve()
    store = await Store.open(settings.database, busy_seconds=settings.database_busy_timeout_seconds)
    try:
        how = await backup(store, out)
    finally:
        await store.close()
    return {"out": str(out), "method": how}, t("db.backup.done", out=out, how=how)


async def backup_archive(settings: Settings, out: Path | None) -> tuple[Any, str]:
    """One archive (database, audit key and head, manifest) of the home, by hand or scheduled."""
    async with home_store(settings) as store:
        out = out or settings.backup_path / backups.archive_name(store.now())
        manifest = await backups.take_backup(store, settings.home, out)
    result = {"out": str(out), "method": "archive", **asdict(manifest)}
    text = t(
        "db.backup.archived",
        out=out,
        schema=manifest.schema,
        tables=len(manifest.counts),
        rows=sum(manifest.counts.values()),
        entries=manifest.audit_entries,
    )
    return result, text


async def cmd_restore(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    archive = Path(args.archive).resolve()
    report = await backups.restore(archive, settings.home, settings.database, Store)
    manifest = report.manifest
    result = {
        "archive": str(archive),
        "schema_then": manifest.schema,
        "schema_now": report.schema_now,
        "counts": manifest.counts,
        "audit_entries": manifest.audit_entries,
    }
    text = t(
        "db.restore.done",
        archive=archive,
        tables=len(manifest.counts),
        rows=sum(manifest.counts.values()),
        entries=manifest.audit_entries,
        schema_then=manifest.schema,
        schema_now=report.schema_now,
    )
    return result, text


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `db copy` and `db backup` to the command line."""
    p = sub.add_parser("db", parents=[common], help=help_text("help.db"))
    db_sub = p.add_subparsers(dest="db_command", required=True, title=help_text("help.commands"))
    p = db_sub.add_parser("copy", parents=[common], help=help_text("help.db.copy"))
    p.add_argument("--to", required=True, help=help_text("help.db.copy.to"))
    p.set_defaults(func=cmd_copy)
    p = db_sub.add_parser("backup", parents=[common], help=help_text("help.db.backup.archive"))
    p.add_argument(
        "--out",
        help=f"{help_text('help.db.backup.out_archive')}; {help_text('help.db.backup.out')}",
    )
    p.set_defaults(func=cmd_backup)
    p = db_sub.add_parser("restore", parents=[common], help=help_text("help.db.restore"))
    p.add_argument("archive", help=help_text("help.db.restore.archive"))
    p.set_defaults(func=cmd_restore)
