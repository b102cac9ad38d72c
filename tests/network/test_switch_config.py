"""The IOS config comparison itself (no device): normalisation, scope, delta, diff."""

from __future__ import annotations

from network.switch import config
from network.switch.profiles import profile

INTENDED = """\
! Beffroi — test
hostname sw1
no ip http server
vlan 110
 name CAMERAS
interface GigabitEthernet1/0/1
 description camera a
 switchport mode access
 switchport access vlan 110
 no shutdown
interface GigabitEthernet1/0/2
 description unused
 shutdown
interface vlan 120
 ip address 10.0.0.2 255.255.255.0
ntp server 10.0.0.9
"""


def _compare(running: str, prof: str = "cisco-ios") -> config.Scoped:
    return config.scope(config.parse(INTENDED), config.parse(running),
                        profile(prof).unmodelled)


def test_same_config_printed_in_the_device_order_is_in_sync() -> None:
    running = """\
Building configuration...
Current configuration : 999 bytes
version 12.1
!
hostname sw1
no ip http server
vlan 1
!
vlan 110
 name CAMERAS
!
interface GigabitEthernet1/0/1
 description camera a
 switchport access vlan 110
 switchport mode access
!
interface GigabitEthernet1/0/2
 description unused
 shutdown
!
interface Vlan120
 ip address 10.0.0.2 255.255.255.0
!
ntp server 10.0.0.9
end
"""
    s = _compare(running)
    assert config.delta(s.intended, s.running) == []
    assert config.unified_diff(s.running, s.intended, "sw1") == ""


def test_rogue_vlan_and_unshut_port_become_removal_and_shutdown_commands() -> None:
    running = INTENDED.replace(" description unused\n shutdown\n", " description unused\n") \
        + "vlan 666\n name ROGUE\n"
    s = _compare(running)
    cmds = config.delta(s.intended, s.running)
    assert cmds == ["interface GigabitEthernet1/0/2", " shutdown", " exit", "no vlan 666"]


def test_changed_access_vlan_is_negated_before_the_intended_one_is_set() -> None:
    running = INTENDED.replace(" switchport access vlan 110\n", " switchport access vlan 999\n")
    s = _compare(running)
    cmds = config.delta(s.intended, s.running)
    assert cmds == ["interface GigabitEthernet1/0/1", " no switchport access vlan 999",
                    " switchport access vlan 110", " exit"]
    diff = config.unified_diff(s.running, s.intended, "sw1")
    assert "- switchport access vlan 999\n+ switchport access vlan 110\n" in diff


def test_hostname_is_replaced_never_negated() -> None:
    s = _compare(INTENDED.replace("hostname sw1", "hostname Switch"))
    cmds = config.delta(s.intended, s.running)
    assert "hostname sw1" in cmds and not any(c.startswith("no hostname") for c in cmds)


def test_device_defaults_outside_the_managed_kinds_are_not_drift() -> None:
    s = _compare(INTENDED + "banner motd ^hello^\nusername admin secret 5 x\n")
    assert config.delta(s.intended, s.running) == [] and s.unmanaged == 2


def test_http_server_turned_back_on_is_in_scope() -> None:
    s = _compare(INTENDED.replace("no ip http server", "ip http server"))
    assert "no ip http server" in config.delta(s.intended, s.running)


def test_simulator_profile_reports_unmodelled_lines_instead_of_comparing_them() -> None:
    s = _compare(INTENDED.replace("hostname sw1\n", "").replace("ntp server 10.0.0.9\n", "")
                 .replace("no ip http server\n", ""), prof="fake-switches")
    assert config.delta(s.intended, s.running) == []
    assert {"hostname sw1", "no ip http server", "ntp server 10.0.0.9"} <= set(s.unverifiable)
