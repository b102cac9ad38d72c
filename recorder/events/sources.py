"""Event sources: what the running recorder already knows, turned into events on transitions
only (a camera is reported down once, then back once).

- camera down / back: the supervisor's state, down after `down_after_seconds` without recording
- recording gap: a new row in the index's gaps (the writer registered it, REG-1)
- stream frozen / black / scene changed: recorder/events/tamper.py on each new segment
- disk headroom: free % of the storage under `disk_warn_percent`
- clock: the TIME-1 sync check
- tunnel: a TCP probe of `tunnel_probe` (an address inside the WireGuard tunnel)
- legal hold review: a hold reaching `hold_review_days` (policy) within `hold_warn_days`
- verify: the register and journal chains, every `verify_interval_seconds`
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recorder import timeutil
from recorder.events import event as ev
from recorder.events import tamper
from recorder.events.router import Emitter
from recorder.index import Segment
from recorder.retention import free_percent
from recorder.state import State

log = logging.getLogger("recorder.events")
DAY = 86400.0
TUNNEL_EVERY = 10.0
HOLDS_EVERY = 60.0


@dataclass
class _Camera:
    down: bool = False
    since: float = field(default_factory=time.monotonic)  # not recording since
    segment: int = -1  # the last segment seen (-1: none yet, the next one is the baseline)
    segment_end: float = float("-inf")
    tamper: dict[str, bool] = field(default_factory=dict)
    reference: bytes | None = None  # the last keyframe thumbnail seen (scene change)


class Watcher(threading.Thread):
    """Polls the recorder's own state every `poll_seconds` and emits transitions."""

    def __init__(self, state: State, emitter: Emitter, status: Callable[[], dict[str, str]],
                 sync: Callable[[], bool]) -> None:
        super().__init__(name="event-sources", daemon=True)
        self.state = state
        self.conf = state.config
        self.emitter = emitter
        self.status = status
        self.sync = sync
        self._halt = threading.Event()
        self.cams = {c.id: _Camera() for c in self.conf.cameras}
        self.flags: dict[str, bool] = {}
        self._next: dict[str, float] = {}
        self.warned_holds: set[int] = set()
        self._seen: tuple[int, int] | None = None  # (segment, gap) row ids already looked at

    def stop(self) -> None:
        """Stop polling."""
        self._halt.set()

    def run(self) -> None:
        while not self._halt.wait(self.conf.events.poll_seconds):
            try:
                self.poll()
            except Exception:
                log.exception("event sources failed; will retry")

    def _emit(self, kind: str, message: str, camera: str | None = None,
              active: bool = True, **data: Any) -> None:
        location = self.conf.camera(camera).location if camera else None
        self.emitter.emit(ev.make(kind, self.conf.site, message, camera=camera,
                                  location=location, active=active, **data))

    def _flag(self, name: str, kind: str, on: bool, raised: str, cleared: str,
              **data: Any) -> None:
        """A condition of the whole NVR: an event when it starts and one when it ends."""
        if on == self.flags.get(name, False):
            return
        self.flags[name] = on
        self._emit(kind, raised if on else cleared, active=on, **data)

    def _due(self, name: str, every: float) -> bool:
        now = time.monotonic()
        if now < self._next.get(name, 0.0):
            return False
        self._next[name] = now + every
        return True

    def poll(self) -> None:
        """One look at every source."""
        self._cameras()
        evc = self.conf.events
        free = free_percent(self.conf.storage_root) if self.conf.storage_root.exists() else 0.0
        self._flag("disk", "disk_low", free < evc.disk_warn_percent,
                   f"espace libre {free:.1f} % sous le seuil de {evc.disk_warn_percent:g} %",
                   f"espace libre revenu à {free:.1f} %", value=round(free, 2),
                   threshold=evc.disk_warn_percent)
        synced = self.sync()
        self._flag("clock", "clock_unsynced", not synced,
                   "horloge non synchronisée (TIME-1) : les segments sont marqués non valides",
                   "horloge de nouveau synchronisée (TIME-1)")
        if evc.tunnel_probe and self._due("tunnel", TUNNEL_EVERY):
            up = _probe(evc.tunnel_probe)
            self._flag("tunnel", "tunnel_down", not up,
                       f"tunnel vers la cellule de crise injoignable ({evc.tunnel_probe})",
                       "tunnel vers la cellule de crise rétabli")
        if self._due("holds", HOLDS_EVERY):
            self._holds()
        if self._due("verify", evc.verify_interval_seconds):
            self._verify()

    def _cameras(self) -> None:
        states = self.status()
        now = time.monotonic()
        for cam_id, cam in self.cams.items():
            recording = states.get(cam_id) == "recording"
            if recording:
                cam.since = now
                if cam.down:
                    cam.down = False
                    self._emit("camera_back", "la caméra enregistre de nouveau", cam_id,
                               active=False)
            elif not cam.down and now - cam.since >= self.conf.events.down_after_seconds:
                cam.down = True
                self._emit("camera_down", "la caméra n'envoie plus de flux", cam_id,
                           seconds=round(now - cam.since, 1))
        # what the index gained since the last poll, read by row id: two queries per poll
        # for every camera, however long the history (not a scan per camera per second)
        if self._seen is None:
            self._seen = self.state.index.last_ids()
            for cam_id, cam in self.cams.items():  # the state at start is the baseline
                last = self.state.index.last_segment(cam_id)
                if last is not None:
                    cam.segment, cam.segment_end = last.id, last.end
            return
        self._gaps()
        if self.conf.events.tamper:
            self._tamper()

    def _gaps(self) -> None:
        seg_seen, gap_seen = self._seen or (0, 0)
        for gap_id, gap in self.state.index.gaps_after(gap_seen):
            gap_seen = gap_id
            if gap.camera in self.cams:
                self._emit("recording_gap", f"{gap.end - gap.start:.1f} s sans enregistrement "
                           f"({timeutil.iso(gap.start)} → {timeutil.iso(gap.end)})", gap.camera,
                           seconds=round(gap.end - gap.start, 3))
        self._seen = (seg_seen, gap_seen)

    def _tamper(self) -> None:
        seg_seen, gap_seen = self._seen or (0, 0)
        latest: dict[str, Segment] = {}
        for seg in self.state.index.segments_after(seg_seen):
            seg_seen = seg.id
            cam = self.cams.get(seg.camera)
            if cam is None or seg.end <= cam.segment_end:
                continue  # a repaired older segment: not the camera's current view
            if seg.camera not in latest or seg.end > latest[seg.camera].end:
                latest[seg.camera] = seg
        self._seen = (seg_seen, gap_seen)
        todo = []
        for cam_id, seg in latest.items():
            cam = self.cams[cam_id]
            first = cam.segment < 0
            cam.segment, cam.segment_end = seg.id, seg.end
            if not first:  # a camera's first segment is its baseline, not news
                todo.append((cam_id, seg))
        if not todo:
            return
        # the cameras cut on the same wall-clock boundary: their segments share one ffmpeg
        verdicts = tamper.analyse_many([(self.state.abspath(seg.path),
                                         self.cams[cam_id].reference) for cam_id, seg in todo])
        for (cam_id, seg), verdict in zip(todo, verdicts, strict=True):
            if verdict is not None:
                self._judged(cam_id, seg, verdict)

    def _judged(self, cam_id: str, seg: Segment, verdict: tamper.Verdict) -> None:
        cam = self.cams[cam_id]
        cam.reference = verdict.last
        for kind, on, text in (("stream_frozen", verdict.frozen, "l'image ne change plus"),
                               ("stream_black", verdict.black, "l'image est noire")):
            if on != cam.tamper.get(kind, False):
                cam.tamper[kind] = on
                self._emit(kind, text if on else f"fin : {text}", cam_id, active=on,
                           seconds=round(seg.duration, 1))
        if verdict.scene_changed:
            self._emit("scene_changed", "changement brusque et durable de la vue (caméra "
                       "déplacée ou masquée ?)", cam_id, value=round(verdict.change, 1),
                       threshold=tamper.SCENE_THRESHOLD)

    def _holds(self) -> None:
        evc = self.conf.events
        now = timeutil.now()
        for hold in self.state.index.holds():
            review = hold.created + evc.hold_review_days * DAY
            if hold.id not in self.warned_holds and review - now <= evc.hold_warn_days * DAY:
                self.warned_holds.add(hold.id)
                self._emit("hold_ending", f"gel judiciaire n° {hold.id} à réexaminer le "
                           f"{timeutil.iso(review)[:10]} : confirmer avec le parquet ou le "
                           "lever (RET-1)", hold=hold.id)

    def _verify(self) -> None:
        public = self.state.key.public_key()
        problems = []
        for name, ledger in (("register", self.state.register), ("journal", self.state.journal)):
            _, problem = ledger.verify(public)
            if problem is not None:
                problems.append(f"{name}: {problem}")
        self._flag("verify", "verify_failed", bool(problems),
                   "vérification en échec : " + "; ".join(problems)[:300],
                   "vérification de nouveau correcte")


def _probe(target: str) -> bool:
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=2.0):
            return True
    except (OSError, ValueError):
        return False
