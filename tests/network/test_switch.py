"""The switch against a real third-party IOS simulator (fake-switches 1.5.0 on 127.0.0.1).

What these tests do NOT exercise: napalm's candidate/commit-confirm/rollback path. fake-switches
has no flash file system, SCP or `archive`, so napalm's `load_merge_candidate` fails there
before touching anything (PEERS.md) and the driver takes its netmiko path; the napalm commit
path is only proven on a real IOS device. Lines the simulator does not model (hostname, NTP,
syslog, http server, vty, port-security) are reported as unverifiable, and a test checks that.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler
from network_kit import SiteUnderTest, write_endpoints
from network_peers import SwitchPeer, free_ports

from network.endpoints import Endpoint
from network.errors import NetworkError
from network.switch.driver import Credentials, SwitchDriver, driver_for

pytestmark = pytest.mark.slow


def _driver(site: SiteUnderTest, port: int, profile: str = "fake-switches") -> SwitchDriver:
    sw = site.ctx["switch"]
    c = sw["credentials"]
    return driver_for(sw["platform"], sw["hostname"], Endpoint("127.0.0.1", port, profile),
                      Credentials(c["username"], c["password"], c["enable_secret"]))


def _ssh(peer: SwitchPeer, port: int | None = None) -> Any:
    """An engineer's own SSH session on the switch (netmiko, independent of the driver)."""
    conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1",
                          port=port or peer.ports[0], username=peer.username,
                          password=peer.password, secret=peer.enable, fast_cli=True)
    conn.enable()
    return conn


def _by_hand(peer: SwitchPeer, lines: list[str]) -> None:
    """Change the live switch behind Beffroi's back (the simulator needs explicit exits)."""
    conn = _ssh(peer)
    conn.send_config_set(lines, exit_config_mode=False)
    conn.send_command("exit", expect_string=r"Switch#")
    conn.disconnect()


def _block(running: str, header: str) -> list[str]:
    """The stripped child lines of one top-level section of a `show running-config`."""
    lines = running.splitlines()
    start = lines.index(header)
    out = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        out.append(line.strip())
    return out


def _drift(cli: Any, tmp_path: Path, peer: SwitchPeer, hostname: str, *args: str) -> Any:
    eps = write_endpoints(tmp_path / "endpoints.yml", {hostname: {
        "host": "127.0.0.1", "port": peer.ports[0], "profile": "fake-switches"}})
    return cli(["drift", "--site", "evrange", "--kind", "switch", "--endpoints", str(eps),
                *args])


def test_apply_to_fresh_switch_puts_every_port_of_the_intent_in_the_running_config(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer) -> None:
    result = _driver(evrange, fresh_switch.ports[0]).apply(evrange.switch_config)
    assert result.changed and result.method == "netmiko"
    assert "load_merge_candidate" in result.fallback_reason
    running = _ssh(fresh_switch).send_command("show running-config")
    for vlan in evrange.ctx["switch"]["vlans"]:
        assert _block(running, f"vlan {vlan['id']}") == [f"name {vlan['name']}"]
    for port in evrange.ctx["switch"]["ports"]:
        block = _block(running, f"interface {port['name']}")
        assert f"description {port['description']}" in block
        assert ("shutdown" in block) == port["shutdown"], port["name"]
        if port["mode"] == "access":
            assert f"switchport access vlan {port['vlan']}" in block
            assert "switchport mode access" in block
        if port["mode"] == "trunk":
            allowed = ",".join(map(str, port["vlans"]))
            assert f"switchport trunk allowed vlan {allowed}" in block
    mgmt = _block(running, f"interface Vlan{evrange.ctx['net']['management_vlan']}")
    assert f"ip address {evrange.ctx['switch']['ip']} {evrange.ctx['switch']['netmask']}" in mgmt


def test_second_apply_reports_no_change(evrange: SiteUnderTest, fresh_switch: SwitchPeer
                                        ) -> None:
    drv = _driver(evrange, fresh_switch.ports[0])
    assert drv.apply(evrange.switch_config).changed
    again = drv.apply(evrange.switch_config)
    assert not again.changed and again.commands == [] and again.diff == ""


def test_check_mode_reports_the_diff_and_changes_nothing(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer) -> None:
    drv = _driver(evrange, fresh_switch.ports[0])
    before = drv.running_config()
    planned = drv.apply(evrange.switch_config, check=True)
    assert planned.changed and "+vlan 110" in planned.diff.replace(" ", "", 1)
    assert drv.running_config() == before


