"""Prometheus metrics of the recorder, served at /metrics by the API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, generate_latest

from recorder.relaycounters import RelayCollector
from recorder.retention import free_percent

STATES = ("starting", "recording", "backoff", "stopped")
DAY = 86400.0


class Metrics:
    """All recorder metrics in a private registry (no process-global state)."""

    def __init__(self, storage_root: Path, state_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        if state_dir is not None:  # the relay process's counters (probes, views, refusals)
            r.register(RelayCollector(state_dir))
        self.camera_state = Gauge("recorder_camera_state", "1 for the camera's current state",
                                  ["camera", "state"], registry=r)
        self.last_segment_end = Gauge("recorder_last_segment_end_timestamp_seconds",
                                      "UTC end of the camera's last indexed segment",
                                      ["camera"], registry=r)
        self.last_segment_age = Gauge("recorder_last_segment_age_seconds",
                                      "Seconds since the camera's last indexed segment ended",
                                      ["camera"], registry=r)
        self.segments = Counter("recorder_segments_total", "Segments indexed", ["camera"],
                                registry=r)
        self.bytes = Counter("recorder_recorded_bytes_total", "Bytes of video indexed",
                             ["camera"], registry=r)
        self.gaps = Counter("recorder_gaps_total", "Recording gaps detected", ["camera"],
                            registry=r)
        self.gap_seconds = Counter("recorder_gap_seconds_total", "Seconds without recording",
                                   ["camera"], registry=r)
        self.restarts = Counter("recorder_ffmpeg_starts_total", "ffmpeg processes started",
                                ["camera"], registry=r)
        self.purged = Counter("recorder_purged_segments_total", "Segments destroyed by the "
                              "purge", ["reason"], registry=r)
        self.disk_alarm = Gauge("recorder_disk_alarm", "1 when only held video is left to free "
                                "space (purge stopped)", registry=r)
        self.purge_refused = Gauge("recorder_purge_refused", "1 when the last purge stopped "
                                   "instead of destroying more than max_purge_share of the "
                                   "unheld video", registry=r)
        # JRN-2: the latest signed checkpoint, so the department's scrape holds a witness
        self.checkpoint = Info("recorder_checkpoint", "Latest signed checkpoint of the register "
                               "and journal heads (recorder verify --witness)", registry=r)
        self.checkpoint_time = Gauge("recorder_checkpoint_timestamp_seconds",
                                     "When the latest checkpoint was signed", registry=r)
        self.oldest_unheld_age = Gauge("recorder_oldest_unheld_segment_age_seconds",
                                       "Age of the oldest non-held segment (RET-2)", registry=r)
        self.clock_synced = Gauge("recorder_clock_synchronised", "TIME-1 sync check result",
                                  registry=r)
        headroom = Gauge("recorder_disk_free_percent", "Free space on the storage filesystem",
                         registry=r)
        headroom.set_function(lambda: free_percent(storage_root) if storage_root.exists()
                              else 0.0)
        self.gaps_24h = Gauge("recorder_gaps_last_24h", "Recording gaps that ended in the "
                              "last 24 hours (beffroi status)", ["camera"], registry=r)
        self._ends: dict[str, float] = {}
        self._gap_ends: dict[str, list[float]] = {}

    def gap_recorded(self, camera: str, start: float, end: float) -> None:
        """Count a recording gap [start, end) of a camera."""
        self.gaps.labels(camera).inc()
        self.gap_seconds.labels(camera).inc(end - start)
        self._gap_ends.setdefault(camera, []).append(end)

    def seed_gaps(self, gaps: Iterable[Any]) -> None:
        """At start: the index's gaps of the last 24 h (`.camera`, `.end`), for gaps_24h."""
        since = time.time() - DAY
        for gap in gaps:
            if gap.end > since:
                self._gap_ends.setdefault(gap.camera, []).append(gap.end)

    def set_state(self, camera: str, state: str) -> None:
        """Record a camera's supervisor state."""
        for s in STATES:
            self.camera_state.labels(camera, s).set(1 if s == state else 0)

    def segment_indexed(self, camera: str, end: float, size: int) -> None:
        """Count a new segment."""
        self.segments.labels(camera).inc()
        self.bytes.labels(camera).inc(size)
        self.last_segment_end.labels(camera).set(end)
        self._ends[camera] = end

    def checkpoint_written(self, cp: dict[str, Any]) -> None:
        """Expose a checkpoint: heads, time and signature as labels."""
        info = {"ts": str(cp["ts"]), "sig": str(cp["sig"]),
                # the whole signed checkpoint: what the department's Prometheus keeps of it is
                # a witness `recorder verify --witness` reads back (JRN-2)
                "checkpoint": json.dumps(cp, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False)}
        for name in ("register", "journal"):
            head = cp.get(name) or {}
            info[f"{name}_seq"] = str(head.get("seq", ""))
            info[f"{name}_hash"] = str(head.get("hash", ""))
        self.checkpoint.info(info)
        self.checkpoint_time.set(float(cp["t"]))

    def render(self) -> bytes:
        """Text exposition format."""
        now = time.time()
        for camera, end in self._ends.items():
            self.last_segment_age.labels(camera).set(max(0.0, now - end))
        for camera, ends in self._gap_ends.items():
            ends[:] = [e for e in ends if e > now - DAY]
            self.gaps_24h.labels(camera).set(len(ends))
        return generate_latest(self.registry)
