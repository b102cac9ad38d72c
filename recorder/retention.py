"""Retention: purge by age (RET-1/RET-2) and by disk pressure, never touching a legal hold.

Every destruction writes a register entry (REG-1) from the purge itself. When disk pressure
could only be relieved by deleting held video, the purge stops and raises an alarm instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recorder import export_retention, timeutil
from recorder.config import Retention
from recorder.index import Hold, Segment
from recorder.state import State

log = logging.getLogger("recorder.retention")
DAY = 86400.0


@dataclass
class PurgeResult:
    """What one retention pass did."""

    now: float
    destroyed_age: list[Segment] = field(default_factory=list)
    destroyed_pressure: list[Segment] = field(default_factory=list)
    held_kept: int = 0
    alarm: bool = False
    alarm_mass_purge: bool = False
    free_percent: float = 100.0
    journal_files_pruned: list[str] = field(default_factory=list)
    exports_destroyed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary (CLI output, journal entry)."""
        return {
            "now": timeutil.iso(self.now),
            "destroyed_age": len(self.destroyed_age),
            "destroyed_disk_pressure": len(self.destroyed_pressure),
            "held_kept": self.held_kept,
            "alarm_only_held_video_left": self.alarm,
            "alarm_mass_purge": self.alarm_mass_purge,
            "free_percent": round(self.free_percent, 2),
            "journal_files_pruned": self.journal_files_pruned,
            "exports_destroyed": len(self.exports_destroyed),
        }


class PurgeRefused(Exception):
    """The purge will not run: its retention was not read explicitly from the config."""


def checked_retention(retention: object) -> int:
    """Retention days, only from a Retention that config.parse() built (RET-1)."""
    if not isinstance(retention, Retention) or not retention.is_read():
        raise PurgeRefused(f"RET-1: refusing to purge with a retention not read from the "
                           f"config file ({retention!r}); set recorder.retention_days")
    return retention.days


def free_percent(path: os.PathLike[str] | str) -> float:
    """Free space available to the recorder on the filesystem holding path, in %."""
    st = os.statvfs(path)
    return 100.0 * st.f_bavail / st.f_blocks if st.f_blocks else 0.0


def is_held(seg: Segment, holds: list[Hold]) -> bool:
    """True when any active hold covers the segment."""
    return any(h.covers(seg) for h in holds)


def _destroy(state: State, seg: Segment, reason: str, now: float) -> None:
    path = state.abspath(seg.path)
    try:
        path.unlink()
    except FileNotFoundError:
        log.warning("segment already gone", extra={"segment": seg.path})
    state.index.mark_purged(seg.id, now, reason)
    # REG-1: the date of destruction of the images, written by the purge itself.
    state.register.append("destruction", {
        "camera": seg.camera, "path": seg.path, "sha256": seg.sha256,
        "start": timeutil.iso(seg.start), "end": timeutil.iso(seg.end), "reason": reason,
        "destroyed_at": timeutil.iso(timeutil.now()),
    })


