"""HTTP API against a real running recorder: individual accounts, rights per role (ACC-1..4),
every video request journaled (JRN-1), export during recording (EXP-1/2/3)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from recorder_harness import (
    PASSWORD,
    RecorderProcess,
    RtspServer,
    api,
    cli,
    encode_clip,
    make_config,
    wait_for,
)

from recorder import config, timeutil
from recorder.index import Index
from recorder.ledger import Ledger

pytestmark = pytest.mark.slow


@dataclass
class Running:
    conf: config.Config
    path: Path
    port: int
    tmp: Path

    def journal(self) -> list[dict[str, object]]:
        return list(Ledger(self.conf.journal_dir, "journal", None).entries())

    def segments(self, camera: str) -> list[object]:
        idx = Index(self.conf.index_path)
        try:
            return list(idx.segments(camera))
        finally:
            idx.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One recorder recording two loopback cameras for the whole module."""
    tmp = tmp_path_factory.mktemp("api")
    clip = encode_clip(tmp / "clip.h264", 1280, 720, 15, 10)
    server = RtspServer(clip, 15, mounts=2)
    server.start()
    path = make_config(tmp, [("cam1", server.url(1)), ("cam2", server.url(2))])
    conf = config.load(path)
    proc = RecorderProcess(path, tmp / "recorder.log")
    proc.start()
    try:
        assert wait_for(lambda: len(Index(conf.index_path).segments("cam2")) >= 3, 30)
        yield Running(conf, path, conf.api_listen[1], tmp)
    finally:
        proc.cleanup()
        server.stop()


def _range(seconds: float = 6, back: float = 1) -> str:
    now = time.time()
    return f"from={timeutil.iso(now - seconds - back)}&to={timeutil.iso(now - back)}"


def _last_entry(r: Running, kind: str) -> dict[str, object]:
    entries = [e["data"] for e in r.journal() if e["kind"] == kind]
    assert entries, f"no {kind} entry in the journal"
    data = entries[-1]
    assert isinstance(data, dict)
    return data


def test_unauthenticated_requests_are_refused(running: Running) -> None:
    for method, path in (("GET", f"/api/segments?camera=cam1&{_range()}"),
                         ("GET", f"/api/play?camera=cam1&{_range()}"),
                         ("GET", "/api/live?camera=cam1"), ("GET", "/api/cameras"),
                         ("POST", "/api/login")):
        status, _ = api(running.port, method, path)
        assert status == 401, path


def test_wrong_password_is_refused_and_journaled(running: Running) -> None:
    status, _ = api(running.port, "GET", "/api/cameras", "mdupont", password="not the password")
    assert status == 401
    entry = _last_entry(running, "login_failed")
    assert entry["user_claimed"] == "mdupont"


def test_live_role_cannot_list_play_or_export_and_it_is_journaled(running: Running) -> None:
    """ACC-3/ACC-4: the crisis cell's recipients see live video only."""
    user = "sdis-lmartin"
    status, body = api(running.port, "GET", f"/api/segments?camera=cam1&{_range()}", user)
    assert status == 403 and b"ACC-4" in body
    status, body = api(running.port, "GET", f"/api/play?camera=cam1&{_range()}", user)
    assert status == 403
    now = time.time()
    status, body = api(running.port, "POST", "/api/export", user,
                       body={"cameras": ["cam1"], "from": timeutil.iso(now - 5),
                             "to": timeutil.iso(now - 1)})
    assert status == 403
    denied = [e["data"] for e in running.journal() if e["kind"] == "access_denied"]
    mine = [d for d in denied if isinstance(d, dict) and d["user"] == user]
    assert {d["action"] for d in mine} >= {"search", "playback", "export"}
    assert all(d["camera"] == "cam1" and "from" in d and "to" in d for d in mine)
    # ... but live is granted, and journaled
    status, body = api(running.port, "GET", "/api/live?camera=cam1", user)
    assert status == 200 and json.loads(body)["url"].endswith("/cam1")
    assert _last_entry(running, "live_view")["user"] == user
    # the CLI export path applies the same rule
    res = cli("export", "--config", str(running.path), "--camera", "cam1",
              "--from", timeutil.iso(now - 5), "--to", timeutil.iso(now - 3),
              "--out", str(running.tmp / "denied-export"), "--user", user,
              "--password-file", "-", "--reason", "test", stdin=PASSWORD)
    assert res.returncode == 1 and "ACC-4" in res.stderr
    assert not (running.tmp / "denied-export").exists()


