"""The IOS config comparison itself (no device): normalisation, scope, delta, diff."""

from __future__ import annotations

import pytest

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
    s = config.scope(config.parse(INTENDED), config.parse(
        INTENDED + "banner motd ^hello^\nusername beffroi-sw1 privilege 15 secret 5 $1$x\n"
        "enable secret 5 $1$y\nspanning-tree mode rapid-pvst\nline con 0\n"), account="beffroi-sw1")
    assert config.delta(s.intended, s.running) == [] and s.unmanaged == 5 and s.foreign == ()


FOREIGN = ["snmp-server community S3cretC0mm RO", "snmp-server host 203.0.113.9 public",
           "username backdoor privilege 15 secret 5 $1$abcd$xyz",
           "username beffroi-sw1 privilege 1 password 0 s0mething",
           "enable password 0 plaintext9", "monitor session 1 source vlan 110",
           "monitor session 1 destination interface Gi1/0/8",
           "ip route 0.0.0.0 0.0.0.0 203.0.113.9",
           "aaa new-model", "ip access-list extended COPY", "Spanning-tree portfast"]


@pytest.mark.parametrize("line", FOREIGN)
def test_running_line_of_a_kind_the_intent_does_not_render_is_foreign_drift(line: str) -> None:
    """Not an allowlisted device default nor the vaulted account: drift (NET-3), shown in the
    diff, removed by apply — never silently counted as unmanaged."""
    s = config.scope(config.parse(INTENDED), config.parse(INTENDED + line + "\n"),
                     account="beffroi-sw1")
    head = " ".join(line.split())
    assert s.foreign == (head,) and s.unmanaged == 0
    assert f"-{head}\n" in config.unified_diff(s.running, s.intended, "sw1")
    removal = config.delta(s.intended, s.running)
    assert len(removal) == 1 and removal[0].startswith("no ")


def test_removal_names_accounts_and_communities_by_their_name_only() -> None:
    s = config.scope(config.parse(INTENDED), config.parse(
        INTENDED + "username bob privilege 15 secret 5 $1$a\nsnmp-server community pub RO\n"
        "enable password 7 0822455D0A16\n"))
    assert config.delta(s.intended, s.running) == [
        "no username bob", "no snmp-server community pub", "no enable password"]


def test_extra_line_vty_range_is_compared_with_the_rendered_one_and_is_net_3() -> None:
    intended = INTENDED + "line vty 0 4\n transport input ssh\n"
    s = config.scope(config.parse(intended), config.parse(
        intended + "line vty 5 15\n transport input telnet\n"))
    assert s.foreign == () and "line vty 5 15" in s.running.sections
    changed = config.changed_headers(s.intended, s.running)
    assert changed == ["line vty 5 15"] and config.rule_of(changed[0]) == "NET-3"
    assert config.delta(s.intended, s.running) == ["no line vty 5 15"]


def test_ios_driver_reports_foreign_lines_under_net_3_and_isolation_under_net_1() -> None:
    from network.endpoints import Endpoint
    from network.switch.driver import Credentials
    from network.switch.ios import IosDriver

    drv = IosDriver("sw1", Endpoint("127.0.0.1", 1), Credentials("beffroi-sw1", "x" * 12),
                    profile("cisco-ios"))
    cmp = drv._compare(INTENDED, INTENDED + "snmp-server community Pr1vate RW\n")
    assert cmp.foreign == ("snmp-server community Pr1vate RW",) and cmp.rules == ("NET-3",)
    cmp = drv._compare(INTENDED, INTENDED + "vlan 666\n")
    assert cmp.foreign == () and cmp.rules == ("NET-1",)


def test_http_server_turned_back_on_is_in_scope() -> None:
    s = _compare(INTENDED.replace("no ip http server", "ip http server"))
    assert "no ip http server" in config.delta(s.intended, s.running)


def test_simulator_profile_reports_unmodelled_lines_instead_of_comparing_them() -> None:
    s = _compare(INTENDED.replace("hostname sw1\n", "").replace("ntp server 10.0.0.9\n", "")
                 .replace("no ip http server\n", ""), prof="fake-switches")
    assert config.delta(s.intended, s.running) == []
    assert {"hostname sw1", "no ip http server", "ntp server 10.0.0.9"} <= set(s.unverifiable)
