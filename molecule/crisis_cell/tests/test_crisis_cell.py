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


def test_viewer_is_a_probe_that_describes_and_never_plays(lab: Any) -> None:
    """Issue 12: the probe asks each relay with DESCRIBE under the hub's probe account."""
    hub = lab(HUB)
    script = hub.file("/usr/local/bin/beffroi-live-view").content_string
    assert "DESCRIBE" in script and "ffprobe" not in script


def test_wall_serves_lawful_recipients_over_tls_and_refuses_recordings(lab: Any) -> None:
    """Issue 14 §3: the wall runs as its own user, answers over TLS on the cell's address with
    the security headers, and refuses any recording request (ACC-4)."""
    hub = lab(HUB)
    assert hub.service("beffroi-wall").is_running
    assert hub.service("beffroi-wall").is_enabled
    assert hub.check_output("systemctl show beffroi-wall.service -p User").strip() \
        == "User=beffroi-wall"
    assert hub.socket("tcp://100.64.0.2:8443").is_listening
    with hub.sudo():
        conf = hub.file("/etc/beffroi/wall.json")
        assert (conf.user, conf.group, conf.mode) == ("root", "beffroi-wall", 0o640)
        key = hub.file("/etc/beffroi/wall-keys/token.pem")
        assert (key.user, key.mode) == ("beffroi-wall", 0o600)
    # the site's own certificate, checked (no -k): the CA of the wall is its own certificate
    login = hub.run("curl -sS -D - --cacert /etc/beffroi/wall-keys/wall.crt "
                    "--resolve cdc57-hub:8443:100.64.0.2 https://cdc57-hub:8443/login")
    assert login.rc == 0 and "content-security-policy: default-src 'none'" in login.stdout
    refused = hub.run("curl -sS -o /dev/null -w '%{http_code}' --cacert "
                      "/etc/beffroi/wall-keys/wall.crt --resolve cdc57-hub:8443:100.64.0.2 "
                      "'https://cdc57-hub:8443/api/segments?camera=cam1'")
    assert refused.stdout == "403"
