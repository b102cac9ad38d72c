"""`recorder verify`: both chains, the register against the storage, every stored segment,
and the chain heads against signed checkpoints; stops at the first broken item."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder import checkpoint
from recorder.state import State, sha256_file


@dataclass(frozen=True)
class Report:
    """Outcome of a verification."""

    register_entries: int
    journal_entries: int
    segments: int
    problem: str | None
    checkpoint: str = "no local checkpoint yet"

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return self.problem is None


def verify_all(state: State, witness: Path | None = None) -> Report:
    """Verify register chain, journal chain, register against index and storage, then the
    chain heads against the local checkpoint and an optional witnessed one (REG-1, JRN-2)."""
    public = state.key.public_key()
    n_reg, prob = state.register.verify(public)
    if prob:
        return Report(n_reg, 0, 0, f"register: {prob}")
    n_jrn, prob = state.journal.verify(public)
    if prob:
        return Report(n_reg, n_jrn, 0, f"journal: {prob}")
    from recorder.access_requests import Store  # right-of-access requests: same discipline

    _, prob = Store(state).ledger.verify(public)
    if prob:
        return Report(n_reg, n_jrn, 0, f"access requests: {prob}")
    count, problem = _storage(state)
    if problem:  # a purge may be between its unlink and its register entry: look once more
        time.sleep(0.5)
        count, problem = _storage(state)
    if problem:
        return Report(n_reg, n_jrn, count, problem)
    sources: list[tuple[str, dict[str, Any] | None]] = []
    local_path = state.config.checkpoint_dir / checkpoint.LATEST
    try:
        sources.append((f"checkpoint {local_path}", checkpoint.latest(state.config.checkpoint_dir)))
        if witness is not None:
            sources.append((f"witness {witness}", checkpoint.read(witness)))
    except ValueError as exc:
        return Report(n_reg, n_jrn, count, f"checkpoint: {exc}")
    said = "no local checkpoint yet"
    for origin, cp in sources:
        if cp is None:
            continue
        problem = checkpoint.check(state, cp, public, origin)
        if problem:
            return Report(n_reg, n_jrn, count, problem)
        said = f"chain heads hold the {origin.split()[0]} of {cp.get('ts')}"
    return Report(n_reg, n_jrn, count, None, said)


def _storage(state: State) -> tuple[int, str | None]:
    """Index and register against the files: nothing recorded disappears unregistered."""
    # index before register: the recorder appends the register entry before the index row,
    # so every segment read here already has its entry even while recording goes on
    segments = state.index.segments(present_only=False)
    recorded: dict[str, str] = {}
    gone: set[str] = set()  # destroyed by the purge, or moved out with the transmission
    for entry in state.register.entries():
        data = entry["data"]
        if entry["kind"] == "recording":
            recorded[str(data["path"])] = str(data["sha256"])
        elif entry["kind"] == "destruction":
            gone.add(str(data["path"]))
        elif entry["kind"] == "transmission":
            gone.update(str(p) for p in data.get("paths", []))
    count = 0
    checked: set[str] = set()
    for seg in segments:
        reg_hash = recorded.get(seg.path)
        if reg_hash is None:
            return count, (f"segment {seg.path}: no `recording` entry in the register (REG-1)")
        if seg.status != "present":
            if seg.path not in gone:
                return count, (f"segment {seg.path}: indexed as {seg.status} but the register "
                               "has no `destruction` entry (deleted outside the purge?)")
            continue
        path = state.abspath(seg.path)
        if not path.is_file():
            return count, (f"segment {seg.path}: file missing but indexed as present (deleted "
                           "outside the purge?)")
        if reg_hash != seg.sha256:
            return count, (f"segment {seg.path}: index hash differs from the signed register "
                           "entry (index altered)")
        if sha256_file(path) != seg.sha256:
            return count, (f"segment {seg.path}: SHA-256 of the file differs from the register "
                           "(video altered)")
        checked.add(seg.path)
        count += 1
    for rel, digest in recorded.items():
        if rel in gone or rel in checked:
            continue
        path = state.abspath(rel)
        if not path.is_file():
            return count, (f"segment {rel}: signed `recording` entry in the register, no "
                           "`destruction` entry, and the file is gone (REG-1: evidence removed "
                           "outside the purge)")
        if sha256_file(path) != digest:
            return count, (f"segment {rel}: SHA-256 of the file differs from the register "
                           "(video altered)")
    return count, None
