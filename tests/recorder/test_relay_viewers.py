"""The relay's viewers (issue 14 §3, issue 12): a person the crisis-cell wall vouches for with a
short-lived signed token is journaled under their own id (JRN-1) within the token's camera list
(ACC-3); the crisis cell's health probe is counted in metrics and never journaled as a live view;
the camera is pulled only while someone watches."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from recorder_harness import PASSWORD, REPO, RtspServer, make_config, wait_for

from recorder import config, viewtoken
from recorder.ledger import Ledger

pytestmark = pytest.mark.slow
WALL_KEY = Ed25519PrivateKey.generate()
PROBE = ("cdc57-hub", "Cellule de crise de la Moselle", "probe", '["*"]')


@pytest.fixture
def relay(tmp_path: Path, camera_server: RtspServer) -> Iterator[config.Config]:
    path = make_config(tmp_path, [("cam1", camera_server.url(1)), ("cam2", camera_server.url(2))],
                       relay_extra=(f'wall_public_key = "{viewtoken.public_key_b64(WALL_KEY)}"',),
                       more_users=(PROBE,))
    conf = config.load(path)
    proc = subprocess.Popen([sys.executable, "-m", "recorder.cli", "relay", "--config", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
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


def _token(person: str = "gn-acolin", site: str = "testville", cameras: tuple[str, ...] = ("cam1",),
           key: Ed25519PrivateKey = WALL_KEY, **kw: float) -> str:
    return viewtoken.mint(key, person=person, name="Alice Colin", service="gendarmerie",
                          site=site, cameras=cameras, **kw)


def _url(conf: config.Config, mount: str, user: str, secret: str) -> str:
    host, port = conf.relay_listen
    return f"rtsp://{quote(user, safe='')}:{quote(secret, safe='')}@{host}:{port}/{mount}"


def _wall_url(conf: config.Config, mount: str, token: str) -> str:
    host, port = conf.relay_listen
    return f"rtsp://{host}:{port}/{mount}?token={token}"


def _plays(url: str) -> bool:
    res = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                          "5000000", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,width", "-of", "csv=p=0", url],
                         capture_output=True, text=True, timeout=30, check=False)
    return res.returncode == 0 and res.stdout.strip() == "h264,1280"


def _journal(conf: config.Config, kind: str) -> list[dict[str, object]]:
    return [e["data"] for e in Ledger(conf.journal_dir, "journal", None).entries()
            if e["kind"] == kind]


def _camera_connections(camera_port: int) -> int:
    out = subprocess.run(["ss", "-Htn", "state", "established", "dport", f"= :{camera_port}"],
                         capture_output=True, text=True, check=True).stdout
    return len([line for line in out.splitlines() if line.strip()])


def test_relay_journals_the_walls_person_by_their_own_id(relay: config.Config) -> None:
    """JRN-1: the journal names the gendarme watching, not the crisis cell."""
    assert _plays(_wall_url(relay, "cam1", _token()))
    views = _journal(relay, "live_view")
    assert [(v["user"], v["camera"], v["via"], v["service"]) for v in views] == [
        ("gn-acolin", "cam1", "wall", "gendarmerie")]
    ends = wait_for(lambda: _journal(relay, "live_view_end"), 5)
    assert ends[0]["user"] == "gn-acolin" and float(str(ends[0]["seconds"])) >= 0


def test_relay_honours_the_tokens_camera_list(relay: config.Config) -> None:
    """ACC-3: a token for cam1 does not open cam2; the refusal is journaled."""
    assert not _plays(_wall_url(relay, "cam2", _token(cameras=("cam1",))))
    denied = _journal(relay, "access_denied")
    assert [(d["user"], d["camera"]) for d in denied] == [("gn-acolin", "cam2")]
    assert _journal(relay, "live_view") == []


def _forged_claims() -> str:
    """A valid token whose claims were swapped for another person's (signature kept)."""
    import base64

    prefix, body, sig = _token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "pn-intrus"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{prefix}.{forged}.{sig}"


@pytest.mark.parametrize("why, token", [
    ("another commune", lambda: _token(site="evrange")),
    ("expired", lambda: _token(now=time.time() - 600)),
    ("signed by another key", lambda: _token(key=Ed25519PrivateKey.generate())),
    ("claims rewritten", _forged_claims),
    ("tampered signature", lambda: _token()[:-6] + "AAAAAA"),
    ("not a token", lambda: "hello"),
])
def test_relay_refuses_a_token_that_does_not_vouch_for_this_viewer(
        relay: config.Config, why: str, token: object) -> None:
    assert callable(token)
    assert not _plays(_wall_url(relay, "cam1", token())), why
    failed = _journal(relay, "login_failed")
    assert failed and all(f["via"] == "wall" and "ACC-3" in str(f["reason"]) for f in failed)
    assert _journal(relay, "live_view") == []


