"""Real peers for the recorder tests and benchmark: loopback RTSP cameras, clips, configs,
a recorder process. Everything binds 127.0.0.1; every process started here is tracked and
stopped by its own id."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SYSTEM_PY = str(REPO / ".venv" / "bin" / "python")  # venv built from Debian's python: gi works
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def encode_clip(path: Path, width: int, height: int, fps: int, seconds: int,
                kbps: int = 800) -> Path:
    """Encode a looped test clip once (H.264 Annex-B, no B-frames, 1 s GOP)."""
    if not path.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
             f"testsrc2=size={width}x{height}:rate={fps}", "-t", str(seconds), "-c:v", "libx264",
             "-preset", "ultrafast", "-bf", "0", "-g", str(fps), "-keyint_min", str(fps),
             "-sc_threshold", "0", "-b:v", f"{kbps}k", "-pix_fmt", "yuv420p", "-f", "h264",
             str(path)], check=True)
    return path


@dataclass
class RtspServer:
    """A loopback RTSP 'camera' server serving N mounts of a looped clip."""

    clip: Path
    fps: int
    mounts: int = 2
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def url(self, i: int) -> str:
        """RTSP URL of mount i (1-based)."""
        return f"rtsp://127.0.0.1:{self.port}/cam{i}"

    def start(self) -> None:
        """Start (or restart on the same port) and wait until it accepts connections."""
        self.proc = subprocess.Popen(
            [SYSTEM_PY, str(HERE / "rtsp_loop.py"), str(self.port), str(self.clip),
             str(self.fps), str(self.mounts)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("RTSP test server did not start")

    def stop(self) -> None:
        """Stop the server (the camera 'drops')."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def make_config(tmp: Path, cameras: list[tuple[str, str]], *, storage: Path | None = None,
                segment_seconds: int = 2, retention_days: int = 15, min_free: float = 1.0,
                sync: str = "always", api_port: int | None = None,
                relay_port: int | None = None, width: int = 1280, height: int = 720,
                fps: int = 15, purge_interval: float = 3600,
                extra: tuple[str, ...] = (), relay_extra: tuple[str, ...] = (),
                more_users: tuple[tuple[str, str, str, str], ...] = ()) -> Path:
    """Write a recorder config with a maire, an adjoint limited to the first camera, a live
    recipient and an admin; all with PASSWORD. Returns its path."""
    from recorder import keys

    key = tmp / "keys" / "signing.pem"  # JRN-2: its own 0700 directory, outside state_dir
    if not key.exists():
        keys.generate(key)
    phash = _cached_hash()
    storage = storage or tmp / "video"
    lines = [
        "[recorder]", 'site = "testville"', f'storage_root = "{storage}"',
        f'state_dir = "{tmp / "state"}"', f"retention_days = {retention_days}",
        "journal_retention_days = 365", f"min_free_percent = {min_free}",
        f"segment_seconds = {segment_seconds}", f'signing_key = "{key}"',
        "rtsp_timeout_seconds = 2.0", f"purge_interval_seconds = {purge_interval}",
        f'export_dir = "{tmp / "exports"}"', f'checkpoint_dir = "{tmp / "checkpoints"}"',
        *extra,
        "[api]", f'listen = "127.0.0.1:{api_port or free_port()}"',
        "[relay]", f'listen = "127.0.0.1:{relay_port or free_port()}"', *relay_extra,
        "[time]", f'sync_check = "{sync}"',
    ]
    for cid, url in cameras:
        lines += ["[[cameras]]", f'id = "{cid}"', 'role = "narrow"', f'rtsp_url = "{url}"',
                  f'location = "Test mast, {cid}"', f"expected_fps = {fps}",
                  f"width = {width}", f"height = {height}"]
    users = [("mdupont", "Marie Dupont", "maire", '["*"]'),
             ("pbernard", "Paul Bernard", "adjoint", f'["{cameras[0][0]}"]'),
             ("sdis-lmartin", "Luc Martin", "live", '["*"]'),
             ("admin-jroux", "Jeanne Roux", "admin", "[]"), *more_users]
    for uid, name, role, cams in users:
        lines += ["[[users]]", f'id = "{uid}"', f'name = "{name}"', f'role = "{role}"',
                  f'password_hash = "{phash}"', f"cameras = {cams}"]
    path = tmp / "recorder.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


_HASH: list[str] = []


def _cached_hash() -> str:
    from recorder.passwords import hash_password

    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


class RecorderProcess:
    """`recorder run` as a real process in its own session (so kill -9 takes its children)."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the service."""
        env = dict(os.environ, MALLOC_ARENA_MAX="2")  # as the systemd unit sets it
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "recorder.cli", "run", "--config", str(self.config)],
                stdout=fh, stderr=fh, start_new_session=True, cwd=REPO, env=env)

    def terminate(self, timeout: float = 30) -> int:
        """Graceful stop (SIGTERM); returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self.proc = None
        return rc

    def kill9(self) -> None:
        """kill -9 the whole process group: the recorder and its ffmpeg children at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        """Finalizer: make sure nothing we started survives."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None


def api(port: int, method: str, path: str, user: str | None = None,
        body: dict[str, Any] | None = None, password: str = PASSWORD) -> tuple[int, bytes]:
    """One HTTP request to the recorder API; returns (status, body)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(predicate: Any, timeout: float, interval: float = 0.2) -> Any:
    """Poll predicate() until truthy or timeout; returns its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def frame_pts(path: Path) -> list[float]:
    """Presentation timestamps of every video frame of a file (ffprobe)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "packet=pts_time", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    values = [line.split(",")[0].strip() for line in out.splitlines()]
    return [float(v) for v in values if v and v != "N/A"]


def stream_info(path: Path) -> dict[str, Any]:
    """Codec, resolution and frame rate of the first video stream (ffprobe)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,width,height,avg_frame_rate,r_frame_rate",
                          "-show_entries", "format=nb_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    info: dict[str, Any] = data["streams"][0]
    info["nb_streams"] = data["format"]["nb_streams"]
    return info


def decode_errors(path: Path) -> int:
    """Number of error lines when decoding the whole file."""
    res = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                         capture_output=True, text=True, check=False)
    return len([line for line in res.stderr.splitlines() if line.strip()])


def seed_segments(state: Any, camera_id: str, source: Path, starts: list[float],
                  duration: float = 2.0, valid: bool = True) -> list[Any]:
    """Store copies of a real segment as if recorded at the given UTC starts, through the
    recorder's own write path (signed `recording` register entry, then index row)."""
    import shutil

    from recorder import timeutil
    from recorder.metrics import Metrics
    from recorder.writer import SegmentWriter

    cam = state.config.camera(camera_id)
    writer = SegmentWriter(state, cam, lambda: valid, Metrics(state.config.storage_root))
    writer.out_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for start in starts:
        path = writer.out_dir / f"{camera_id}_{timeutil.compact(start)}-seed.ts"
        shutil.copyfile(source, path)
        out.append(writer.write(path, start, start + duration, "seed", repaired=False))
    return out


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `recorder ARGS` as a real process."""
    return subprocess.run([sys.executable, "-m", "recorder.cli", *args], input=stdin,
                          capture_output=True, text=True, check=False, cwd=REPO)
