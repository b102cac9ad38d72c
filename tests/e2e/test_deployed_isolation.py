"""Issue 4's isolation claims, checked from inside the lab commune the demo deployed (Évrange
with the crisis-cell hub, the monitoring host and the workstation): what each host can and
cannot reach, the live relay through the tunnel, the recorder writing video.

Runs on the e2e session's lab after test_demo_lab.py and before the drills and the intruder's
drifts (which leave the lab changed). Addresses are the model's (the lab tests' re-addressed
Moselle), never written here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from e2e_kit import SLUG, Deployed

from beffroi.secrets import INITIAL_PASSWORD, RECORDER_USERS
from beffroi.vault import read_vault

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]


@dataclass(frozen=True)
class Where:
    """The hosts and addresses of the deployed commune, from its model."""

    fw: str
    nvr: str
    camhost: str
    hub: str
    nvr_ip: str
    spoke_vpn: str
    hub_wan: str
    camera: str
    relay: str


@pytest.fixture(scope="module")
def where(deployed: Deployed) -> Where:
    site, cell = deployed.model.sites[SLUG], deployed.model.crisis_cell
    dept = deployed.model.department
    assert cell is not None and dept is not None
    camhost = next(h.hostname for h in deployed.topo.hosts
                   if h.kind == "camhost" and h.site == SLUG)
    cam = site.cameras[0]
    return Where(site.firewall.hostname, site.nvr.hostname, camhost, cell.hostname,
                 str(site.nvr.ip), str(site.firewall.vpn_address), str(cell.wan_address.ip),
                 str(cam.ip), f"rtsp://{site.nvr.ip}:{dept.defaults.live_relay_port}/{cam.name}")


def tcp(host: Any, ip: str, port: int, wait: int = 3) -> tuple[bool, str]:
    """Connect with netcat from `host`: (connected, nc's message)."""
    res = host.run(f"nc -vz -w {wait} {ip} {port}")
    return res.rc == 0, (res.stderr + res.stdout).strip()


def test_firewall_policy_is_drop_on_input_and_forward(deployed: Deployed, where: Where) -> None:
    ruleset = deployed.host(where.fw).check_output("nft list table inet beffroi")
    assert "hook input priority filter; policy drop;" in ruleset
    assert "hook forward priority filter; policy drop;" in ruleset


def test_ping_crosses_the_wireguard_tunnel(deployed: Deployed, where: Where) -> None:
    hub = deployed.host(where.hub)
    res = hub.run(f"ping -c 3 -W 2 {where.spoke_vpn}")
    assert res.rc == 0, res.stdout + res.stderr
    route = hub.check_output(f"ip route get {where.nvr_ip}")
    assert "dev wg-beffroi" in route, route


def test_crisis_cell_reaches_the_nvr_live_port(deployed: Deployed, where: Where) -> None:
    ok, msg = tcp(deployed.host(where.hub), where.nvr_ip, 8554)
    assert ok, f"ACC-4: the live relay must answer the crisis cell: {msg}"


def test_crisis_cell_ssh_and_recorder_api_time_out(deployed: Deployed, where: Where) -> None:
    hub = deployed.host(where.hub)
    for port in (22, 8443, 9100, 80):
        ok, msg = tcp(hub, where.nvr_ip, port)
        assert not ok, f"ACC-4: port {port} of the NVR must not answer the crisis cell"
        assert "timed out" in msg, f"port {port}: expected a silent drop, got: {msg}"


def _rtsp(url: str, user: str, password: str) -> str:
    return url.replace("rtsp://", f"rtsp://{quote(user, safe='')}:{quote(password, safe='')}@")


def _live_person(deployed: Deployed) -> tuple[str, str]:
    """Évrange's live-only recipient (the SDIS operator) and the first password the vault holds
    for them (ACC-3: a person's own account, journaled by name)."""
    site = deployed.model.sites[SLUG]
    person = next(h for h in site.habilitations if list(h.rights) == ["live"])
    secrets = read_vault(deployed.model.vault_file(SLUG))
    return person.id, str(secrets[RECORDER_USERS][person.id][INITIAL_PASSWORD])


def test_live_relay_crosses_the_tunnel(deployed: Deployed, where: Where) -> None:
    """ffprobe from the hub gets the camera's H.264 through spoke → firewall → NVR relay with a
    live-only person's account (ACC-3); anonymous viewers are refused, and the hub's own account
    is a health probe that may describe but never play (issue 12: no fake live_view)."""
    hub = deployed.host(where.hub)
    cred = json.loads(hub.check_output("cat /etc/beffroi/viewer.json"))["credentials"]
    probe = _rtsp(where.relay, cred[SLUG]["user"], cred[SLUG]["password"])
    ffprobe = "ffprobe -v error -rtsp_transport tcp -timeout 8000000"
    anonymous = hub.run(f"{ffprobe} {where.relay}")
    assert anonymous.rc != 0, "ACC-3: the relay must refuse an anonymous viewer"
    probed = hub.run(f"{ffprobe} '{probe}'")
    assert probed.rc != 0 and "403" in probed.stderr, "ACC-4: the probe account never plays"
    authed = _rtsp(where.relay, *_live_person(deployed))
    deadline = time.monotonic() + 60
    last = None
    while time.monotonic() < deadline:
        last = hub.run(f"{ffprobe} -select_streams v:0 -show_entries stream=codec_name "
                       f"-of json '{authed}'")
        if last.rc == 0:
            break
        time.sleep(3)
    assert last is not None and last.rc == 0, last.stderr if last else "no probe"
    assert json.loads(last.stdout)["streams"][0]["codec_name"] == "h264"


def test_viewer_service_pulls_the_live_relay(deployed: Deployed, where: Where) -> None:
    hub = deployed.host(where.hub)
    hub.run("systemctl start beffroi-viewer.service")
    status = json.loads(hub.check_output("cat /var/lib/beffroi-viewer/status.json"))
    streams = [s for s in status["streams"] if s["slug"] == SLUG]
    assert {s["camera"] for s in streams} == {c.name for c in deployed.model.sites[SLUG].cameras}
    assert all(s["url"].startswith(f"rtsp://{where.nvr_ip}:8554/") for s in streams)
    assert all(s["ok"] for s in streams), streams


def test_camera_vlan_cannot_reach_the_wan(deployed: Deployed, where: Where) -> None:
    cam = deployed.host(where.camhost)
    ok, msg = tcp(cam, where.hub_wan, 22)
    assert not ok, f"NET-1: a camera-VLAN host reached the WAN: {msg}"
    assert cam.run(f"ping -c 2 -W 2 {where.hub_wan}").rc != 0


def test_camera_vlan_reaches_nothing_of_the_nvr_but_time(deployed: Deployed,
                                                         where: Where) -> None:
    ok, msg = tcp(deployed.host(where.camhost), where.nvr_ip, 8443)
    assert not ok and "timed out" in msg, msg


def test_crisis_cell_cannot_reach_a_camera(deployed: Deployed, where: Where) -> None:
    ok, _ = tcp(deployed.host(where.hub), where.camera, 554)
    assert not ok, "ACC-4: the crisis cell must not reach cameras directly"


def test_recorder_records_the_lab_cameras(deployed: Deployed, where: Where) -> None:
    nvr = deployed.host(where.nvr)
    deadline = time.monotonic() + 90
    found = ""
    while time.monotonic() < deadline:
        found = nvr.run("find /srv/beffroi/video -type f -size +10k").stdout.strip()
        if found:
            break
        time.sleep(5)
    assert found, "no segment written under /srv/beffroi/video within 90 s"
