"""Files Qianfa writes for people: private to the account that runs it, complete or absent.

Databases, certificate PDFs, rosters and exports hold full ID numbers: every file a process
creates is 0600 and every folder 0700 (`private_files`, called first by each entry point), or,
with `[files] group` set, 0640 and 0750 owned by that group (`share_files`). Secrets (the
settings, the audit key) and backups, which hold the audit key, stay 0600 either way. An
output file is written beside its target and moved into place; on any error the partial file
is removed, and a missing folder or a folder given as the file is a domain error, not OS text.
"""

from __future__ import annotations

import errno
import grp
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from issuance.core.catalog import t
from issuance.core.errors import Invalid

# Only the owner reads and writes what Qianfa creates (group and others: nothing).
PRIVATE_UMASK = 0o077
# With a configured group, its members read too (others: nothing).
GROUP_UMASK = 0o027
# The mode of an output file: 0600, or 0640 once `share_files` gave them a group.
_output_mode = 0o600


def private_files() -> None:
    """From now on this process creates files 0600 and folders 0700."""
    global _output_mode
    os.umask(PRIVATE_UMASK)
    _output_mode = 0o600


def share_files(group: str) -> None:
    """From now on this process creates files 0640 and folders 0750, owned by `group`: it runs
    as that group (as systemd's Group= does; root switches to it). Raises PermissionError when
    it may not."""
    global _output_mode
    gid = grp.getgrnam(group).gr_gid
    if os.getegid() != gid:
        os.setegid(gid)
    os.umask(GROUP_UMASK)
    _output_mode = 0o640


def write_output(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write `path` through `write` (complete or not at all); returns the path."""
    path = Path(path)
    if path.is_dir():
        raise Invalid("file.is_folder", path=str(path))
    if not path.parent.is_dir():
        raise Invalid("file.no_folder", folder=str(path.parent))
    partial = path.with_name(path.name + ".part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _output_mode)
        with os.fdopen(fd, "wb") as stream:
            write(stream)
        os.replace(partial, path)
    except PermissionError:
        raise Invalid("file.not_writable", path=str(path)) from None
    finally:
        partial.unlink(missing_ok=True)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    """`data` written to `path` (complete or not at all)."""
    return write_output(path, lambda stream: stream.write(data))


def output_format(path: str | Path, allowed: tuple[str, ...], given: str | None = None) -> str:
    """The format to write `path` in: its suffix, which must be one of `allowed` and agree with
    a format given explicitly (`given`, or the first allowed when the name has no suffix)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if not suffix:
        return given or allowed[0]
    if suffix not in allowed or (given and given != suffix):
        raise Invalid(
            "file.format_mismatch",
            path=str(path),
            formats=" | ".join(f".{f}" for f in ((given,) if given else allowed)),
        )
    return suffix


def os_message(error: OSError, locale: str) -> str:
    """An operating system's error in the reader's language, with the file it concerns."""
    name = errno.errorcode.get(error.errno or 0, "")
    key = f"os.{name}" if name in _OS_ERRORS else "os.other"
    return t("os.error", locale, what=t(key, locale), path=error.filename or "")


_OS_ERRORS = ("ENOENT", "EACCES", "EPERM", "ENOSPC", "EISDIR", "ENOTDIR", "EROFS", "EEXIST")
