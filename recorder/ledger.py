"""Append-only, hash-chained, fsync'd, Ed25519-signed logs: the register (REG-1) and the
journal (JRN-1/JRN-2).

Each entry is one JSON line carrying the previous entry's hash, its own hash (SHA-256 of the
canonical entry) and a signature of that hash. Files are split by UTC month so the journal can
drop whole months after `journal_retention_days` (JRN-2) while staying verifiable: the prune
writes an entry naming the anchor (seq + prev hash) where the remaining chain starts. Several
processes (the service, the CLI's `hold`/`export`/`purge`) append safely under an flock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from recorder import keys, timeutil

GENESIS = "0" * 64
PRUNE_KIND = "journal_pruned"


def _canonical(entry: dict[str, Any]) -> bytes:
    body = {k: entry[k] for k in ("seq", "t", "ts", "kind", "data", "prev")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 of the canonical entry (without its hash and signature)."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Problem:
    """The first broken entry found by verify()."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}"


class Ledger:
    """One hash-chained log stored in a directory of monthly JSONL files."""

    def __init__(self, directory: Path, name: str, key: Ed25519PrivateKey | None) -> None:
        self.dir = directory
        self.name = name
        self.key = key
        self._torn: str | None = None

    def _files(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return sorted(p for p in self.dir.glob("*.jsonl") if p.is_file())

    def _lock(self) -> int:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def _last(self) -> tuple[int, str]:
        """(next seq, prev hash) from the last complete line; repairs a torn final write."""
        for path in reversed(self._files()):
            with open(path, "rb+") as fh:
                size = fh.seek(0, os.SEEK_END)
                if size == 0:
                    continue
                back = min(size, 4096)
                while True:  # read back only as far as the last complete line needs
                    fh.seek(size - back)
                    tail = fh.read(back)
                    if back == size or tail.rstrip(b"\n").count(b"\n") >= 1:
                        break
                    back = min(size, back * 4)
                if not tail.endswith(b"\n"):
                    # A crash tore the last write (never acknowledged): drop the fragment so the
                    # chain stays parseable, and say so in the chain itself below.
                    cut = tail.rfind(b"\n") + 1
                    fragment = tail[cut:]
                    fh.truncate(size - back + cut)
                    fh.flush()
                    os.fsync(fh.fileno())
                    self._torn = hashlib.sha256(fragment).hexdigest()
                    tail = tail[:cut]
                lines = tail.splitlines()
                if not lines:
                    continue
                last = json.loads(lines[-1])
                return int(last["seq"]) + 1, str(last["hash"])
        return 0, GENESIS

    def append(self, kind: str, data: dict[str, Any], at: float | None = None) -> dict[str, Any]:
        """Append one signed entry and fsync it before returning (REG-1/JRN-2)."""
        if self.key is None:
            raise RuntimeError(f"{self.name}: opened read-only (no signing key)")
        fd = self._lock()
        try:
            self._torn = None
            seq, prev = self._last()
            if self._torn is not None:
                torn = self._write("torn_write_dropped", {"fragment_sha256": self._torn}, None,
                                   seq, prev)
                seq, prev = seq + 1, str(torn["hash"])
            return self._write(kind, data, at, seq, prev)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, kind: str, data: dict[str, Any], at: float | None, seq: int,
               prev: str) -> dict[str, Any]:
        assert self.key is not None
        t = timeutil.now() if at is None else at
        entry: dict[str, Any] = {"seq": seq, "t": round(t, 3), "ts": timeutil.iso(t),
                                 "kind": kind, "data": data, "prev": prev}
        entry["hash"] = entry_hash(entry)
        entry["sig"] = keys.sign_b64(self.key, bytes.fromhex(entry["hash"]))
        month = datetime.fromtimestamp(timeutil.now(), UTC).strftime("%Y-%m")
        path = self.dir / f"{month}.jsonl"
        files = self._files()
        if files and files[-1].name > path.name:
            path = files[-1]  # never write behind a later file (clock stepped back)
        new = not path.exists()
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if new:
            dfd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        return entry

    def head(self) -> dict[str, Any] | None:
        """The last complete entry, read-only (a torn fragment is ignored), or None."""
        for path, size in reversed(self._snapshot()):
            if size == 0:
                continue
            with open(path, "rb") as fh:
                back = min(size, 4096)
                while True:
                    fh.seek(size - back)
                    tail = fh.read(back)
                    complete = tail[:tail.rfind(b"\n") + 1]
                    if back == size or complete.count(b"\n") >= 2:
                        break
                    back = min(size, back * 4)
            lines = complete.splitlines()
            if lines:
                entry: dict[str, Any] = json.loads(lines[-1])
                return entry
        return None

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry in chain order (unverified)."""
        for path in self._files():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)

    def prune_before(self, cutoff: float) -> list[str]:
        """Drop whole monthly files whose every entry is older than cutoff (JRN-2).

        The newest file is always kept. Writes a `journal_pruned` entry carrying the anchor so
        verify() accepts the shortened chain. Returns the removed file names.
        """
        fd = self._lock()
        removed: list[str] = []
        try:
            files = self._files()
            for path in files[:-1]:
                last_t = None
                with open(path, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            last_t = float(json.loads(line)["t"])
                if last_t is not None and last_t >= cutoff:
                    break
                path.unlink()
                removed.append(path.name)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        if removed:
            first = next(self.entries())
            self.append(PRUNE_KIND, {"files": removed, "anchor_seq": first["seq"],
                                     "anchor_prev": first["prev"],
                                     "cutoff": timeutil.iso(cutoff)})
        return removed

    def _snapshot(self) -> list[tuple[Path, int]]:
        """Files and their sizes taken under the lock: a verify running beside the service
        never reads an append in progress as a torn line."""
        if not self.dir.is_dir():
            return []
        fd = self._lock()
        try:
            return [(p, p.stat().st_size) for p in self._files()]
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def verify(self, public: Ed25519PublicKey) -> tuple[int, Problem | None]:
        """Check the chain: parse, hash, link, signature, sequence. Returns (entries, problem)."""
        count = 0
        expect_prev: str | None = None
        expect_seq: int | None = None
        anchor: tuple[int, str] | None = None
        anchors_seen: set[tuple[int, str]] = set()
        first_loc: tuple[str, int] | None = None
        for path, size in self._snapshot():
            rel = f"{self.name}/{path.name}"
            with open(path, "rb") as fh:
                data = fh.read(size).decode("utf-8", errors="replace")
                for lineno, line in enumerate(data.splitlines(keepends=True), 1):
                    if not line.strip():
                        return count, Problem(rel, lineno, "empty line in an append-only log")
                    if not line.endswith("\n"):
                        return count, Problem(rel, lineno, "torn last line (incomplete write)")
                    try:
                        entry = json.loads(line)
                        seq, prev, h, sig = entry["seq"], entry["prev"], entry["hash"], entry["sig"]
                    except (ValueError, KeyError, TypeError):
                        return count, Problem(rel, lineno, "not a valid entry (unparseable)")
                    try:
                        recomputed = entry_hash(entry)
                    except KeyError:
                        return count, Problem(rel, lineno, "entry is missing fields")
                    if recomputed != h:
                        return count, Problem(rel, lineno, f"seq {seq}: content does not match "
                                              "its hash (entry altered)")
                    if not keys.verify_b64(public, bytes.fromhex(h), sig):
                        return count, Problem(rel, lineno, f"seq {seq}: bad signature")
                    if expect_prev is None:
                        if seq != 0 or prev != GENESIS:
                            anchor = (seq, prev)
                            first_loc = (rel, lineno)
                    elif prev != expect_prev or seq != expect_seq:
                        return count, Problem(rel, lineno, f"seq {seq}: chain broken (previous "
                                              "entry removed, reordered or altered)")
                    if entry["kind"] == PRUNE_KIND:
                        d = entry["data"]
                        anchors_seen.add((int(d.get("anchor_seq", -1)),
                                          str(d.get("anchor_prev", ""))))
                    expect_prev, expect_seq = h, seq + 1
                    count += 1
        if anchor is not None and anchor not in anchors_seen:
            assert first_loc is not None
            return count, Problem(first_loc[0], first_loc[1], f"seq {anchor[0]}: chain does not "
                                  "start at genesis and no prune entry explains it (head removed)")
        return count, None
