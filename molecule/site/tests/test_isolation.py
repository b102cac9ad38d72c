"""Issue 4's isolation claims, checked from inside the lab after converging Évrange + the hub.

Addresses come from the Moselle example model (sites/evrange.yml, crisis-cell.yml): NVR
10.57.0.99, firewall spoke 10.58.0.2, hub 10.58.0.1 / 100.64.0.2, cameras 10.57.0.74/.75.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

NVR = "10.57.0.99"
SPOKE_VPN = "10.58.0.2"
HUB_WAN = "100.64.0.2"
CAMERA = "10.57.0.74"
RELAY = f"rtsp://{NVR}:8554/cam-mairie-narrow"


def tcp(host: Any, ip: str, port: int, wait: int = 3) -> tuple[bool, str]:
    """Connect with netcat from `host`: (connected, nc's message)."""
    res = host.run(f"nc -vz -w {wait} {ip} {port}")
    return res.rc == 0, (res.stderr + res.stdout).strip()


def test_firewall_policy_is_drop_on_input_and_forward(lab: Any) -> None:
    fw = lab("evrange-fw")
    ruleset = fw.check_output("nft list table inet beffroi")
    assert "hook input priority filter; policy drop;" in ruleset
    assert "hook forward priority filter; policy drop;" in ruleset


def test_ping_crosses_the_wireguard_tunnel(lab: Any) -> None:
    hub = lab("cdc57-hub")
    res = hub.run(f"ping -c 3 -W 2 {SPOKE_VPN}")
    assert res.rc == 0, res.stdout + res.stderr
    route = hub.check_output(f"ip route get {NVR}")
    assert "dev wg-beffroi" in route, route


def test_crisis_cell_reaches_the_nvr_live_port(lab: Any) -> None:
    ok, msg = tcp(lab("cdc57-hub"), NVR, 8554)
    assert ok, f"ACC-4: the live relay must answer the crisis cell: {msg}"


def test_crisis_cell_ssh_and_recorder_api_time_out(lab: Any) -> None:
    hub = lab("cdc57-hub")
    for port in (22, 8443, 9100, 80):
        ok, msg = tcp(hub, NVR, port)
        assert not ok, f"ACC-4: port {port} of the NVR must not answer the crisis cell"
        assert "timed out" in msg, f"port {port}: expected a silent drop, got: {msg}"


def _rtsp(user: str, password: str) -> str:
    return RELAY.replace("rtsp://", f"rtsp://{quote(user, safe='')}:{quote(password, safe='')}@")


def _live_person() -> tuple[str, str]:
    """Évrange's live-only recipient (the SDIS operator) and the first password the vault holds
    for them (ACC-3: a person's own account, journaled by name)."""
    from beffroi.inventory import load_inventory
    from beffroi.secrets import INITIAL_PASSWORD, RECORDER_USERS
    from beffroi.vault import read_vault

    inv = load_inventory(Path(__file__).resolve().parents[3] / "inventories" / "moselle")
    person = next(h for h in inv.sites["evrange"].habilitations if list(h.rights) == ["live"])
    secrets = read_vault(inv.vault_file("evrange"))
    return person.id, str(secrets[RECORDER_USERS][person.id][INITIAL_PASSWORD])


def test_live_relay_crosses_the_tunnel(lab: Any) -> None:
    """ffprobe from the hub gets the camera's H.264 through spoke → firewall → NVR relay with a
    live-only person's account (ACC-3); anonymous viewers are refused, and the hub's own account
    is a health probe that may describe but never play (issue 12: no fake live_view)."""
    hub = lab("cdc57-hub")
    with hub.sudo():
        cred = json.loads(hub.check_output("cat /etc/beffroi/viewer.json"))["credentials"]
    probe = _rtsp(cred["evrange"]["user"], cred["evrange"]["password"])
    anonymous = hub.run("ffprobe -v error -rtsp_transport tcp -timeout 8000000 " + RELAY)
    assert anonymous.rc != 0, "ACC-3: the relay must refuse an anonymous viewer"
    probed = hub.run(f"ffprobe -v error -rtsp_transport tcp -timeout 8000000 '{probe}'")
    assert probed.rc != 0 and "403" in probed.stderr, "ACC-4: the probe account never plays"
    authed = _rtsp(*_live_person())
    deadline = time.monotonic() + 60
    last = None
    while time.monotonic() < deadline:
        last = hub.run("ffprobe -v error -rtsp_transport tcp -timeout 8000000 -select_streams v:0 "
                       f"-show_entries stream=codec_name -of json '{authed}'")
        if last.rc == 0:
            break
        time.sleep(3)
    assert last is not None and last.rc == 0, last.stderr if last else "no probe"
    assert json.loads(last.stdout)["streams"][0]["codec_name"] == "h264"


def test_viewer_service_pulls_the_live_relay(lab: Any) -> None:
    hub = lab("cdc57-hub")
    with hub.sudo():
        hub.run("systemctl start beffroi-viewer.service")
        status = json.loads(hub.check_output("cat /var/lib/beffroi-viewer/status.json"))
    evrange = [s for s in status["streams"] if s["slug"] == "evrange"]
    assert {s["camera"] for s in evrange} == {"cam-mairie-narrow", "cam-mairie-context"}
    assert all(s["url"].startswith(f"rtsp://{NVR}:8554/") for s in evrange)
    assert all(s["ok"] for s in evrange), evrange


def test_camera_vlan_cannot_reach_the_wan(lab: Any) -> None:
    cam = lab("evrange-camhost")
    ok, msg = tcp(cam, HUB_WAN, 22)
    assert not ok, f"NET-1: a camera-VLAN host reached the WAN: {msg}"
    assert cam.run(f"ping -c 2 -W 2 {HUB_WAN}").rc != 0


def test_camera_vlan_reaches_nothing_of_the_nvr_but_time(lab: Any) -> None:
    ok, msg = tcp(lab("evrange-camhost"), NVR, 8443)
    assert not ok and "timed out" in msg, msg


def test_crisis_cell_cannot_reach_a_camera(lab: Any) -> None:
    ok, _ = tcp(lab("cdc57-hub"), CAMERA, 554)
    assert not ok, "ACC-4: the crisis cell must not reach cameras directly"


def test_recorder_records_the_lab_cameras(lab: Any) -> None:
    nvr = lab("evrange-nvr")
    deadline = time.monotonic() + 90
    found = ""
    while time.monotonic() < deadline:
        with nvr.sudo():
            found = nvr.run("find /srv/beffroi/video -type f -size +10k").stdout.strip()
        if found:
            break
        time.sleep(5)
    assert found, "no segment written under /srv/beffroi/video within 90 s"
