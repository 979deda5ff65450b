"""Backups that restore: the database, its audit key and head, and a manifest, as one archive.

An archive (`qianfa-YYYYMMDDTHHMMSS.tar.gz`, mode 0600: it holds the audit key) contains
`manifest.json` (release, schema, dialect, every table's row count and the audit log's end, as
seen by the snapshot the database copy was made from, and each file's SHA-256), the database
(`qianfa.db`: SQLite's backup API; `qianfa.dump`: pg_dump's custom format, taken from the very
snapshot the counts were read in), `audit.key`, `audit.head`, and the home's `qianfa.toml`.

The head is read before the snapshot is taken: it moves only after the entries it names are
committed, so the snapshot holds at least what the head vouches for, and a restore verifies.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from issuance.core.audit import first_broken
from issuance.core.errors import DomainError
from issuance.store.anchor import HEAD_NAME, KEY_NAME, AuditAnchor
from issuance.store.base import BaseStore, migrations
from issuance.store.driver import SqliteDriver

FORMAT = 1
MANIFEST = "manifest.json"
CONFIG = "qianfa.toml"
PREFIX, SUFFIX = "qianfa-", ".tar.gz"


def product_version() -> str:
    """This release's version (pyproject), or "unknown" when not installed."""
    try:
        return version("qianfa")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Manifest:
    """What an archive holds, as recorded when it was made."""

    format: int
    product: str
    schema: int
    dialect: str
    created_at: str
    counts: dict[str, int]
    audit_entries: int
    audit_last_hash: str
    files: dict[str, str]  # name in the archive -> SHA-256


@dataclass(frozen=True)
class RestoreReport:
    """A verified restore: the manifest it matched and the schema it was migrated to."""

    manifest: Manifest
    schema_now: int


async def table_names(store: BaseStore) -> list[str]:
    """Every table of the store's schema, sorted."""
    if store.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    return sorted(str(row[0]) for row in await store._all(sql))


async def _counts_and_end(store: BaseStore) -> tuple[dict[str, int], int, str]:
    counts = {}
    for table in await table_names(store):
        row = await store._one(f"SELECT COUNT(*) FROM {table}")
        counts[table] = int(row[0]) if row else 0
    last = await store._one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
    return counts, int(last[0]) if last else 0, str(last[1]) if last else ""


def archive_name(moment: datetime) -> str:
    """The archive's file name: its time (the database's clock, Asia/Shanghai) sorts them."""
    return moment.strftime(archive_name_pattern())


def archive_name_pattern() -> str:
    return f"{PREFIX}%Y%m%dT%H%M%S{SUFFIX}"


