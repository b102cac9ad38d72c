"""A loopback NVR for the drills: real RTSP cameras (gst-rtsp-server), a real `recorder run`
process and real ffmpeg, all on 127.0.0.1, in a private directory.

Loopback drills run from a checkout (`make drill`, `make drill-loopback`, the test suite): they
reuse the recorder's test harness (tests/recorder/recorder_harness.py) rather than a second copy
of it.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from beffroi.fleet.probe import parse_metrics
from beffroi.vault import REPO_ROOT
from recorder.legal import NARROW_MIN

HARNESS_DIR = REPO_ROOT / "tests" / "recorder"


def harness() -> ModuleType:
    """The recorder test harness module (needs a checkout)."""
    if not (HARNESS_DIR / "recorder_harness.py").exists():
        raise RuntimeError(f"loopback drills need a Beffroi checkout ({HARNESS_DIR} missing)")
    if str(HARNESS_DIR) not in sys.path:
        sys.path.append(str(HARNESS_DIR))
    return importlib.import_module("recorder_harness")


class Rig:
    """Two loopback cameras and one recorder process; stop() removes everything."""

    def __init__(self, segment_seconds: int = 2, storage: Path | None = None,
                 extra: tuple[str, ...] = (), min_free: float = 1.0, sync: str = "always",
                 purge_interval: float = 3600, env: dict[str, str] | None = None) -> None:
        h = harness()
        self.h = h
        self.dir = Path(tempfile.mkdtemp(prefix="beffroi-drill-"))
        width, height = NARROW_MIN  # CAM-1: the smallest stream a narrow camera may record
        clip = h.encode_clip(self.dir / "clip.h264", width, height, 15, 4, kbps=300)
        self.cams = h.RtspServer(clip, 15, mounts=2)
        self.port = h.free_port()
        self.config = h.make_config(
            self.dir, [("cam1", self.cams.url(1)), ("cam2", self.cams.url(2))],
            storage=storage, segment_seconds=segment_seconds, api_port=self.port,
            width=width, height=height, min_free=min_free, sync=sync, purge_interval=purge_interval,
            extra=extra)
        self.env = env
        self.proc: Any = None

    def start_cameras(self) -> None:
        """Start (or restart) the RTSP cameras."""
        self.cams.start()

    def start_recorder(self) -> None:
        """Start `recorder run`."""
        self.proc = self.h.RecorderProcess(self.config, self.dir / "recorder.log")
        if self.env:
            import os

            old = dict(os.environ)
            os.environ.update(self.env)
            try:
                self.proc.start()
            finally:
                os.environ.clear()
                os.environ.update(old)
        else:
            self.proc.start()

    def metrics(self) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
        """The recorder's /metrics, parsed ({} while it is not answering)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics",
                                        timeout=2) as r:
                return parse_metrics(r.read().decode())
        except OSError:
            return {}

    def metric(self, name: str, camera: str | None = None) -> float:
        """One sample (0 when absent)."""
        for key, val in self.metrics().get(name, {}).items():
            if camera is None or ("camera", camera) in key:
                return val
        return 0.0

    def wait(self, predicate: Callable[[], Any], timeout: float) -> float | None:
        """Seconds until predicate() holds, or None at timeout."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if predicate():
                return round(time.monotonic() - start, 2)
            time.sleep(0.2)
        return None

    def stop_recorder(self) -> int:
        """Graceful stop (SIGTERM); exit code."""
        rc: int = self.proc.terminate()
        return rc

    def verify(self) -> tuple[bool, str]:
        """`recorder verify` as a process: chains, register against storage, checkpoints."""
        res = self.h.cli("verify", "--config", str(self.config))
        return res.returncode == 0, (res.stdout + res.stderr).strip()[-300:]

    def register(self) -> list[dict[str, Any]]:
        """Every register entry (the recorder stopped or running: entries are appended)."""
        from recorder import config as rconfig
        from recorder.state import open_state

        state = open_state(rconfig.load(self.config))
        try:
            return list(state.register.entries())
        finally:
            state.close()

    def stop(self) -> None:
        """Stop every process started here and remove the directory."""
        if self.proc is not None:
            self.proc.cleanup()
        self.cams.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