def test_vlan_changed_by_hand_is_drift_naming_the_switch_and_reapply_cleans_it(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer, cli: Any, tmp_path: Path) -> None:
    drv = _driver(evrange, fresh_switch.ports[0])
    drv.apply(evrange.switch_config)
    host = evrange.ctx["switch"]["hostname"]
    cam_port = next(p for p in evrange.ctx["switch"]["ports"]
                    if p["description"].startswith("camera"))
    assert _drift(cli, tmp_path, fresh_switch, host).exit_code == 0

    _by_hand(fresh_switch, [f"interface {cam_port['name']}", " switchport access vlan 999",
                            " exit"])
    res = _drift(cli, tmp_path, fresh_switch, host, "--diff")
    assert res.exit_code == 1, res.output
    assert re.search(rf"{host}.*drifted", res.stdout)
    assert (f"- switchport access vlan 999\n+ switchport access vlan {cam_port['vlan']}\n"
            in res.stdout)

    assert drv.apply(evrange.switch_config).changed
    assert _drift(cli, tmp_path, fresh_switch, host).exit_code == 0


def test_unused_port_unshut_by_hand_is_drift_in_json(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer, cli: Any, tmp_path: Path) -> None:
    _driver(evrange, fresh_switch.ports[0]).apply(evrange.switch_config)
    unused = next(p for p in evrange.ctx["switch"]["ports"] if p["shutdown"])
    _by_hand(fresh_switch, [f"interface {unused['name']}", " no shutdown", " exit"])
    res = _drift(cli, tmp_path, fresh_switch, evrange.ctx["switch"]["hostname"],
                 "--format", "json")
    assert res.exit_code == 1
    report = res.json()
    assert report["clean"] is False
    (dev,) = report["devices"]
    assert dev["status"] == "drifted" and dev["device"] == evrange.ctx["switch"]["hostname"]
    assert (f" interface {unused['name']}\n  description {unused['description']}\n+ shutdown"
            in dev["diff"])


def test_vlan_added_by_hand_is_drift_and_reapply_removes_it(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer) -> None:
    drv = _driver(evrange, fresh_switch.ports[0])
    drv.apply(evrange.switch_config)
    _by_hand(fresh_switch, ["vlan 666", " name ROGUE", " exit"])
    cmp = drv.compare(evrange.switch_config)
    assert "-vlan 666" in cmp.diff and "no vlan 666" in cmp.commands
    drv.apply(evrange.switch_config)
    assert "vlan 666" not in _ssh(fresh_switch).send_command("show running-config")


def test_lines_the_simulator_cannot_model_are_reported_as_unverifiable(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer, cli: Any, tmp_path: Path) -> None:
    _driver(evrange, fresh_switch.ports[0]).apply(evrange.switch_config)
    res = _drift(cli, tmp_path, fresh_switch, evrange.ctx["switch"]["hostname"],
                 "--format", "json")
    (dev,) = res.json()["devices"]
    assert dev["status"] == "ok"
    assert f"ntp server {evrange.ctx['nvr']['ip']}" in dev["unverifiable"]
    assert "no ip http server" in dev["unverifiable"]
    assert "not verifiable" in dev["detail"]


def test_refused_line_rolls_the_whole_change_back(
        evrange: SiteUnderTest, fresh_switch: SwitchPeer) -> None:
    """Driven as a real IOS device (empty profile), the simulator refuses `hostname`: the
    VLANs and ports already pushed in the same apply must be undone."""
    drv = _driver(evrange, fresh_switch.ports[0], profile="cisco-ios")
    before = _ssh(fresh_switch).send_command("show running-config")
    with pytest.raises(NetworkError, match=r"rolled back(.|\n)*hostname") as err:
        drv.apply(evrange.switch_config)
    assert evrange.ctx["switch"]["hostname"] in str(err.value)
    after = _ssh(fresh_switch).send_command("show running-config")
    assert after == before


def test_switch_that_does_not_answer_is_unreachable_with_exit_3(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path) -> None:
    (closed,) = free_ports(1)
    eps = write_endpoints(tmp_path / "endpoints.yml", {evrange.ctx["switch"]["hostname"]: {
        "host": "127.0.0.1", "port": closed, "profile": "fake-switches"}})
    res = cli(["drift", "--site", "evrange", "--kind", "switch", "--endpoints", str(eps),
               "--format", "json"])
    assert res.exit_code == 3
    (dev,) = res.json()["devices"]
    assert dev["status"] == "unreachable" and str(closed) in dev["detail"]
