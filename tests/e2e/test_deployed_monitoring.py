"""Role monitoring on the lab commune the demo deployed: Debian's Prometheus and Alertmanager on
loopback, scraping Évrange's real recorder through the monitoring host's own tunnel; the
firewall lets it reach the metrics port and nothing else; a stopped recorder fires RecorderDown
(issue 15 §3). Addresses and ports are the model's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_kit import SLUG, Deployed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "monitoring"))
from monitoring_harness import wait_for

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]
UP = f'up{{beffroi="recorder",site="{SLUG}"}}'


def _query(mon: Any, promql: str) -> list[dict[str, Any]]:
    out = mon.check_output(f"curl -sf --get --data-urlencode 'query={promql}' "
                           "http://127.0.0.1:9090/api/v1/query")
    return json.loads(out)["data"]["result"]  # type: ignore[no-any-return]


def _mon(deployed: Deployed) -> Any:
    dept = deployed.model.department
    assert dept is not None and dept.monitoring is not None
    return deployed.host(dept.monitoring.hostname)


def test_daemons_run_and_listen_on_loopback_only(deployed: Deployed) -> None:
    mon = _mon(deployed)
    for unit in ("prometheus", "prometheus-alertmanager", "prometheus-node-exporter",
                 "wg-quick@wg-beffroi"):
        assert mon.service(unit).is_running, unit
    listening = mon.check_output("ss -Hltn").splitlines()
    for port in (9090, 9093, 9100):
        local = [line.split()[3] for line in listening if line.split()[3].endswith(f":{port}")]
        assert local == [f"127.0.0.1:{port}"], (port, local)
    assert not [line for line in listening if line.split()[3].endswith(":9094")]  # no gossip


def test_configs_are_the_intents_and_pass_their_parsers(deployed: Deployed) -> None:
    mon = _mon(deployed)
    assert mon.run("promtool check config /etc/prometheus/prometheus.yml").rc == 0
    assert mon.run("amtool check-config /etc/prometheus/alertmanager.yml").rc == 0
    assert f"beffroi-recorder-{SLUG}" in mon.file("/etc/prometheus/prometheus.yml").content_string


def test_prometheus_scrapes_the_real_recorder_through_the_tunnel(deployed: Deployed) -> None:
    mon = _mon(deployed)
    nvr_ip = deployed.model.sites[SLUG].nvr.ip
    assert "dev wg-beffroi" in mon.check_output(f"ip route get {nvr_ip}")
    assert wait_for(lambda: [r for r in _query(mon, UP) if r["value"][1] == "1"], 120,
                    interval=3)
    assert _query(mon, f'recorder_camera_state{{site="{SLUG}",state="recording"}} == 1')


def test_tunnel_handshakes_are_named_by_commune(deployed: Deployed) -> None:
    mon = _mon(deployed)
    handshakes = f'beffroi_wireguard_latest_handshake_timestamp_seconds{{site="{SLUG}"}} > 0'
    assert wait_for(lambda: _query(mon, handshakes), 120, interval=3)


def test_the_firewall_lets_the_monitoring_host_reach_the_metrics_port_only(
        deployed: Deployed) -> None:
    mon = _mon(deployed)
    dept, site = deployed.model.department, deployed.model.sites[SLUG]
    assert dept is not None and dept.monitoring is not None
    nvr_ip, metrics = site.nvr.ip, dept.monitoring.metrics_port
    assert mon.run(f"curl -sf -m 5 http://{nvr_ip}:{metrics}/metrics").rc == 0
    for port in (8443, 8554, 22):  # API (recordings), live relay (video), SSH
        probe = mon.run(f"timeout 5 bash -c 'echo > /dev/tcp/{nvr_ip}/{port}'")
        assert probe.rc != 0, f"the monitoring host reaches {nvr_ip}:{port}"
    fw_ssh = f"timeout 5 bash -c 'echo > /dev/tcp/{site.firewall.management_ip}/22'"
    assert mon.run(fw_ssh).rc != 0
    # the metrics listener serves metrics and nothing else
    assert mon.run(f"curl -sf -m 5 http://{nvr_ip}:{metrics}/api/segments").rc != 0


def test_a_stopped_recorder_fires_recorder_down(deployed: Deployed) -> None:
    mon = _mon(deployed)
    nvr = deployed.host(deployed.model.sites[SLUG].nvr.hostname)
    nvr.check_output("systemctl stop beffroi-recorder")
    try:
        def firing() -> list[dict[str, Any]]:
            out = mon.check_output("curl -sf http://127.0.0.1:9093/api/v2/alerts")
            return [a for a in json.loads(out) if a["labels"]["alertname"] == "RecorderDown"
                    and a["labels"].get("site") == SLUG and a["status"]["state"] == "active"]
        assert wait_for(firing, 180, interval=3)
    finally:
        nvr.check_output("systemctl start beffroi-recorder")
