"""Events end to end with real parts on loopback: a real recorder process records a real RTSP
camera; its events reach a webhook receiver (Ed25519 signature checked), aiosmtpd, an RFC 5424
syslog receiver and Debian's mosquitto — each route getting only what its partner may have."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from event_peers import (
    Mosquitto,
    SmtpSink,
    SyslogReceiver,
    WebhookReceiver,
    events_config,
    route,
)
from recorder_harness import REPO, RecorderProcess, RtspServer, make_config, wait_for

from recorder import config as cfgmod
from recorder import keys
from recorder.ledger import Ledger

HEALTH = ["camera_down", "camera_back"]


def _public_pem(tmp: Path) -> str:
    return keys.public_pem(keys.load_private(tmp / "keys" / "signing.pem").public_key())


def _kinds(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind]


def _incident(config: Path, camera: str, itype: str, comment: str) -> str:
    out = subprocess.run([sys.executable, "-m", "recorder.cli", "incident", "--config",
                          str(config), "--camera", camera, "--type", itype, "--comment",
                          comment, "--by", "mdupont"], capture_output=True, text=True,
                         cwd=REPO, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[1]


def _journal(tmp: Path) -> list[dict[str, Any]]:
    return list(Ledger(tmp / "state" / "journal", "journal", None).entries())


def test_stopped_camera_reaches_commune_and_operator_once_and_sdis_never(
        tmp_path: Path, camera: RtspServer, webhook_factory: Callable[..., WebhookReceiver],
        smtp: SmtpSink, syslog: SyslogReceiver, mosquitto: Mosquitto,
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    config = make_config(tmp_path, [("cam1", camera.url(1))], segment_seconds=2, width=768,
                         height=576)
    pem = _public_pem(tmp_path)
    commune = webhook_factory(public_pem=pem).start()
    sdis = webhook_factory(public_pem=pem).start()
    road = webhook_factory(public_pem=pem).start()
    events_config(config, [
        route("commune", "commune", {"type": "webhook", "url": commune.url}, HEALTH),
        route("moselle-fibre", "operator",
              {"type": "email", "host": "127.0.0.1", "port": smtp.port,
               "to": ["astreinte@mf.example"], "sender": "nvr@mf.example"}, HEALTH),
        route("integrateurs", "integrator",
              {"type": "mqtt", "host": "127.0.0.1", "port": mosquitto.port}, HEALTH),
        route("cellule", "crisis_cell", {"type": "syslog", "host": "127.0.0.1",
                                         "port": syslog.port}, ["incident", *HEALTH],
              incident_types=["accident", "fire"], live_link=True),
        route("sdis57", "sdis", {"type": "webhook", "url": sdis.url}, ["incident"],
              incident_types=["accident", "fire"], live_link=True),
        route("routes-cd57", "road_service", {"type": "webhook", "url": road.url},
              ["incident"], incident_types=["road_obstruction"]),
    ], live_link_base="https://127.0.0.1/wall")
    cfgmod.load(config)  # the rendered shape passes check-config
    rec = recorder_factory(config)
    assert wait_for(lambda: any((tmp_path / "video" / "cam1").glob("*.ts")), 30)
    time.sleep(1.5)

    camera.stop()
    assert wait_for(lambda: _kinds(commune.events(), "camera_down"), 30), "no camera_down"
    camera.start()
    assert wait_for(lambda: _kinds(commune.events(), "camera_back"), 30), "no camera_back"
    assert wait_for(lambda: len(smtp.events()) >= 2 and len(mosquitto.events()) >= 2
                    and len(syslog.lines) >= 2, 15)
    time.sleep(3)  # anything extra would arrive now

    for name, got in (("commune", commune.events()), ("moselle-fibre", smtp.events()),
                      ("integrateurs", mosquitto.events())):
        assert [e["kind"] for e in got] == ["camera_down", "camera_back"], name
        assert all(e["source"]["camera"] == "cam1" for e in got), name
    assert [line["msgid"] for line in syslog.lines] == ["camera_down", "camera_back"]
    assert syslog.rejected == []
    assert sdis.posts == [] and road.posts == []
    assert all(p["verified"] for p in commune.posts)  # Ed25519 over timestamp.body

    accident = _incident(config, "cam1", "accident", 'Collision "2 voitures" ] \\ rue')
    assert wait_for(lambda: sdis.events() and len(syslog.lines) >= 3, 15), "incident lost"
    time.sleep(2)
    assert [e["id"] for e in sdis.events()] == [accident]  # once
    post = sdis.posts[0]
    assert post["verified"]
    assert post["body"]["live_links"] == {accident: "https://127.0.0.1/wall/testville/cam1"}
    assert sdis.events()[0]["data"]["comment"] == 'Collision "2 voitures" ] \\ rue'
    assert syslog.lines[2]["sd"]["live_link"] == "https://127.0.0.1/wall/testville/cam1"
    assert syslog.lines[2]["sd"]["id"] == accident
    assert road.posts == []  # an accident is not road state for this route's purposes
    assert len(commune.events()) == 2 and len(smtp.events()) == 2  # health routes only

    obstruction = _incident(config, "cam1", "road_obstruction", "Arbre tombé sur la D56")
    assert wait_for(lambda: road.events(), 15)
    assert [e["id"] for e in road.events()] == [obstruction]
    assert road.posts[0]["body"]["live_links"] == {}  # ACC-3: no link for the road service
    assert [e["id"] for e in sdis.events()] == [accident]

    assert rec.terminate() == 0
    journal = _journal(tmp_path)
    delivered = [e["data"] for e in journal if e["kind"] == "event_delivered"]
    by_route: dict[str, int] = {}
    for d in delivered:
        by_route[d["route"]] = by_route.get(d["route"], 0) + d["count"]
    assert by_route == {"commune": 2, "moselle-fibre": 2, "integrateurs": 2, "cellule": 3,
                        "sdis57": 1, "routes-cd57": 1}
    raised = [e["data"] for e in journal if e["kind"] == "event_raised"]
    assert {r["event"] for r in raised} >= {accident, obstruction}
    print(json.dumps({r: [round(d["max_latency_seconds"], 3) for d in delivered
                          if d["route"] == r] for r in by_route}))
