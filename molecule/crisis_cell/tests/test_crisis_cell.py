"""Role crisis_cell: WireGuard hub (one peer per commune), NVRs routed through the tunnels,
and a viewer that knows only the live relays (ACC-4)."""

from __future__ import annotations

import json
from typing import Any

HUB = "cdc57-hub"
NVRS = {"10.57.0.99", "10.57.0.163", "10.57.0.227"}


def test_hub_is_up_with_one_peer_per_commune(lab: Any) -> None:
    hub = lab(HUB)
    assert hub.service("wg-quick@wg-beffroi").is_running
    assert "inet 10.58.0.1/22" in hub.check_output("ip -4 address show wg-beffroi")
    with hub.sudo():
        allowed = hub.check_output("wg show wg-beffroi allowed-ips").splitlines()
    assert len(allowed) == 3
    assert {ip.split("/")[0] for line in allowed for ip in line.split()[1:]} >= NVRS


def test_each_nvr_is_routed_through_the_tunnel(lab: Any) -> None:
    hub = lab(HUB)
    for nvr in NVRS:
        assert "dev wg-beffroi" in hub.check_output(f"ip route get {nvr}")


def test_viewer_knows_only_live_relays(lab: Any) -> None:
    hub = lab(HUB)
    with hub.sudo():  # it holds the relay passwords: root and the viewer's group only
        conf_file = hub.file("/etc/beffroi/viewer.json")
        assert (conf_file.user, conf_file.group, conf_file.mode) == ("root", "beffroi-viewer",
                                                                     0o640)
        conf = json.loads(conf_file.content_string)
    assert set(conf["credentials"]) == {s["slug"] for s in conf["streams"]}
    urls = [s["url"] for s in conf["streams"]]
    assert len(urls) == 6
    assert all(u.split("/")[2].split(":")[1] == "8554" for u in urls), urls


def test_viewer_runs_on_a_timer_as_its_own_user(lab: Any) -> None:
    hub = lab(HUB)
    assert hub.service("beffroi-viewer.timer").is_enabled
    assert hub.service("beffroi-viewer.timer").is_running
    user = hub.check_output("systemctl show beffroi-viewer.service -p User")
    assert user.strip() == "User=beffroi-viewer"