def test_relay_refuses_a_token_replayed_on_a_second_connection(relay: config.Config) -> None:
    """A token opens one RTSP connection: copied from a process list, it is already spent."""
    token = _token()
    assert _plays(_wall_url(relay, "cam1", token))
    assert not _plays(_wall_url(relay, "cam1", token))
    assert len(_journal(relay, "live_view")) == 1


def _describe(conf: config.Config, mount: str, user: str, password: str,
              method: str = "DESCRIBE") -> str:
    import base64

    host, port = conf.relay_listen
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(f"{method} rtsp://{host}:{port}/{mount} RTSP/1.0\r\nCSeq: 1\r\n"
                  f"Authorization: Basic {basic}\r\n\r\n".encode())
        return s.recv(65536).decode("latin-1")


def test_health_probe_is_counted_in_metrics_and_never_journaled_as_a_view(
        relay: config.Config, camera_server: RtspServer, tmp_path: Path) -> None:
    """Issue 12: the crisis cell's probe (roles/crisis_cell/files/beffroi-live-view) asks each
    mount with DESCRIBE under its probe account: a metric, not a `live_view` line."""
    host, port = relay.relay_listen
    script = REPO / "roles" / "crisis_cell" / "files" / "beffroi-live-view"
    streams = [{"commune": "Testville", "slug": "testville", "camera": c,
                "url": f"rtsp://{host}:{port}/{c}"} for c in ("cam1", "cam2")]

    def probe(password: str) -> tuple[list[dict[str, object]], str]:
        conf = {"timeout": 8, "state_dir": str(tmp_path), "streams": streams,
                "credentials": {"testville": {"user": "cdc57-hub", "password": password}}}
        (tmp_path / "viewer.json").write_text(json.dumps(conf))
        res = subprocess.run([sys.executable, str(script), "--config",
                              str(tmp_path / "viewer.json")],
                             capture_output=True, text=True, timeout=60, check=True)
        status = (tmp_path / "status.json").read_text()
        assert password not in status + res.stdout + res.stderr
        return json.loads(status)["streams"], res.stdout

    for _ in range(3):  # three timer runs
        results, out = probe(PASSWORD)
        assert [r["ok"] for r in results] == [True, True], out
        assert all(r["codec_name"] == "h264" for r in results)
    results, out = probe("wrong password, long enough")
    assert [r["ok"] for r in results] == [False, False] and "DOWN" in out
    assert _journal(relay, "live_view") == []
    counters = json.loads((relay.state_dir / "relay-counters.json").read_text())
    assert counters["probes"] == {"cam1": 3, "cam2": 3}
    assert counters["live_views"] == {}
    from recorder.metrics import Metrics

    text = Metrics(relay.storage_root, relay.state_dir).render().decode()
    assert 'recorder_relay_probes_total{camera="cam1"} 3.0' in text
    assert wait_for(lambda: _camera_connections(camera_server.port) == 0, 10), \
        "a probe left the camera pulled"


def test_health_probe_may_not_watch(relay: config.Config) -> None:
    """ACC-4: the probe account describes a mount but a PLAY from it is refused."""
    assert _describe(relay, "cam1", "cdc57-hub", PASSWORD).startswith("RTSP/1.0 200")
    assert not _plays(_url(relay, "cam1", "cdc57-hub", PASSWORD))
    assert _journal(relay, "live_view") == []


def test_relay_pulls_a_camera_only_while_someone_watches(
        relay: config.Config, camera_server: RtspServer, tmp_path: Path) -> None:
    """On demand: no viewer, no camera connection; the last viewer gone, the pull stops."""
    time.sleep(1.0)
    assert _camera_connections(camera_server.port) == 0
    viewer = subprocess.Popen(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
                               "5000000", "-i", _wall_url(relay, "cam1", _token()),
                               "-t", "4", "-c", "copy", "-y", str(tmp_path / "v.ts")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: _camera_connections(camera_server.port) == 1, 10)
    assert viewer.wait(timeout=30) == 0
    assert wait_for(lambda: _camera_connections(camera_server.port) == 0, 10), \
        "the relay still pulls the camera with nobody watching"
