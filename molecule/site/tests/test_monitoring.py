"""Role monitoring in the lab: Debian's Prometheus and Alertmanager on loopback, scraping
Évrange's real recorder through the monitoring host's own tunnel; the firewall lets it reach
the metrics port and nothing else; a stopped recorder fires RecorderDown (issue 15 §3)."""

from __future__ import annotations

import json
import time
from typing import Any

MON = "mf57-supervision"
NVR = "evrange-nvr"
NVR_IP = "10.57.0.99"
UP = 'up{beffroi="recorder",site="evrange"}'


def _query(mon: Any, promql: str) -> list[dict[str, Any]]:
    out = mon.check_output(f"curl -sf --get --data-urlencode 'query={promql}' "
                           "http://127.0.0.1:9090/api/v1/query")
    return json.loads(out)["data"]["result"]  # type: ignore[no-any-return]


def _wait(predicate: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(3)
        value = predicate()
    return value


def test_daemons_run_and_listen_on_loopback_only(lab: Any) -> None:
    mon = lab(MON)
    for unit in ("prometheus", "prometheus-alertmanager", "prometheus-node-exporter",
                 "wg-quick@wg-beffroi"):
        assert mon.service(unit).is_running, unit
    listening = mon.check_output("ss -Hltn").splitlines()
    for port in (9090, 9093, 9100):
        local = [line.split()[3] for line in listening if line.split()[3].endswith(f":{port}")]
        assert local == [f"127.0.0.1:{port}"], (port, local)
    assert not [line for line in listening if line.split()[3].endswith(":9094")]  # no gossip


def test_configs_are_the_intents_and_pass_their_parsers(lab: Any) -> None:
    mon = lab(MON)
    with mon.sudo():
        assert mon.run("promtool check config /etc/prometheus/prometheus.yml").rc == 0
        assert mon.run("amtool check-config /etc/prometheus/alertmanager.yml").rc == 0
        conf = mon.file("/etc/prometheus/prometheus.yml").content_string
    assert "beffroi-recorder-evrange" in conf


def test_prometheus_scrapes_the_real_recorder_through_the_tunnel(lab: Any) -> None:
    mon = lab(MON)
    assert "dev wg-beffroi" in mon.check_output(f"ip route get {NVR_IP}")
    assert _wait(lambda: [r for r in _query(mon, UP) if r["value"][1] == "1"], 120)
    assert _query(mon, 'recorder_camera_state{site="evrange",state="recording"} == 1')


def test_tunnel_handshakes_are_named_by_commune(lab: Any) -> None:
    mon = lab(MON)
    assert _wait(lambda: _query(
        mon, 'beffroi_wireguard_latest_handshake_timestamp_seconds{site="evrange"} > 0'), 120)


def test_the_firewall_lets_the_monitoring_host_reach_the_metrics_port_only(lab: Any) -> None:
    mon = lab(MON)
    assert mon.run(f"curl -sf -m 5 http://{NVR_IP}:9188/metrics").rc == 0
    for port in (8443, 8554, 22):  # API (recordings), live relay (video), SSH
        probe = mon.run(f"timeout 5 bash -c 'echo > /dev/tcp/{NVR_IP}/{port}'")
        assert probe.rc != 0, f"the monitoring host reaches {NVR_IP}:{port}"
    assert mon.run("timeout 5 bash -c 'echo > /dev/tcp/10.57.0.65/22'").rc != 0  # firewall SSH
    # the metrics listener serves metrics and nothing else
    assert mon.run(f"curl -sf -m 5 http://{NVR_IP}:9188/api/segments").rc != 0


def test_a_stopped_recorder_fires_recorder_down(lab: Any) -> None:
    mon, nvr = lab(MON), lab(NVR)
    with nvr.sudo():
        nvr.check_output("systemctl stop beffroi-recorder")
    try:
        def firing() -> list[dict[str, Any]]:
            out = mon.check_output("curl -sf http://127.0.0.1:9093/api/v2/alerts")
            return [a for a in json.loads(out) if a["labels"]["alertname"] == "RecorderDown"
                    and a["labels"].get("site") == "evrange" and a["status"]["state"] == "active"]
        assert _wait(firing, 180)
    finally:
        with nvr.sudo():
            nvr.check_output("systemctl start beffroi-recorder")