def test_admin_configures_but_sees_no_video(running: Running) -> None:
    status, _ = api(running.port, "GET", f"/api/play?camera=cam1&{_range()}", "admin-jroux")
    assert status == 403
    status, _ = api(running.port, "GET", "/api/live?camera=cam1", "admin-jroux")
    assert status == 403
    status, body = api(running.port, "GET", "/api/status", "admin-jroux")
    assert status == 200 and json.loads(body)["cameras"]["cam1"] == "recording"


def test_adjoint_sees_only_the_cameras_of_their_habilitation(running: Running) -> None:
    status, _ = api(running.port, "GET", f"/api/segments?camera=cam1&{_range()}", "pbernard")
    assert status == 200
    status, body = api(running.port, "GET", f"/api/segments?camera=cam2&{_range()}", "pbernard")
    assert status == 403 and b"ACC-2" in body


def test_maire_search_and_playback_are_bit_exact_and_journaled(running: Running) -> None:
    rng = _range(5)
    status, body = api(running.port, "GET", f"/api/segments?camera=cam2&{rng}", "mdupont")
    assert status == 200
    listed = json.loads(body)["segments"]
    assert listed
    search = _last_entry(running, "search")
    assert search["user"] == "mdupont" and search["camera"] == "cam2" and "from" in search
    status, video = api(running.port, "GET", f"/api/play?camera=cam2&{rng}", "mdupont")
    assert status == 200
    by_id = {s.id: s for s in Index(running.conf.index_path).segments("cam2")}
    stored = b"".join((running.conf.storage_root / by_id[item["id"]].path).read_bytes()
                      for item in listed)
    assert video == stored  # playback serves the stored bytes
    play = _last_entry(running, "playback")
    assert play["user"] == "mdupont" and play["camera"] == "cam2"


def test_instant_lookup_gives_camera_location_and_utc_time(running: Running) -> None:
    """CAM-4: camera id, location and UTC time are retrievable for any recorded instant."""
    at = time.time() - 3
    status, body = api(running.port, "GET", f"/api/instant?camera=cam1&at={timeutil.iso(at)}",
                       "mdupont")
    assert status == 200, body
    data = json.loads(body)
    assert data["location"] == "Test mast, cam1" and data["utc"] == timeutil.iso(at)
    assert 0 <= data["offset_seconds"] < 6


def test_login_issues_a_token_and_is_journaled(running: Running) -> None:
    import urllib.request

    status, body = api(running.port, "POST", "/api/login", "pbernard")
    assert status == 200
    token = json.loads(body)["token"]
    assert _last_entry(running, "login")["user"] == "pbernard"
    req = urllib.request.Request(f"http://127.0.0.1:{running.port}/api/cameras")
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert [c["id"] for c in json.loads(resp.read())] == ["cam1"]


def test_metrics_expose_camera_state_segments_and_headroom(running: Running) -> None:
    status, body = api(running.port, "GET", "/metrics")
    text = body.decode()
    assert status == 200
    assert 'recorder_camera_state{camera="cam1",state="recording"} 1.0' in text
    assert 'recorder_segments_total{camera="cam2"}' in text
    assert "recorder_disk_free_percent" in text and "recorder_last_segment_age_seconds" in text


