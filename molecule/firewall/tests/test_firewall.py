"""Role firewall: nftables intent (default drop, NET-1, ACC-4), forwarding, WireGuard spoke."""

from __future__ import annotations

from typing import Any

import pytest


def test_ruleset_is_default_drop(lab: Any) -> None:
    fw = lab("evrange-fw")
    with fw.sudo():
        ruleset = fw.check_output("nft list table inet beffroi")
    assert "hook input priority filter; policy drop;" in ruleset
    assert "hook forward priority filter; policy drop;" in ruleset
    assert "ip saddr 10.57.0.64/27 counter" in ruleset
    assert "NET-1: cameras reach only the NVR" in ruleset


def test_crisis_cell_may_reach_only_the_live_relay(lab: Any) -> None:
    fw = lab("evrange-fw")
    with fw.sudo():
        forward = fw.check_output("nft list chain inet beffroi forward")
    lines = [line.strip() for line in forward.splitlines()]
    from_hub = [line for line in lines if line.startswith("ip saddr 10.58.0.1 ")]
    assert from_hub == ['ip saddr 10.58.0.1 ip daddr 10.57.0.99 tcp dport 8554 accept comment '
                        '"ACC-4: la cellule de crise lit le seul relais en direct, dans le tunnel"']
    # the other way, only the recorder's alerts leave for the hub (issue 15): never a stream
    to_hub = [line for line in lines if "ip daddr 10.58.0.1 " in line]
    assert len(to_hub) == 1 and to_hub[0].startswith("ip saddr 10.57.0.99 ip daddr 10.58.0.1 ")
    assert "8554" not in to_hub[0] and "NET-2" in to_hub[0]


def test_ruleset_file_is_root_only_and_valid(lab: Any) -> None:
    fw = lab("evrange-fw")
    conf = fw.file("/etc/nftables.conf")
    assert conf.user == "root" and conf.mode == 0o600
    with fw.sudo():
        assert fw.run("nft -c -f /etc/nftables.conf").rc == 0


def test_forwarding_is_on(lab: Any) -> None:
    assert lab("evrange-fw").sysctl("net.ipv4.ip_forward") == 1


def test_wireguard_spoke_is_up_with_its_address(lab: Any) -> None:
    fw = lab("evrange-fw")
    assert fw.service("wg-quick@wg-beffroi").is_running
    assert fw.service("wg-quick@wg-beffroi").is_enabled
    assert "inet 10.58.0.2/22" in fw.check_output("ip -4 address show wg-beffroi")
    with fw.sudo():
        peers = fw.check_output("wg show wg-beffroi allowed-ips")
    # the hub, and the department's monitoring host (issue 15 §3): one /32 each, nothing else
    assert sorted(line.split()[-1] for line in peers.splitlines()) == ["10.58.0.1/32",
                                                                       "10.58.3.254/32"]


def test_wireguard_runs_in_userspace_without_a_kernel_module(lab: Any) -> None:
    fw = lab("evrange-fw")
    if fw.file("/sys/module/wireguard").exists:
        pytest.skip("this kernel has WireGuard: wg-quick uses the module")
    assert fw.process.filter(comm="wireguard-go"), "wireguard-go must carry the tunnel"
