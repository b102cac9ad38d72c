"""The scrape flow: the monitoring host reaches each NVR's metrics listener out of its own
WireGuard tunnel — exactly that port, from exactly that address — and nothing else; the
crisis cell's tunnel cannot carry it; without a monitoring host, no such flow exists."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from validation.inventory_kit import DELETE, Edit, InventoryCopy

from beffroi.inventory import load_inventory
from beffroi.render import render_site

SLUGS = ["evrange", "roussy-le-village", "hettange-grande"]
MON_VPN = "10.58.3.254"
METRICS_PORT = 9188


def _files(root: Path, slug: str) -> dict[str, str]:
    return {o.relpath.split("/")[-1]: t for o, t in render_site(load_inventory(root), slug).items()}


@pytest.mark.skipif(shutil.which("nft") is None or os.geteuid() != 0, reason="nft -c needs root")
@pytest.mark.parametrize("slug", SLUGS)
def test_ruleset_with_the_scrape_flow_passes_nft_check(moselle: InventoryCopy, slug: str,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "nftables.conf"
    path.write_text(_files(moselle.root, slug)["nftables.conf"])
    result = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("slug", SLUGS)
def test_only_the_metrics_port_of_the_nvr_is_open_to_the_monitoring_host(
        moselle: InventoryCopy, slug: str) -> None:
    site = load_inventory(moselle.root).site(slug)
    ruleset = _files(moselle.root, slug)["nftables.conf"]
    lines = [line.strip() for line in ruleset.splitlines() if MON_VPN in line]
    assert lines == [f'iifname "wg-beffroi" ip saddr {MON_VPN} ip daddr {site.nvr.ip} tcp dport '
                     f'{METRICS_PORT} accept comment "NET-1: la supervision départementale lit '
                     "les seules métriques de l'enregistreur, dans son tunnel\""]
    forward = ruleset.split("chain forward")[1].split("chain output")[0]
    assert lines[0] in forward  # a forwarded flow to the NVR, never to the firewall itself
    assert ruleset.count(f"dport {METRICS_PORT}") == 1  # nobody else reaches the metrics port


def test_the_monitoring_rule_is_in_the_intents_rule_list(moselle: InventoryCopy) -> None:
    from beffroi.intent import site_intent

    rules = [r for r in site_intent(load_inventory(moselle.root), "evrange").firewall_rules
             if r.src == MON_VPN]
    assert [(r.chain, r.iif, r.dst, r.proto, r.ports, r.rule_id) for r in rules] == [
        ("forward", "wg", "10.57.0.99", "tcp", (METRICS_PORT,), "NET-1")]


def test_the_spoke_accepts_the_monitoring_address_from_its_own_peer_only(
        moselle: InventoryCopy) -> None:
    spoke = _files(moselle.root, "evrange")["wg-beffroi.conf"]
    peers = spoke.split("[Peer]")[1:]
    hub = next(p for p in peers if "crisis cell hub" in p)
    mon = next(p for p in peers if "monitoring host" in p)
    assert MON_VPN not in hub  # the hub's tunnel cannot carry the monitoring's source address
    assert f"AllowedIPs = {MON_VPN}/32" in mon and "Endpoint = 100.64.0.3:51821" in mon


def test_the_nvr_metrics_listener_is_bound_to_its_own_address_and_port(
        moselle: InventoryCopy) -> None:
    toml = _files(moselle.root, "evrange")["recorder.toml"]
    assert '[metrics]\nlisten = "10.57.0.99:9188"' in toml


def test_without_a_monitoring_host_there_is_no_flow_no_peer_no_listener(
        moselle: InventoryCopy) -> None:
    moselle.apply(Edit("department.yml", ("monitoring",), DELETE),
                  Edit("vault/monitoring.yml", (), DELETE))
    files = _files(moselle.root, "evrange")
    assert MON_VPN not in files["nftables.conf"] and "9188" not in files["nftables.conf"]
    assert files["wg-beffroi.conf"].count("[Peer]") == 1
    assert "[metrics]" not in files["recorder.toml"]


def test_a_moved_metrics_port_moves_rule_listener_and_scrape_target(
        moselle: InventoryCopy) -> None:
    from beffroi.render import render_monitoring

    moselle.apply(Edit("department.yml", ("monitoring", "metrics_port"), 9300))
    files = _files(moselle.root, "evrange")
    assert "tcp dport 9300 accept" in files["nftables.conf"] and "9188" not in \
        files["nftables.conf"]
    assert 'listen = "10.57.0.99:9300"' in files["recorder.toml"]
    prom = next(t for o, t in render_monitoring(load_inventory(moselle.root)).items()
                if o.relpath.endswith("prometheus.yml"))
    assert "10.57.0.99:9300" in prom and "9188" not in prom
