"""The audit chain's anchor outside the database: a MAC key and a signed head (count + last hash).

The public hash chain finds an edited entry, but anyone who can write the database can recompute
every hash after an edit, or cut entries off the end. Entries written once the chain is anchored
also carry HMAC-SHA256(key, hash) with a key kept in the home (`audit.key`), never in the database;
the head file (`audit.head`) records how many entries the log had and the last one's hash, signed
with the same key and replaced atomically after each commit that appends. Entries older than the
anchor point (`keyed_from`) are checked by the public rule only.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from issuance.core.audit import StoredEntry
from issuance.core.files import os_message

KEY_NAME = "audit.key"
HEAD_NAME = "audit.head"


@dataclass(frozen=True)
class Head:
    """What the log held after the last anchored commit."""

    keyed_from: int  # the first entry carrying a MAC
    count: int  # entries 1..count existed; the last of them had `last_hash`
    last_hash: str


class AnchorError(Exception):
    """The anchor files are missing, unreadable or do not match their signature."""


class AuditAnchor:
    """The key and head files of one home."""

    def __init__(self, home: Path) -> None:
        self.key_path = home / KEY_NAME
        self.head_path = home / HEAD_NAME
        self._key: bytes | None = None

    @property
    def exists(self) -> bool:
        return self.key_path.exists() or self.head_path.exists()

    def key(self) -> bytes:
        if self._key is None:
            try:
                self._key = bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
            except (OSError, ValueError) as error:
                raise AnchorError(f"{self.key_path}：{_unreadable(error)}") from None
            if len(self._key) < 32:
                raise AnchorError(f"{self.key_path}：密钥过短 (key too short)")
        return self._key

    def mac(self, entry_hash: str) -> str:
        """The keyed MAC of an entry, over its (chained) hash."""
        return hmac.new(self.key(), entry_hash.encode("ascii"), hashlib.sha256).hexdigest()

    def create(self, count: int, last_hash: str) -> Head:
        """Anchor a log of `count` entries for the first time: new key, head at its end."""
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        _write_atomically(self.key_path, key.hex().encode("ascii"))
        self._key = key
        head = Head(keyed_from=count + 1, count=count, last_hash=last_hash)
        self._write_head(head)
        return head

    def head(self) -> Head:
        try:
            data = json.loads(self.head_path.read_text(encoding="utf-8"))
            head = Head(int(data["keyed_from"]), int(data["count"]), str(data["last_hash"]))
            signature = str(data["mac"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AnchorError(f"{self.head_path}：{_unreadable(error)}") from None
        if not hmac.compare_digest(signature, self.head_mac(head)):
            raise AnchorError(
                f"{self.head_path}：签名不符，文件被改动过 (signature does not match)"
            )
        return head

    def advance(self, count: int, last_hash: str, hash_at: dict[int, str]) -> None:
        """Move the head forward to `count` entries, if the entry it names is still as recorded.

        `hash_at` maps the old head's count to that entry's current hash; a head whose last entry
        was removed or rewritten stays where it is, so `audit verify` keeps reporting it.
        """
        with self.locked():
            head = self.head()
            if count <= head.count:
                return
            if head.count and hash_at.get(head.count) != head.last_hash:
                return
            self._write_head(Head(head.keyed_from, count, last_hash))

    def problem(self, entries: Sequence[StoredEntry], macs: dict[int, str | None]) -> str | None:
        """Why the log does not match its anchor (MACs, head count and hash), or None."""
        try:
            head = self.head()
        except AnchorError as error:
            return f"anchor: {error}"
        for stored in entries:
            if stored.id < head.keyed_from:
                continue
            mac = macs.get(stored.id)
            if mac is None or not hmac.compare_digest(mac, self.mac(stored.hash)):
                return (
                    f"entry {stored.id}: keyed MAC does not match"
                    " (entry edited or re-hashed without the key)"
                )
        last = entries[-1].id if entries else 0
        if last < head.count:
            return (
                f"the log ends at entry {last}, the anchor recorded {head.count}"
                " (entries deleted from the end)"
            )
        at_head = next((e for e in entries if e.id == head.count), None)
        if head.count and (at_head is None or at_head.hash != head.last_hash):
            return f"entry {head.count} differs from the anchored head"
        return None

    def adopt(self, head: Head) -> None:
        """Start this home's head file at `head` (a host joining a shared database, whose signed
        head the caller checked with the key)."""
        self._write_head(head)

    def head_mac(self, head: Head) -> str:
        """The head's signature: HMAC-SHA256 under the key over its canonical JSON."""
        encoded = json.dumps(asdict(head), sort_keys=True, separators=(",", ":"))
        return hmac.new(self.key(), encoded.encode("ascii"), hashlib.sha256).hexdigest()

    def _write_head(self, head: Head) -> None:
        data = {**asdict(head), "mac": self.head_mac(head)}
        _write_atomically(self.head_path, json.dumps(data, sort_keys=True).encode("ascii"))

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the anchor's lock: several processes (web, bot, worker) create and advance it."""
        self.head_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.head_path.with_name(HEAD_NAME + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _unreadable(error: Exception) -> str:
    """Why an anchor file cannot be used, Chinese first (not Python's exception text)."""
    if isinstance(error, OSError):
        return f"{os_message(error, 'zh')} ({os_message(error, 'en')})"
    return "内容不是有效的锚点文件 (not a valid anchor file)"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file, fsync, rename over `path`, fsync the folder."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
