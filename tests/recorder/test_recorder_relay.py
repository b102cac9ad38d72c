"""Live relay for the crisis cell (ACC-4): gst-rtsp-server pulls each camera once, fans it out
to every viewer, exposes live mounts only, authenticates each viewer's own account and honours
its camera list (ACC-2/ACC-3), journals viewers by their user id (JRN-1)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from recorder_harness import PASSWORD, REPO, RtspServer, make_config, stream_info

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


def _url(conf: config.Config, mount: str, user: str | None = "mdupont",
         password: str = PASSWORD) -> str:
    host, port = conf.relay_listen
    cred = f"{user}:{quote(password, safe='')}@" if user else ""
    return f"rtsp://{cred}{host}:{port}/{mount}"


def _plays(url: str) -> bool:
    res = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                          "5000000", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name", "-of", "csv=p=0", url],
                         capture_output=True, text=True, timeout=30, check=False)
    return res.returncode == 0 and res.stdout.strip() == "h264"


def _journal(conf: config.Config, kind: str) -> list[dict[str, object]]:
    return [e["data"] for e in Ledger(conf.journal_dir, "journal", None).entries()
            if e["kind"] == kind]


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
    assert all(v["user"] == "mdupont" for v in views), views  # the viewer's own id


def test_relay_exposes_live_mounts_only(relay: config.Config, tmp_path: Path) -> None:
    """No recorded data: anything but a configured camera's live mount is refused."""
    for mount in ("recordings", "cam1/../video", "cam3", "play?camera=cam1"):
        res = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                              "3000000", _url(relay, mount)], capture_output=True, text=True,
                             timeout=20, check=False)
        assert res.returncode != 0, mount


def test_relay_refuses_anonymous_and_wrong_password_viewers(relay: config.Config) -> None:
    """ACC-1: whoever reaches the relay still needs an individual account."""
    assert not _plays(_url(relay, "cam1", user=None))
    assert not _plays(_url(relay, "cam1", password="not the password at all"))
    failed = _journal(relay, "login_failed")
    assert any(f["user_claimed"] == "mdupont" and f.get("via") == "relay" for f in failed)
    assert _plays(_url(relay, "cam1"))


def test_relay_honours_the_accounts_camera_list_and_role(relay: config.Config) -> None:
    """ACC-2: pbernard is habilitated for cam1 only; the admin role sees no video (ACC-4)."""
    assert _plays(_url(relay, "cam1", user="pbernard"))
    assert not _plays(_url(relay, "cam2", user="pbernard"))
    assert not _plays(_url(relay, "cam1", user="admin-jroux"))
    assert _plays(_url(relay, "cam2", user="sdis-lmartin"))
    views = _journal(relay, "live_view")
    assert {(v["user"], v["camera"]) for v in views} == {("pbernard", "cam1"),
                                                         ("sdis-lmartin", "cam2")}
    denied = _journal(relay, "access_denied")
    assert {(d["user"], d["camera"]) for d in denied} >= {("pbernard", "cam2"),
                                                          ("admin-jroux", "cam1")}


def test_crisis_cell_viewer_authenticates_and_never_leaks_its_password(
        relay: config.Config, tmp_path: Path) -> None:
    """The crisis cell's probe (roles/crisis_cell/files/beffroi-live-view) logs in with its own
    account per commune; its password reaches neither its output nor status.json; it asks, it
    does not watch: no live_view line (issue 12, see test_relay_viewers.py)."""
    import json

    host, port = relay.relay_listen
    script = REPO / "roles" / "crisis_cell" / "files" / "beffroi-live-view"
    secret = "p@ss:w/rd wrong but long"

    def probe(password: str) -> tuple[dict[str, object], str]:
        conf = {"timeout": 8, "state_dir": str(tmp_path),
                "streams": [{"commune": "Testville", "slug": "testville", "camera": "cam1",
                             "url": f"rtsp://{host}:{port}/cam1"}],
                "credentials": {"testville": {"user": "sdis-lmartin", "password": password}}}
        path = tmp_path / "viewer.json"
        path.write_text(json.dumps(conf))
        res = subprocess.run([sys.executable, str(script), "--config", str(path)],
                             capture_output=True, text=True, timeout=60, check=True)
        status = (tmp_path / "status.json").read_text()
        assert password not in status and password not in res.stdout + res.stderr
        assert quote(password, safe="") not in status + res.stdout + res.stderr
        return json.loads(status)["streams"][0], res.stdout

    stream, out = probe(PASSWORD)
    assert stream["ok"] is True and "up" in out
    stream, out = probe(secret)
    assert stream["ok"] is False and "DOWN" in out
    assert _journal(relay, "live_view") == []