def test_export_during_recording_no_gap_manifest_verifies_flipped_byte_detected(
        running: Running) -> None:
    """EXP-1/2/3: bit-exact copies, signed manifest, recording goes on without a gap."""
    now = time.time()
    start, end = now - 5, now + 1  # reaches into the segment being recorded: it is awaited
    out = running.tmp / "export-1"
    res = cli("export", "--config", str(running.path), "--camera", "cam1", "--camera", "cam2",
              "--from", timeutil.iso(start), "--to", timeutil.iso(end), "--out", str(out),
              "--user", "mdupont", "--password-file", "-", "--requisition", "PV-2026-123",
              stdin=PASSWORD)
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["exporter"]["id"] == "mdupont" and manifest["from"] == timeutil.iso(start)
    for cam in ("cam1", "cam2"):
        files = [f for f in manifest["files"] if f["camera"] == cam]
        assert timeutil.parse_iso(files[0]["start"]) <= start
        assert timeutil.parse_iso(files[-1]["end"]) >= end
        for a, b in itertools.pairwise(files):
            assert a["end"] == b["start"], "gap inside the export"
        for f in files:  # EXP-1: the stored bytes
            stored = running.conf.storage_root / cam / Path(f["path"]).name
            assert (out / f["path"]).read_bytes() == stored.read_bytes()
    res = cli("verify-export", str(out))
    assert res.returncode == 0, res.stderr
    pub = running.tmp / "nvr.pub"
    pub.write_text(manifest["public_key_pem"])
    assert cli("verify-export", str(out), "--public-key", str(pub)).returncode == 0
    # EXP-3: recording went on during the export, without a gap
    after = time.time()
    assert wait_for(lambda: any(s.start > after  # type: ignore[attr-defined]
                                for s in running.segments("cam1")), 10)
    assert Index(running.conf.index_path).gaps() == []
    # journal (EXP-2) and register transmission (REG-1)
    exp = _last_entry(running, "export")
    assert exp["user"] == "mdupont" and exp["cameras"] == ["cam1", "cam2"]
    reg = [e["data"] for e in Ledger(running.conf.register_dir, "register", None).entries()
           if e["kind"] == "transmission"]
    assert reg and reg[-1]["requisition"] == "PV-2026-123"
    # one flipped byte in one exported file is detected and named
    victim = out / manifest["files"][1]["path"]
    data = bytearray(victim.read_bytes())
    data[1000] ^= 0xFF
    victim.write_bytes(bytes(data))
    res = cli("verify-export", str(out))
    assert res.returncode == 1 and manifest["files"][1]["path"] in res.stderr
    # an edited manifest fails its signature
    victim.write_bytes(bytes(data[:1000]) + bytes([data[1000] ^ 0xFF]) + bytes(data[1001:]))
    assert cli("verify-export", str(out)).returncode == 0
    (out / "manifest.json").write_text(json.dumps({**manifest, "from": timeutil.iso(start - 60)},
                                                  indent=2))
    res = cli("verify-export", str(out))
    assert res.returncode == 1 and "signature" in res.stderr


def test_api_export_by_the_maire_verifies(running: Running) -> None:
    now = time.time()
    status, body = api(running.port, "POST", "/api/export", "mdupont",
                       body={"cameras": ["cam2"], "from": timeutil.iso(now - 4),
                             "to": timeutil.iso(now - 2), "reason": "main courante 12"})
    assert status == 200, body
    out = Path(json.loads(body)["export_dir"])
    assert cli("verify-export", str(out)).returncode == 0
    entry = _last_entry(running, "export")
    assert entry["via"] == "api" and entry["reason"] == "main courante 12"


@pytest.mark.parametrize("reason", [None, "", "  ", 12])
def test_api_export_without_a_reason_is_refused(running: Running, reason: object) -> None:
    """EXP-2: a requisition reference or a written reason, never an empty one."""
    now = time.time()
    body: dict[str, object] = {"cameras": ["cam2"], "from": timeutil.iso(now - 4),
                               "to": timeutil.iso(now - 2)}
    if reason is not None:
        body["reason"] = reason
    status, answer = api(running.port, "POST", "/api/export", "mdupont", body=body)
    assert status == 400 and b"EXP-2" in answer


def test_verify_passes_while_recording_goes_on(running: Running) -> None:
    """verify reads a consistent snapshot beside the running service (no false alarm)."""
    res = cli("verify", "--config", str(running.path))
    assert res.returncode == 0, res.stderr
    assert "verify OK" in res.stdout
