"""The ffmpeg/ffprobe command lines the recorder runs (stream copy only, no audio: CAM-6)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from pathlib import Path

from recorder.config import Camera

PR_SET_PDEATHSIG = 1
PROBE_BYTES = 32768  # ffmpeg's minimum: parameters come from the SDP, not from buffered video


def record_command(camera: Camera, out_dir: Path, run_id: str, segment_seconds: int,
                   timeout_seconds: float, list_file: Path) -> list[str]:
    """ffmpeg command recording one camera into MPEG-TS segments named by camera + UTC start.

    -rtsp_transport tcp: no UDP loss on the camera VLAN; -timeout: a dead camera makes ffmpeg
    exit instead of hanging (PEERS.md); -c copy -an: stored bytes are the camera's (EXP-1),
    no sound (CAM-6); -segment_atclocktime: boundaries on the wall clock; the CSV list gives
    exact stream-time boundaries of every closed segment.
    -probesize: H.264 cameras announce SPS/PPS in the SDP, so ffmpeg need not buffer ~2 s
    of a returning stream to probe it: first bytes on disk ~0.3 s after connecting instead of
    ~2 s (measured, benchmarks/recorder.py); stream copy needs no frame-rate estimate.
    """
    pattern = out_dir / f"{camera.id}_%Y%m%dT%H%M%SZ-{run_id}.ts"
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning",
        "-rtsp_transport", "tcp", "-timeout", str(int(timeout_seconds * 1_000_000)),
        "-probesize", str(PROBE_BYTES), "-i", camera.rtsp_url,
        "-map", "0:v:0", "-an", "-sn", "-dn", "-c", "copy",
        "-f", "segment", "-segment_time", str(segment_seconds), "-segment_atclocktime", "1",
        "-strftime", "1", "-segment_format", "mpegts",
        "-segment_list", str(list_file), "-segment_list_type", "csv",
        str(pattern),
    ]


def _die_with_parent() -> None:
    # If the supervisor dies (even kill -9), ffmpeg gets SIGTERM and closes its segment cleanly
    # instead of recording as an orphan that a restarted supervisor would duplicate.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a recording ffmpeg with stderr to a log file, in UTC (strftime names)."""
    env = dict(os.environ, TZ="UTC")
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log, env=env, preexec_fn=_die_with_parent)
    finally:
        log.close()


def probe_duration(path: Path) -> float | None:
    """Duration in seconds of a (possibly torn) segment, from its packets; None if unreadable."""
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "packet=pts_time,duration_time", "-of", "csv=p=0", str(path)],
            capture_output=True, text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    pts: list[float] = []
    last_dur = 0.0
    for line in out.splitlines():
        parts = line.split(",")
        try:
            pts.append(float(parts[0]))
            if len(parts) > 1 and parts[1] not in ("", "N/A"):
                last_dur = float(parts[1])
        except ValueError:
            continue
    if not pts:
        return None
    return max(pts) - min(pts) + last_dur
