"""Reading a file an operator named: a regular file only, of bounded size, never a hang.

A FIFO blocks `open()` until a writer comes, `/dev/zero` never ends, a symlink loop or an
over-long name raises an OSError an engineer cannot act on: each becomes one clear message.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_BYTES = 4 * 1024 * 1024  # far above any inventory file (a site file is ~5 kB)


class UnreadableFile(OSError):
    """The file cannot be read as an inventory file; `str()` says why and what to do."""


def describe_oserror(exc: OSError) -> str:
    """A one-line reason for an OSError on a path (loop, name too long, permission…)."""
    reasons = {errno.ELOOP: "symbolic link loop", errno.ENAMETOOLONG: "file name too long",
               errno.ENOENT: "no such file", errno.EACCES: "permission denied",
               errno.ENOTDIR: "a parent of the path is not a directory",
               errno.EISDIR: "is a directory"}
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The content of a regular file of at most `limit` bytes, or UnreadableFile.

    The file is stat-ed before it is opened (a FIFO is never opened), opened non-blocking and
    checked again on the open descriptor (no swap between the two), and read at most limit+1
    bytes (a file that grows while read is still refused).
    """
    try:
        before = os.stat(path)
    except OSError as exc:
        raise UnreadableFile(f"{path}: {describe_oserror(exc)}") from None
    except ValueError as exc:  # an embedded NUL in the name
        raise UnreadableFile(f"{path}: invalid file name ({exc})") from None
    if not stat.S_ISREG(before.st_mode):
        raise UnreadableFile(f"{path}: {_kind(before.st_mode)}, not a regular file")
    if before.st_size > limit:
        raise UnreadableFile(f"{path}: {before.st_size} bytes, more than the {limit} an "
                             "inventory file may hold")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise UnreadableFile(f"{path}: {describe_oserror(exc)}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UnreadableFile(f"{path}: replaced while opened; not a regular file")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"{path}: more than the {limit} bytes an inventory file may hold")
    return data


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """`read_bytes` decoded as UTF-8 (UnicodeDecodeError is left to the caller)."""
    return read_bytes(path, limit).decode("utf-8")


def path_problem(path: Path) -> str:
    """Why `path` cannot be used as given ("does not exist", "symbolic link loop"…), or ""."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return describe_oserror(exc)
    except ValueError as exc:
        return f"invalid path ({exc})"
    return ""


def is_regular(path: Path) -> bool:
    """True for an existing regular file (after symlinks); never raises."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
