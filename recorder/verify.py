"""`recorder verify`: both chains and every stored segment, stopping at the first broken item."""

from __future__ import annotations

from dataclasses import dataclass

from recorder.state import State, sha256_file


@dataclass(frozen=True)
class Report:
    """Outcome of a verification."""

    register_entries: int
    journal_entries: int
    segments: int
    problem: str | None

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return self.problem is None


def verify_all(state: State) -> Report:
    """Verify register chain, journal chain, then every present segment against index and
    register (REG-1, JRN-2, CAM-4 integrity)."""
    public = state.key.public_key()
    n_reg, prob = state.register.verify(public)
    if prob:
        return Report(n_reg, 0, 0, f"register: {prob}")
    n_jrn, prob = state.journal.verify(public)
    if prob:
        return Report(n_reg, n_jrn, 0, f"journal: {prob}")
    # index before register: the recorder appends the register entry before the index row,
    # so every segment read here already has its entry even while recording goes on
    segments = state.index.segments()
    recorded: dict[str, str] = {}
    for entry in state.register.entries():
        if entry["kind"] == "recording":
            recorded[str(entry["data"]["path"])] = str(entry["data"]["sha256"])
    count = 0
    for seg in segments:
        path = state.abspath(seg.path)
        if not path.is_file():
            return Report(n_reg, n_jrn, count, f"segment {seg.path}: file missing but indexed "
                          "as present (deleted outside the purge?)")
        reg_hash = recorded.get(seg.path)
        if reg_hash is None:
            return Report(n_reg, n_jrn, count, f"segment {seg.path}: no `recording` entry in "
                          "the register (REG-1)")
        if reg_hash != seg.sha256:
            return Report(n_reg, n_jrn, count, f"segment {seg.path}: index hash differs from "
                          "the signed register entry (index altered)")
        if sha256_file(path) != seg.sha256:
            return Report(n_reg, n_jrn, count, f"segment {seg.path}: SHA-256 of the file "
                          "differs from the register (video altered)")
        count += 1
    return Report(n_reg, n_jrn, count, None)
