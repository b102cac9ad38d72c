"""Verify status of a chain for the console, without re-checking every signature at every
page load (a month of 60 s segments of two cameras is ~86,000 register entries: tens of
seconds of Ed25519). What was verified is remembered as the SHA-256 of each file's verified
prefix; the next check re-hashes those bytes (fast) and verifies signatures of the new lines
only. Anything but an append (a byte changed, a file shrunk, removed or added before the
last) falls back to the full Ledger.verify, which names the problem (REG-1, JRN-2).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from recorder import keys
from recorder.ledger import GENESIS, Ledger, entry_hash


@dataclass
class _Verified:
    """How far a chain was verified: per file, the verified size and its bytes' SHA-256."""

    files: list[tuple[str, int, str]] = field(default_factory=list)
    count: int = 0
    prev: str = GENESIS
    seq: int = 0


_cache: dict[Path, _Verified] = {}
_lock = threading.Lock()


def _complete(path: Path) -> bytes:
    """The file's bytes up to its last newline (an append in progress is not read)."""
    data = path.read_bytes()
    return data[:data.rfind(b"\n") + 1]


def _full(ledger: Ledger, public: Ed25519PublicKey) -> tuple[int, str | None]:
    count, problem = ledger.verify(public)
    key = ledger.dir.resolve()
    if problem is not None:
        _cache.pop(key, None)
        return count, str(problem)
    # remember exactly the `count` lines verify() checked: lines appended since are not
    done = _Verified()
    left = count
    for path in sorted(ledger.dir.glob("*.jsonl")) if ledger.dir.is_dir() else []:
        data = _complete(path)
        size = 0
        while left and size < len(data):
            end = data.index(b"\n", size) + 1
            entry = json.loads(data[size:end])
            done.prev, done.seq = str(entry["hash"]), int(entry["seq"]) + 1
            size, left = end, left - 1
        done.files.append((path.name, size, hashlib.sha256(data[:size]).hexdigest()))
    done.count = count
    _cache[key] = done
    return count, None


def _tail_problem(name: str, lines: list[bytes], done: _Verified, first_line: int,
                  public: Ed25519PublicKey) -> str | None:
    """Check appended lines against the chain's end; advances `done`."""
    for n, line in enumerate(lines, first_line):
        where = f"{name} line {n}"
        try:
            entry = json.loads(line)
            seq, prev, h, sig = entry["seq"], entry["prev"], entry["hash"], entry["sig"]
            recomputed = entry_hash(entry)
        except (ValueError, KeyError, TypeError):
            return f"{where}: not a valid entry (unparseable)"
        if recomputed != h:
            return f"{where}: seq {seq}: content does not match its hash (entry altered)"
        if not keys.verify_b64(public, bytes.fromhex(h), sig):
            return f"{where}: seq {seq}: bad signature"
        if prev != done.prev or seq != done.seq:
            return f"{where}: seq {seq}: chain broken (previous entry removed, reordered " \
                   "or altered)"
        done.prev, done.seq, done.count = str(h), int(seq) + 1, done.count + 1
    return None


def status(ledger: Ledger, public: Ed25519PublicKey) -> tuple[int, str | None]:
    """(entries verified, first problem or None), incrementally when only appends happened."""
    key = ledger.dir.resolve()
    with _lock:
        done = _cache.get(key)
        if done is None:
            return _full(ledger, public)
        paths = sorted(ledger.dir.glob("*.jsonl")) if ledger.dir.is_dir() else []
        names = [p.name for p in paths]
        if names[:len(done.files)] != [f[0] for f in done.files]:
            return _full(ledger, public)  # a file removed or inserted: prune, or tampering
        work = _Verified(list(done.files), done.count, done.prev, done.seq)
        for i, path in enumerate(paths):
            data = _complete(path)
            size, h = 0, hashlib.sha256()
            if i < len(done.files):
                _, size, digest = done.files[i]
                h.update(memoryview(data)[:size])
                if len(data) < size or h.hexdigest() != digest:
                    return _full(ledger, public)  # verified bytes changed: name the problem
            new = memoryview(data)[size:]
            if new:
                problem = _tail_problem(f"{ledger.name}/{path.name}", bytes(new).splitlines(),
                                        work, data.count(b"\n", 0, size) + 1, public)
                if problem is not None:
                    _cache.pop(key, None)
                    return work.count, problem
                h.update(new)
            entry = (path.name, len(data), h.hexdigest())
            if i < len(work.files):
                work.files[i] = entry
            else:
                work.files.append(entry)
        _cache[key] = work
        return work.count, None
