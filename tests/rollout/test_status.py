"""`beffroi status` against real recorders on loopback, read with an account that sees no
video: healthy while recording, unhealthy (exit 1) when a camera stops or a recorder is gone."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recorder"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from recorder_harness import PASSWORD, RecorderProcess, RtspServer, api, encode_clip, free_port
from rollout_kit import beffroi


@pytest.fixture
def recorder(tmp_path: Path) -> object:
    from recorder_harness import make_config

    clip = encode_clip(tmp_path / "clip.h264", 704, 576, 15, 4, kbps=300)
    cams = RtspServer(clip, 15, mounts=2)
    cams.start()
    port = free_port()
    conf = make_config(tmp_path, [("cam1", cams.url(1)), ("cam2", cams.url(2))],
                       api_port=port, width=704, height=576)
    proc = RecorderProcess(conf, tmp_path / "rec.log")
    proc.start()
    yield cams, port
    proc.cleanup()
    cams.stop()


def _status(tmp_path: Path, endpoints: dict[str, str]) -> tuple[int, dict[str, object]]:
    ends = tmp_path / "endpoints.yml"
    ends.write_text("".join(f"{k}: {{api: '{v}'}}\n" for k, v in endpoints.items()))
    pw = tmp_path / "status-password"
    pw.write_text(PASSWORD)
    res = beffroi("status", "--endpoints", str(ends), "--account", "admin-jroux",
                  "--password-file", str(pw), "--evidence", str(tmp_path / "out"),
                  "--max-segment-age", "8", "-f", "json")
    return res.returncode, json.loads(res.stdout)


def test_status_reads_health_with_an_account_that_sees_no_video(recorder: object,
                                                               tmp_path: Path) -> None:
    cams, port = recorder  # type: ignore[misc]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 40
    rc, data = _status(tmp_path, {"evrange": base})
    while rc != 0 and time.monotonic() < deadline:
        time.sleep(1)
        rc, data = _status(tmp_path, {"evrange": base})
    assert rc == 0, data
    (commune,) = data["communes"]  # type: ignore[misc]
    assert commune["clock_synchronised"] is True and commune["disk_free_percent"] > 0
    assert {c["camera"]: c["state"] for c in commune["cameras"]} == {"cam1": "recording",
                                                                     "cam2": "recording"}
    assert all(c["last_segment_age"] < 8 for c in commune["cameras"])
    # the status account (role admin) is refused any video, as ACC-4 wants
    code, _ = api(port, "GET", "/api/segments?camera=cam1&from=2026-01-01T00:00:00Z"
                  "&to=2026-01-02T00:00:00Z", user="admin-jroux")
    assert code == 403

    cams.stop()  # the cameras go dark: the commune becomes unhealthy
    deadline = time.monotonic() + 40
    while rc == 0 and time.monotonic() < deadline:
        time.sleep(1)
        rc, data = _status(tmp_path, {"evrange": base})
    assert rc == 1
    cams.start()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        rc, data = _status(tmp_path, {"evrange": base})
        gaps = [c["gaps_24h"] for c in data["communes"][0]["cameras"]]  # type: ignore[index]
        if rc == 0 and all(g and g >= 1 for g in gaps):
            break
        time.sleep(1)
    assert rc == 0 and all(g >= 1 for g in gaps), data


def test_unreachable_recorder_makes_its_commune_unhealthy(tmp_path: Path) -> None:
    rc, data = _status(tmp_path, {"roussy-le-village": f"http://127.0.0.1:{free_port()}"})
    assert rc == 1
    (commune,) = data["communes"]  # type: ignore[misc]
    assert commune["reachable"] is False and "unreachable" in commune["problems"][0]