async def take_backup(store: BaseStore, home: Path, out: Path) -> Manifest:
    """Write one archive at `out` (a new file) while others keep writing."""
    if out.exists():
        raise DomainError("db.backup.exists", path=str(out))
    anchor = AuditAnchor(home)
    # Head first (see the module's docstring); the key and head are copied as they are.
    key = anchor.key_path.read_bytes()
    head = anchor.head_path.read_bytes()
    anchor.head()  # a broken head is refused now, not found at restore
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as scratch:
        database, counts, entries, last_hash = await _snapshot(store, Path(scratch))
        members = {
            database.name: database.read_bytes(),
            KEY_NAME: key,
            HEAD_NAME: head,
        }
        if (home / CONFIG).exists():
            members[CONFIG] = (home / CONFIG).read_bytes()
    manifest = Manifest(
        format=FORMAT,
        product=product_version(),
        schema=await store.schema_version(),
        dialect=store.dialect,
        created_at=store.now_iso(),
        counts=counts,
        audit_entries=entries,
        audit_last_hash=last_hash,
        files={name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    )
    members = {MANIFEST: json.dumps(asdict(manifest), indent=1).encode("utf-8"), **members}
    await asyncio.to_thread(_write_archive, out, members)
    return manifest


async def _snapshot(store: BaseStore, scratch: Path) -> tuple[Path, dict[str, int], int, str]:
    """The database copied into `scratch`, with the counts and audit end of the same snapshot."""
    async with store.transaction(write=False):
        if isinstance(store.driver, SqliteDriver):
            counts, entries, last_hash = await _counts_and_end(store)
            target = scratch / "qianfa.db"
            copy = sqlite3.connect(target)
            try:
                # The same connection, inside the read transaction the counts were read in.
                await store.driver.db.backup(copy)
            finally:
                copy.close()
            return target, counts, entries, last_hash
        await store._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = await store._one("SELECT pg_export_snapshot()")
        assert row is not None
        counts, entries, last_hash = await _counts_and_end(store)
        target = scratch / "qianfa.dump"
        await _run(
            _tool("pg_dump"),
            "--format=custom",
            f"--snapshot={row[0]}",
            "--no-owner",
            "--file",
            str(target),
            _url(store),
        )
        return target, counts, entries, last_hash


def _url(store: BaseStore) -> str:
    return str(getattr(store.driver, "url", ""))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DomainError("db.backup.tool_missing", tool=name)
    return found


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, error = await process.communicate()
    if process.returncode != 0:
        why = error.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise DomainError("db.backup.tool_failed", tool=Path(command[0]).name, why=why[0])


def _write_archive(out: Path, members: dict[str, bytes]) -> None:
    """The archive written beside `out`, fsynced, then renamed into place (never half there)."""
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o600
                archive.addfile(info, io.BytesIO(data))
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_archive(path: Path) -> tuple[Manifest, dict[str, bytes]]:
    """The manifest and files of an archive, each file checked against its recorded SHA-256."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            files: dict[str, bytes] = {}
            for member in archive.getmembers():
                extracted = archive.extractfile(member) if member.isfile() else None
                if extracted is not None:
                    files[member.name] = extracted.read()
        data = json.loads(files.pop(MANIFEST))
        manifest = Manifest(**data)
    except (OSError, tarfile.TarError, KeyError, ValueError, TypeError) as error:
        raise DomainError("db.restore.unreadable", path=str(path), why=str(error)) from None
    if manifest.format != FORMAT:
        raise DomainError("db.restore.unreadable", path=str(path), why=f"format {manifest.format}")
    for name, digest in manifest.files.items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != digest:
            raise DomainError("db.restore.corrupt", path=str(path), file=name)
    return manifest, files


async def restore(
    archive: Path, home: Path, location: Path | str, store_type: Any
) -> RestoreReport:
    """Restore `archive` into an empty home (SQLite file at `location`) or an empty PostgreSQL
    database (`location` a URL), then verify: audit chain and anchor, every count as recorded."""
    manifest, files = read_archive(archive)
    shipped = max(number for number, _, _ in migrations(manifest.dialect))
    if manifest.schema > shipped:
        raise DomainError("db.restore.newer", schema=manifest.schema, ours=shipped)
    dialect = "sqlite" if isinstance(location, Path) else "postgresql"
    if dialect != manifest.dialect:
        raise DomainError("db.restore.dialect", archive=manifest.dialect, target=dialect)
    anchor = AuditAnchor(home)
    if anchor.exists:
        raise DomainError("db.restore.not_empty", what=str(anchor.key_path.parent))
    home.mkdir(parents=True, exist_ok=True)
    if isinstance(location, Path):
        _restore_sqlite(files["qianfa.db"], location)
    else:
        await _restore_postgresql(files["qianfa.dump"], location, home)
    for name in (KEY_NAME, HEAD_NAME) + ((CONFIG,) if not (home / CONFIG).exists() else ()):
        if name in files:
            _write_private(home / name, files[name])
    try:
        await _verify(manifest, location, anchor, store_type)
    except BaseException:
        # A restore that does not verify leaves no home behind to be mistaken for a good one (a
        # PostgreSQL database keeps what pg_restore wrote, for inspection: drop it by hand).
        for path in (anchor.key_path, anchor.head_path):
            path.unlink(missing_ok=True)
        if isinstance(location, Path):
            location.unlink(missing_ok=True)
        raise
    # Now at this release's schema (an older archive is migrated like any older database).
    store = await store_type.open(location)
    try:
        schema_now = await store.schema_version()
    finally:
        await store.close()
    return RestoreReport(manifest, schema_now)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        os.fsync(out.fileno())


def _restore_sqlite(data: bytes, location: Path) -> None:
    leftovers = [p for p in (location, location.with_name(location.name + "-wal")) if p.exists()]
    if leftovers:
        raise DomainError("db.restore.not_empty", what=str(leftovers[0]))
    location.parent.mkdir(parents=True, exist_ok=True)
    temporary = location.with_name(f".{location.name}.restoring")
    temporary.write_bytes(data)
    with open(temporary, "rb+") as written:
        os.fsync(written.fileno())
    os.replace(temporary, location)


async def _restore_postgresql(data: bytes, url: str, home: Path) -> None:
    # Empty: no table at all (Store.open would create them, so look with the driver only).
    from issuance.store.postgresql import PostgresDriver

    driver = await PostgresDriver.open(url, size=1)
    try:
        async with driver.transaction(write=False) as connection:
            found = await connection.execute(
                "SELECT COUNT(*) FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
            tables = (await found.fetchone())[0]
    finally:
        await driver.close()
    if tables:
        raise DomainError("db.restore.not_empty", what=f"{tables} tables in the database")
    with tempfile.TemporaryDirectory(dir=home, prefix=".restore-") as scratch:
        dump = Path(scratch) / "qianfa.dump"
        dump.write_bytes(data)
        await _run(
            _tool("pg_restore"),
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            url,
            str(dump),
        )


async def _verify(
    manifest: Manifest, location: Path | str, anchor: AuditAnchor, store_type: Any
) -> None:
    """Counts as recorded, the audit chain intact, and the keyed MACs and head matching."""
    async with _opened(store_type, location, manifest.schema) as store:
        counts, entries, last_hash = await _counts_and_end(store)
        if counts != manifest.counts:
            differ = sorted(
                name
                for name in set(counts) | set(manifest.counts)
                if counts.get(name) != manifest.counts.get(name)
            )
            raise DomainError("db.restore.counts", tables=", ".join(differ))
        if (entries, last_hash) != (manifest.audit_entries, manifest.audit_last_hash):
            raise DomainError("db.restore.audit", why="the log's end differs from the manifest")
        log = await store.audit_entries()
        if (broken := first_broken(log)) is not None:
            raise DomainError("db.restore.audit", why=f"entry {broken[0]}: {broken[1]}")
        if why := anchor.problem(log, await store.audit_macs()):
            raise DomainError("db.restore.audit", why=why)


@asynccontextmanager
async def _opened(store_type: Any, location: Path | str, schema: int) -> AsyncIterator[Any]:
    store = await store_type.open(location, upto=schema)
    try:
        yield store
    finally:
        await store.close()


def newest_archives(folder: Path) -> list[Path]:
    """The archives in `folder`, newest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the `keep` newest archives; returns what was removed."""
    removed = newest_archives(folder)[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
