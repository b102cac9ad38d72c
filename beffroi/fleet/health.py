"""Per commune and camera: recording state, last segment age, gaps in 24 h, disk headroom,
clock sync (TIME-1), tunnel handshake age, last drift result — and whether it is healthy."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beffroi.fleet.probe import Reading


@dataclass(frozen=True)
class Limits:
    """What healthy means (seconds)."""

    segment_age: float = 180.0  # three default 60 s segments
    handshake_age: float = 180.0  # WireGuard re-handshakes every 2 min while traffic flows


@dataclass
class CameraHealth:
    """One camera of one commune."""

    camera: str
    state: str
    last_segment_age: float | None
    gaps_24h: int | None
    problems: list[str] = field(default_factory=list)


@dataclass
class CommuneHealth:
    """One commune."""

    commune: str
    reachable: bool
    cameras: list[CameraHealth] = field(default_factory=list)
    disk_free_percent: float | None = None
    disk_alarm: bool | None = None
    clock_synchronised: bool | None = None
    tunnel_handshake_age: float | None = None
    drift: str = "unknown"
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """No problem on the commune nor on any of its cameras."""
        return not self.problems and not any(c.problems for c in self.cameras)

    def to_json(self) -> dict[str, Any]:
        """The --format json shape."""
        return {"commune": self.commune, "healthy": self.healthy, "reachable": self.reachable,
                "disk_free_percent": self.disk_free_percent, "disk_alarm": self.disk_alarm,
                "clock_synchronised": self.clock_synchronised,
                "tunnel_handshake_age_seconds": self.tunnel_handshake_age,
                "drift": self.drift, "problems": self.problems,
                "cameras": [vars(c) for c in self.cameras]}


def drift_result(evidence: Path) -> str:
    """`clean`, `drift (date)` or `unknown` from the last `beffroi drift --format json`
    saved as out/<slug>/evidence/drift.json."""
    try:
        data = json.loads(evidence.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    when = data.get("date", "")
    return f"clean ({when})" if data.get("clean") else f"drift ({when})"


def assess(commune: str, reading: Reading, limits: Limits, drift: str = "unknown",
           handshake: float | None = None, now: float | None = None) -> CommuneHealth:
    """Health of a commune from what its recorder (and tunnel, drift evidence) expose."""
    now = time.time() if now is None else now
    health = CommuneHealth(commune, reachable=not reading.error, drift=drift)
    if handshake is not None:
        age = round(now - handshake, 1) if handshake > 0 else None
        health.tunnel_handshake_age = age
        if age is None or age > limits.handshake_age:
            health.problems.append("NET-2: tunnel to the crisis cell has no recent handshake")
    if drift.startswith("drift"):
        health.problems.append(f"last drift audit found differences: {drift}")
    if reading.error:
        health.problems.append(f"recorder {reading.error}")
        return health
    states: dict[str, str] = reading.status.get("cameras", {})
    ages = reading.by_label("recorder_last_segment_age_seconds", "camera")
    gaps = reading.by_label("recorder_gaps_last_24h", "camera")
    for camera in sorted(states):
        age = ages.get(camera)
        cam = CameraHealth(camera, states[camera], None if age is None else round(age, 1),
                           None if camera not in gaps else int(gaps[camera]))
        if cam.state != "recording":
            cam.problems.append(f"not recording ({cam.state})")
        if age is None:
            cam.problems.append("no segment indexed since the recorder started")
        elif age > limits.segment_age:
            cam.problems.append(f"last segment {age:.0f} s old (> {limits.segment_age:.0f} s)")
        health.cameras.append(cam)
    free = reading.value("recorder_disk_free_percent")
    health.disk_free_percent = None if free is None else round(free, 1)
    health.disk_alarm = bool(reading.status.get("disk_alarm"))
    if health.disk_alarm:
        health.problems.append("disk alarm: only held video left to free space (RET-2)")
    synced = reading.value("recorder_clock_synchronised")
    health.clock_synchronised = None if synced is None else synced == 1
    if health.clock_synchronised is False:
        health.problems.append("TIME-1: clock not synchronised: new segments are not valid")
    return health
