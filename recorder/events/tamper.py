"""Tampering seen in what the recorder already stores: a closed segment is decoded at its
keyframes only (`-skip_frame nokey`, ~1 frame a second), each shrunk to a 32×18 grey
thumbnail — far too small to show anyone, and nothing looks for people (CAM-6). From those:

Only the first WINDOW seconds of each segment are decoded (a 60 s segment costs 10 keyframes).

- frozen: every keyframe identical to the previous one (the camera repeats one image)
- black: every keyframe dark (lens covered, sensor dead)
- scene changed: one jump larger than SCENE_THRESHOLD that lasts to the segment's end (camera
  turned or masked), the previous segment's last keyframe being the reference

The CPU cost is measured by benchmarks/events.py (ratio to recording alone).
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

WIDTH, HEIGHT = 32, 18
FRAME = WIDTH * HEIGHT
FREEZE_EPS = 0.1       # mean |Δ| of two keyframes under this: the same image
BLACK_LUMA = 24.0      # mean luma under this (video black is 16): a black image
SCENE_THRESHOLD = 40.0  # mean |Δ| over this between keyframes: an abrupt change of view
TIMEOUT = 30.0
WINDOW = 10.0  # seconds of each segment decoded: 10 keyframes say whether it is frozen/black


@dataclass(frozen=True)
class Verdict:
    """What the keyframes of one segment show."""

    frames: int
    frozen: bool
    black: bool
    scene_changed: bool
    change: float      # the largest keyframe-to-keyframe mean |Δ| (0..255)
    last: bytes        # the last thumbnail: the next segment's reference


def _diff(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / FRAME


def thumbnails(path: Path) -> list[bytes]:
    """The keyframes of a segment as 32×18 grey thumbnails (ffmpeg, keyframes only)."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-skip_frame", "nokey",
           "-t", f"{WINDOW:g}", "-i", str(path), "-an", "-vf",
           f"scale={WIDTH}:{HEIGHT}:flags=area,format=gray", "-fps_mode", "passthrough",
           "-f", "rawvideo", "pipe:1"]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [out[i:i + FRAME] for i in range(0, len(out) - FRAME + 1, FRAME)]


def judge(frames: list[bytes], reference: bytes | None = None) -> Verdict | None:
    """The verdict on a series of thumbnails (None when there is nothing to judge)."""
    if not frames:
        return None
    series = ([reference] if reference is not None else []) + frames
    steps = [_diff(a, b) for a, b in itertools.pairwise(series)]
    change = max(steps, default=0.0)
    scene = False
    if change > SCENE_THRESHOLD:
        jump = steps.index(change)  # series[jump] → series[jump + 1]
        scene = _diff(series[jump], series[-1]) > SCENE_THRESHOLD  # lasting, not a flash
    inner = [_diff(a, b) for a, b in itertools.pairwise(frames)]
    black = all(sum(f) / FRAME < BLACK_LUMA for f in frames)
    frozen = len(frames) >= 2 and max(inner) < FREEZE_EPS and not black  # black says more
    scene = scene and not black
    return Verdict(len(frames), frozen, black, scene, round(change, 2), frames[-1])


def analyse(path: Path, reference: bytes | None = None) -> Verdict | None:
    """Decode a closed segment's keyframes and judge them."""
    return judge(thumbnails(path), reference)
