"""The console's health page: camera state, last segment age, disk headroom, clock sync
(TIME-1) and alarms, from what the running service already knows (supervisor states, the
index, the storage filesystem, the sync check, the purge's alarm flag, the journal)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recorder import timeutil
from recorder.registerview import Filters, read_entries
from recorder.state import State

STALE_SEGMENTS = 3  # a camera whose last segment ended > 3 segment lengths ago is not recording
ALARM_WINDOW = 86400.0  # journal alarms of the last 24 h are shown
STATE_LABELS = {"recording": "enregistre", "backoff": "reconnexion", "starting": "démarrage",
                "stopped": "arrêtée"}


@dataclass(frozen=True)
class CameraHealth:
    """One camera's line on the health page."""

    id: str
    location: str
    state: str
    last_end: float | None
    age: float | None  # seconds since the last indexed segment ended
    stale: bool


@dataclass(frozen=True)
class DiskHealth:
    """The storage filesystem (CAM-9, RET-1: purge by disk pressure below min_free)."""

    free_percent: float
    free_bytes: int
    total_bytes: int
    min_free_percent: float

    @property
    def headroom_percent(self) -> float:
        """Free space above the purge threshold."""
        return self.free_percent - self.min_free_percent


@dataclass
class Health:
    """Everything the page shows; `alarms` are French sentences with their rule ids."""

    at: float
    cameras: list[CameraHealth]
    disk: DiskHealth | None
    clock_synced: bool
    alarms: list[str] = field(default_factory=list)
    journal_alarms: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing needs attention."""
        return not self.alarms


def _disk(state: State) -> DiskHealth | None:
    root = state.config.storage_root
    try:
        st = os.statvfs(root)
    except OSError:
        return None
    free = st.f_bavail * st.f_frsize
    total = st.f_blocks * st.f_frsize
    pct = 100.0 * st.f_bavail / st.f_blocks if st.f_blocks else 0.0
    return DiskHealth(pct, free, total, state.config.min_free_percent)


def collect(state: State, status_fn: Callable[[], dict[str, str]],
            alarm_fn: Callable[[], bool], sync_fn: Callable[[], bool],
            now: float | None = None) -> Health:
    """Build the health snapshot at `now`."""
    t = timeutil.now() if now is None else now
    states = status_fn()
    seg_len = state.config.segment_seconds
    cams: list[CameraHealth] = []
    alarms: list[str] = []
    for cam in state.config.cameras:
        last = state.index.last_segment(cam.id)
        end = last.end if last else None
        age = max(0.0, t - end) if end is not None else None
        stale = age is None or age > STALE_SEGMENTS * seg_len
        st = states.get(cam.id, "inconnu")
        cams.append(CameraHealth(cam.id, cam.location, st, end, age, stale))
        if st != "recording":
            alarms.append(f"{cam.id} : {STATE_LABELS.get(st, st)}, n'enregistre pas (RET-2)")
        elif stale:
            alarms.append(f"{cam.id} : aucun segment depuis "
                          f"{'toujours' if age is None else f'{age:.0f} s'} (RET-2)")
    disk = _disk(state)
    if disk is None:
        alarms.append(f"stockage {state.config.storage_root} illisible (CAM-9)")
    elif disk.headroom_percent < 0:
        alarms.append(f"disque : {disk.free_percent:.1f} % libre, sous le seuil de purge "
                      f"{disk.min_free_percent:g} % (CAM-9)")
    synced = sync_fn()
    if not synced:
        alarms.append("horloge non synchronisée : les segments sont marqués non valides "
                      "(TIME-1)")
    if alarm_fn():
        alarms.append("purge arrêtée : seule de la vidéo gelée ou une purge massive resterait "
                      "(RET-1, voir le journal)")
    recent = [e for e in read_entries(state.journal, t - ALARM_WINDOW)
              if e["kind"] in ("alarm", "unclean_shutdown", "login_lockout", "export_missing")
              and Filters(start=t - ALARM_WINDOW).keeps(e)]
    recent.reverse()
    return Health(t, cams, disk, synced, alarms, recent[:50])
