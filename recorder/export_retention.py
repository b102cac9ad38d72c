"""Retention of the export bundles left on the NVR (RET-1, REG-1).

An export, or an EXP-5 blurred extract made from one, is a copy of recordings: it is kept no
longer than the segments it holds. It goes whole (what remains always verifies) once its
oldest segment is past `retention_days`, unless active legal holds cover every file in it:
only a hold tied to a judicial requisition keeps a recording longer (RET-1). The export's own
requisition reference does not: it documents a transmission, and the parquet keeps the
transmitted copy. A bundle no longer there (moved to removable media, deleted by hand) is
registered as gone once and journaled, so the register accounts for every copy.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from recorder import timeutil
from recorder.index import ExportCopy, Hold
from recorder.state import State

log = logging.getLogger("recorder.retention")
DAY = 86400.0
# what export.export() writes beside the copied segments (nothing else is ever deleted)
BUNDLE_FILES = ("manifest.json", "manifest.sig", "nvr-public-key.pem", "LISEZMOI.txt",
                "DERIVATIVE.json", "DERIVATIVE.json.sig",  # EXP-5 extracts
                "verification.html", "hls.light.min.js", "hls.js-LICENSE.txt")  # issue 14:
# export.PLAYER (the in-browser check and player) and export.PLAYER_ASSETS
MARKERS = ("manifest.json", "DERIVATIVE.json")


def _held(copy: ExportCopy, holds: list[Hold]) -> bool:
    """True when active holds cover every file of the bundle."""
    return all(any(h.released is None and h.camera in ("*", f["camera"])
                   and float(f["start"]) < h.end and float(f["end"]) > h.start for h in holds)
               for f in copy.files)


def _remove_bundle(directory: Path, copy: ExportCopy) -> list[str]:
    """Delete the files the export wrote; return what was left in place (not ours)."""
    ours = [directory / str(f["copy"]) for f in copy.files]
    ours += [directory / name for name in BUNDLE_FILES]
    ours += list(directory.glob("*.m3u"))
    for path in ours:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    for sub in sorted({p.parent for p in ours if p.parent != directory}, reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()  # only when empty
    left = sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))
    if not left:
        directory.rmdir()
    return left


def _register_gone(state: State, copy: ExportCopy, status: str, reason: str, now: float,
                   left: list[str] | None = None) -> None:
    state.index.mark_export_removed(copy.id, status, now, reason)
    # REG-1: the date the copied images left the NVR, written by the purge itself.
    state.register.append("export_destruction", {
        "path": copy.path, "manifest_sha256": copy.manifest_sha256, "reason": reason,
        "files": [{"camera": f["camera"], "sha256": f["sha256"], "start": timeutil.iso(
            float(f["start"])), "end": timeutil.iso(float(f["end"]))} for f in copy.files],
        "left_in_place": left or [], "destroyed_at": timeutil.iso(timeutil.now())})


def purge_exports(state: State, now: float, holds: list[Hold]) -> list[str]:
    """One retention pass over the export bundles at instant `now`; returns the destroyed
    bundles' paths (the ones found missing are registered and journaled, not counted)."""
    days = state.config.retention_days
    cutoff = now - days * DAY
    destroyed: list[str] = []
    for copy in state.index.exports():
        directory = Path(copy.path)
        if not any((directory / m).is_file() for m in MARKERS):
            reason = "no longer on the NVR (moved out to removable media or deleted outside " \
                     "the recorder); found missing by the purge"
            _register_gone(state, copy, "missing", reason, now)
            state.journal.append("export_missing", {"user": "system", "path": copy.path,
                                                    "manifest_sha256": copy.manifest_sha256})
            log.warning("export bundle missing from the NVR", extra={"path": copy.path})
            continue
        if copy.oldest_end > cutoff or _held(copy, holds):
            continue
        left = _remove_bundle(directory, copy)
        _register_gone(state, copy, "destroyed", f"age>{days}d (RET-1): copy of recordings "
                       "past retention, no legal hold", now, left)
        destroyed.append(copy.path)
    return destroyed
