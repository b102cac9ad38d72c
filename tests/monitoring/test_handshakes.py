"""TunnelDown's input: the role's handshake writer reads a real WireGuard interface
(wireguard-go in a private network namespace) into a node-exporter textfile, and Prometheus
(the intent's job, real node exporter) names each peer's commune from its public key."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from monitoring_harness import Daemon, prometheus, query, wait_for
from recorder_harness import free_port

from beffroi.inventory import load_inventory
from beffroi.monitoring import monitoring_intent

REPO = Path(__file__).resolve().parents[2]
WRITER = REPO / "roles" / "monitoring" / "files" / "beffroi-wg-handshakes"
MOSELLE = REPO / "inventories" / "moselle"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("wireguard-go") is None
                    or shutil.which("unshare") is None, reason="root, wireguard-go, unshare")
def test_writer_exports_every_peer_of_a_real_interface(tmp_path: Path) -> None:
    key = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout
    peer = subprocess.run(["wg", "pubkey"], input=subprocess.run(
        ["wg", "genkey"], capture_output=True, text=True, check=True).stdout,
        capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "key").write_text(key)
    out = tmp_path / "wg.prom"
    script = (f"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f wgh15 "
              f">/dev/null 2>&1 & pid=$!; sleep 1; wg set wgh15 private-key {tmp_path}/key "
              f"peer {peer} allowed-ips 10.0.0.2/32 && {WRITER} wgh15 {out}; rc=$?; "
              "kill $pid; wait $pid; exit $rc")
    done = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert (f'beffroi_wireguard_latest_handshake_timestamp_seconds{{interface="wgh15",'
            f'public_key="{peer}"}} 0') in text  # never: TunnelDown's age is time() - 0
    lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_writer_keeps_the_last_file_when_the_interface_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "wg.prom"
    out.write_text("old\n")
    done = subprocess.run([str(WRITER), "wg-no-such-if", str(out)], capture_output=True,
                          text=True)
    assert done.returncode != 0 and out.read_text() == "old\n"  # its timestamps age: alert


@pytest.mark.skipif(shutil.which("prometheus") is None or
                    shutil.which("prometheus-node-exporter") is None,
                    reason="Debian's prometheus and prometheus-node-exporter")
def test_prometheus_names_each_tunnel_by_its_commune(tmp_path: Path) -> None:
    inv = load_inventory(MOSELLE)
    mon = monitoring_intent(inv)
    evrange = inv.site("evrange").firewall.wireguard_public_key
    textfiles = tmp_path / "textfiles"
    textfiles.mkdir()
    (textfiles / "wg.prom").write_text(
        "# TYPE beffroi_wireguard_latest_handshake_timestamp_seconds gauge\n"
        f'beffroi_wireguard_latest_handshake_timestamp_seconds{{public_key="{evrange}"}} 0\n'
        'beffroi_wireguard_latest_handshake_timestamp_seconds{public_key="unknown="} 0\n')
    node_port, prom_port = free_port(), free_port()
    job = next(j for j in mon["prometheus"]["scrape_configs"]
               if j["job_name"] == "beffroi-monitoring-host")
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{node_port}"]
    conf = {"global": {**mon["prometheus"]["global"], "scrape_interval": "2s"},
            "scrape_configs": [job]}
    node = Daemon(["/usr/bin/prometheus-node-exporter",
                   f"--web.listen-address=127.0.0.1:{node_port}",
                   f"--collector.textfile.directory={textfiles}", "--collector.disable-defaults",
                   "--collector.textfile"], tmp_path / "node.log")
    prom = prometheus(tmp_path, conf, {"groups": []}, prom_port)
    try:
        node.start()
        prom.start()
        series = 'beffroi_wireguard_latest_handshake_timestamp_seconds{site="evrange"}'
        found = wait_for(lambda: query(prom_port, series), 60)
        assert found and found[0]["metric"]["public_key"] == evrange
        unnamed = query(prom_port, 'beffroi_wireguard_latest_handshake_timestamp_seconds{site=""}')
        assert [r["metric"]["public_key"] for r in unnamed] == ["unknown="]
    finally:
        prom.stop()
        node.stop()
