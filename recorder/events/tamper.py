"""Tampering seen in what the recorder already stores: a closed segment is decoded at its
keyframes only (`-skip_frame nokey`), each shrunk to a 32×18 grey thumbnail — far too small to
show anyone, and nothing looks for people (CAM-6). From those:

- frozen: every keyframe identical to the previous one (the camera repeats one image)
- black: every keyframe dark (lens covered, sensor dead)
- scene changed: one jump larger than SCENE_THRESHOLD that lasts to the segment's end (camera
  turned or masked), the previous segment's last keyframe being the reference

Cost (issue 10 §5: ~0.11 s of CPU per 1080p segment, more than all the rest of the recorder's
overhead over bare ffmpeg): only the first KEYFRAMES keyframes of a segment are decoded (within
WINDOW seconds; ~5 ms each at 1080p), after a 32 KiB probe (a segment opens on a keyframe with
its SPS/PPS: the default probe decoded ~10 ms more per segment), and the segments that closed
together (every camera cuts on the same wall-clock boundary) share one ffmpeg process, whose
start-up (~50 ms) cost more than the decoding. benchmarks/recorder.py counts this CPU (children
the recorder reaps) in the recorder's ratio to bare ffmpeg.
"""

from __future__ import annotations

import itertools
import os
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

WIDTH, HEIGHT = 32, 18
FRAME = WIDTH * HEIGHT
FREEZE_EPS = 0.1       # mean |Δ| of two keyframes under this: the same image
BLACK_LUMA = 24.0      # mean luma under this (video black is 16): a black image
SCENE_THRESHOLD = 40.0  # mean |Δ| over this between keyframes: an abrupt change of view
TIMEOUT = 30.0
KEYFRAMES = 3   # keyframes decoded per segment: two steps say frozen, three frames say black
WINDOW = 10.0   # at most this many seconds of a segment are read to find them (long GOPs)
BATCH = 8       # segments per ffmpeg at most: each open 1080p input holds ~13 MB until the end
PROBE_BYTES = 32768


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


def _command(paths: list[Path], fds: list[int]) -> list[str]:
    cmd = ["ffmpeg", "-nostdin", "-v", "error"]
    for path in paths:
        cmd += ["-threads", "1", "-skip_frame", "nokey", "-probesize", str(PROBE_BYTES),
                "-analyzeduration", "0", "-t", f"{WINDOW:g}", "-i", str(path)]
    for i, fd in enumerate(fds):
        cmd += ["-map", f"{i}:v:0", "-vf", f"scale={WIDTH}:{HEIGHT}:flags=area,format=gray",
                "-fps_mode", "passthrough", "-frames:v", str(KEYFRAMES), "-f", "rawvideo",
                f"pipe:{fd}"]
    return cmd


def _run(paths: list[Path]) -> list[bytes] | None:
    """Raw thumbnail bytes of each path from one ffmpeg (one pipe per output); None if ffmpeg
    failed (one unreadable input fails them all)."""
    pipes = [os.pipe() for _ in paths]
    readers = {r: i for i, (r, _) in enumerate(pipes)}
    out = [bytearray() for _ in paths]
    try:
        proc = subprocess.Popen(_command(paths, [w for _, w in pipes]), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                pass_fds=[w for _, w in pipes])
    except OSError:
        for r, w in pipes:
            os.close(r)
            os.close(w)
        return None
    for _, w in pipes:
        os.close(w)
    deadline = time.monotonic() + TIMEOUT
    try:
        while readers and time.monotonic() < deadline:
            ready, _, _ = select.select(list(readers), [], [], deadline - time.monotonic())
            for r in ready:
                chunk = os.read(r, 65536)
                if chunk:
                    out[readers[r]] += chunk
                else:
                    os.close(r)
                    del readers[r]
        if readers:
            proc.kill()
        proc.wait()
    finally:
        for r in readers:
            os.close(r)
    return None if proc.returncode != 0 else [bytes(b) for b in out]


def _split(raw: bytes) -> list[bytes]:
    return [raw[i:i + FRAME] for i in range(0, len(raw) - FRAME + 1, FRAME)]


def thumbnails_many(paths: list[Path]) -> list[list[bytes]]:
    """The first KEYFRAMES keyframes of each segment as 32×18 grey thumbnails, decoded by as
    few ffmpeg processes as possible (an unreadable segment gets [] and spoils no other)."""
    result: list[list[bytes]] = []
    for at in range(0, len(paths), BATCH):
        chunk = paths[at:at + BATCH]
        raw = _run(chunk)
        if raw is None and len(chunk) > 1:  # find the bad one(s): each on its own
            raw = [(_run([p]) or [b""])[0] for p in chunk]
        result += [_split(r) for r in raw] if raw is not None else [[] for _ in chunk]
    return result


def thumbnails(path: Path) -> list[bytes]:
    """The first KEYFRAMES keyframes of a segment as 32×18 grey thumbnails."""
    return thumbnails_many([path])[0]


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


def analyse_many(items: list[tuple[Path, bytes | None]]) -> list[Verdict | None]:
    """Verdicts on several closed segments (each with its reference), in one ffmpeg."""
    frames = thumbnails_many([path for path, _ in items])
    return [judge(f, ref) for f, (_, ref) in zip(frames, items, strict=True)]