def purge(state: State, now: float, free_fn: Callable[[], float] | None = None,
          max_share: float | None = None, by: str = "system") -> PurgeResult:
    """Run retention once at instant `now` (injectable for tests).

    1. age: destroy non-held segments that ended more than retention_days ago (RET-1/RET-2);
    2. disk pressure: while free space < min_free_percent, destroy the oldest non-held segment;
       if only held video is left, stop and alarm;
    3. journal: drop monthly journal files older than journal_retention_days (JRN-2).
    One pass never destroys more than max_share (default recorder.max_purge_share) of the
    unheld video: beyond it, it stops, journals and alarms (a clock jump or a config slip).
    """
    conf = state.config
    days = checked_retention(conf.retention)
    share = conf.recorder.max_purge_share if max_share is None else max_share
    measure = free_fn or (lambda: free_percent(conf.storage_root))
    result = PurgeResult(now=now)
    holds = state.index.holds()
    unheld, unheld_bytes = state.index.unheld()
    budget = share * unheld_bytes
    cutoff = now - days * DAY
    expired: list[Segment] = []
    for seg in state.index.segments(end=cutoff):
        if seg.end > cutoff:
            continue
        if is_held(seg, holds):
            result.held_kept += 1
            continue
        expired.append(seg)
    if sum(s.size for s in expired) > budget:
        _refuse_mass_purge(state, result, len(expired), unheld, share, "age", now)
        expired = []
    spent = 0.0
    for seg in expired:
        _destroy(state, seg, f"age>{days}d (RET-1)", now)
        result.destroyed_age.append(seg)
        spent += seg.size
    # RET-1: export bundles on the NVR age like the segments they copy (not in a refused pass:
    # a clock jump that would wipe the segments must not wipe their copies either)
    if not result.alarm_mass_purge:
        result.exports_destroyed = export_retention.purge_exports(state, now, holds)

    result.free_percent = measure()
    if result.free_percent < conf.min_free_percent and not result.alarm_mass_purge:
        candidates = [s for s in state.index.segments() if not is_held(s, holds)]
        candidates.sort(key=lambda s: (s.start, s.id))
        for seg in candidates:
            if result.free_percent >= conf.min_free_percent:
                break
            if spent + seg.size > budget:
                _refuse_mass_purge(state, result, len(result.destroyed_pressure) + 1,
                                   unheld, share, "disk pressure", now)
                break
            _destroy(state, seg, f"disk pressure (free < {conf.min_free_percent:g}%)", now)
            result.destroyed_pressure.append(seg)
            spent += seg.size
            result.free_percent = measure()
        if result.free_percent < conf.min_free_percent and not result.alarm_mass_purge:
            result.alarm = True
            held = len(state.index.segments())
            log.error("disk pressure: only held video left; not deleting it",
                      extra={"free_percent": result.free_percent, "held_segments": held})
            state.journal.append("alarm", {"what": "disk pressure relievable only by deleting "
                                           "held video; purge stopped", "held_segments": held,
                                           "free_percent": round(result.free_percent, 2)})
    result.journal_files_pruned = state.journal.prune_before(
        now - conf.journal_retention_days * DAY)
    if (result.destroyed_age or result.destroyed_pressure or result.journal_files_pruned
            or result.exports_destroyed):
        state.journal.append("purge", {"user": by, "max_purge_share": share,
                                       **result.summary()})
    return result


def _refuse_mass_purge(state: State, result: PurgeResult, would: int, unheld: int,
                       share: float, what: str, now: float) -> None:
    """Stop instead of wiping most of the video in one pass: log, journal, alarm flag."""
    result.alarm_mass_purge = True
    data = {"what": f"{what} purge would destroy more than {share:.0%} of the unheld video in "
                    "one pass; nothing destroyed by it (check the clock and retention_days, "
                    "or run `recorder purge --max-share` as a named person)",
            "would_destroy": would, "unheld": unheld, "max_purge_share": share,
            "now": timeutil.iso(now)}
    log.error("ALARM: mass purge refused", extra=data)
    state.journal.append("alarm", data)


def add_hold(state: State, ref: str, camera: str, start: float, end: float, by: str,
             reason: str | None = None) -> Hold:
    """Place a legal hold and journal it (with the written reason when one is given)."""
    hold = state.index.add_hold(ref, camera, start, end, timeutil.now(), by)
    entry: dict[str, Any] = {"user": by, "hold": hold.id, "ref": ref, "camera": camera,
                             "from": timeutil.iso(start), "to": timeutil.iso(end)}
    if reason:
        entry["reason"] = reason
    state.journal.append("hold_add", entry)
    return hold


def release_hold(state: State, hold_id: int, by: str, reason: str | None = None) -> Hold | None:
    """Release a hold (its video becomes purgeable again) and journal it."""
    hold = state.index.release_hold(hold_id, timeutil.now(), by)
    if hold is not None:
        entry: dict[str, Any] = {"user": by, "hold": hold.id, "ref": hold.ref,
                                 "camera": hold.camera}
        if reason:
            entry["reason"] = reason
        state.journal.append("hold_release", entry)
    return hold


def oldest_unheld_age(state: State, now: float) -> float:
    """Age in seconds of the oldest non-held segment's end (RET-2 metric); 0 if none."""
    earliest = state.index.unheld_earliest()
    return 0.0 if earliest is None else max(0.0, now - earliest)
