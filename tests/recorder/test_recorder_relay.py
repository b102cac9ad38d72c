"""Live relay for the crisis cell (ACC-4): gst-rtsp-server pulls each camera once, fans it out
to every viewer, exposes live mounts only, journals viewers (JRN-1)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from recorder_harness import REPO, RtspServer, make_config, stream_info

from recorder import config
from recorder.ledger import Ledger

pytestmark = pytest.mark.slow


@pytest.fixture
def relay(tmp_path: Path, camera_server: RtspServer) -> Iterator[config.Config]:
    path = make_config(tmp_path, [("cam1", camera_server.url(1)), ("cam2", camera_server.url(2))])
    conf = config.load(path)
    proc = subprocess.Popen([sys.executable, "-m", "recorder.cli", "relay", "--config", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(conf.relay_listen, timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    yield conf
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _url(conf: config.Config, mount: str) -> str:
    host, port = conf.relay_listen
    return f"rtsp://{host}:{port}/{mount}"


def _viewer(url: str, out: Path, seconds: int = 3) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                             "5000000", "-i", url, "-t", str(seconds), "-c", "copy", "-y",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _camera_connections(camera_port: int) -> int:
    out = subprocess.run(["ss", "-Htn", "state", "established", "dport", f"= :{camera_port}"],
                         capture_output=True, text=True, check=True).stdout
    return len([line for line in out.splitlines() if line.strip()])


def test_relay_fans_one_camera_pull_out_to_several_viewers(
        relay: config.Config, camera_server: RtspServer, tmp_path: Path) -> None:
    viewers = [_viewer(_url(relay, "cam1"), tmp_path / f"v{i}.ts", 4) for i in range(3)]
    time.sleep(2.5)
    pulls = _camera_connections(camera_server.port)
    for v in viewers:
        assert v.wait(timeout=20) == 0
    assert pulls == 1, "the relay pulls the camera once for every viewer"
    for i in range(3):
        info = stream_info(tmp_path / f"v{i}.ts")
        assert (info["width"], info["height"]) == (1280, 720)
    # JRN-1: live views through the relay are journaled
    views = [e["data"] for e in Ledger(relay.journal_dir, "journal", None).entries()
             if e["kind"] == "live_view"]
    assert len(views) >= 3 and all(v["camera"] == "cam1" for v in views)


def test_relay_exposes_live_mounts_only(relay: config.Config, tmp_path: Path) -> None:
    """No recorded data: anything but a configured camera's live mount is refused."""
    for mount in ("recordings", "cam1/../video", "cam3", "play?camera=cam1"):
        res = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                              "3000000", _url(relay, mount)], capture_output=True, text=True,
                             timeout=20, check=False)
        assert res.returncode != 0, mount
