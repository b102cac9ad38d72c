"""Pre-encoded H.264 clips the lab cameras loop (encoded once, cached; never live-encoded).

One clip per declared recording (width × height @ fps, bitrate) in the cache dir, so a warm
`lab up` starts its cameras in a second and serving them costs almost no CPU (PEERS.md).
No B-frames and one keyframe a second: the recorder's segments cut on keyframes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from beffroi.lab.errors import LabError
from beffroi.lab.paths import cache_dir

CLIP_SECONDS = 20


def clip_path(width: int, height: int, fps: int, kbps: int) -> Path:
    """Where the clip of that recording lives in the cache."""
    return cache_dir() / "clips" / f"testsrc2-{width}x{height}-{fps}fps-{kbps}k.h264"


def ensure_clip(width: int, height: int, fps: int, kbps: int) -> tuple[Path, bool]:
    """The cached clip (path, True if encoded now); encodes it once with ffmpeg."""
    path = clip_path(width, height, fps, kbps)
    if path.is_file() and path.stat().st_size > 0:
        return path, False
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise LabError("ffmpeg is not installed on the host: run `make bootstrap` "
                       "(the lab cameras loop a clip it encodes once)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    cmd = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
           f"testsrc2=size={width}x{height}:rate={fps}", "-t", str(CLIP_SECONDS),
           "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", str(fps),
           "-keyint_min", str(fps), "-sc_threshold", "0", "-b:v", f"{kbps}k",
           "-pix_fmt", "yuv420p", "-f", "h264", str(tmp)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900)
    if res.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise LabError(f"cannot encode the lab clip {path.name}: {res.stderr.strip()}")
    tmp.replace(path)
    return path, True
