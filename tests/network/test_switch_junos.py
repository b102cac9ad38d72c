"""Second platform behind the same driver boundary: Junos over NETCONF, fake-switches juniper.

The site model offers `ios` and `procurve` only, so Évrange's intent is rendered here through
`templates/switch/junos.j2` with its ports renamed to Junos names (ge-0/0/N): the model does
not yet let a commune declare a Junos switch. What this proves: the candidate → commit
confirmed → confirm loop, discard on a refused commit, idempotence and a readable `set` diff.
Not proven: the confirmed-commit timer (the simulator accepts `<confirmed/>` but never rolls
back by itself); system/NTP/syslog/port-security/SVI statements (not modelled, reported).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from ncclient import manager
from network_kit import SiteUnderTest
from network_peers import SwitchPeer, fake_switches

from beffroi.render import environment
from network.endpoints import Endpoint
from network.errors import NetworkError
from network.switch.driver import Credentials, SwitchDriver, driver_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def junos_ctx(evrange: SiteUnderTest) -> dict[str, Any]:
    ctx = copy.deepcopy(evrange.ctx)
    for port in ctx["switch"]["ports"]:
        port["name"] = "ge-0/0/" + port["name"].rsplit("/", 1)[1]
    ctx["switch"]["platform"] = "junos"
    return ctx


@pytest.fixture
def junos_switch(junos_ctx: dict[str, Any]) -> Iterator[SwitchPeer]:
    sw = junos_ctx["switch"]
    with fake_switches(sw["credentials"], [p["name"] for p in sw["ports"]],
                       model="juniper_generic") as peer:
        yield peer


def _text(ctx: dict[str, Any]) -> str:
    return environment().get_template("switch/junos.j2").render(beffroi=ctx)


def _driver(ctx: dict[str, Any], peer: SwitchPeer) -> SwitchDriver:
    c = ctx["switch"]["credentials"]
    return driver_for("junos", ctx["switch"]["hostname"],
                      Endpoint("127.0.0.1", peer.ports[0], "fake-switches-junos",
                               check_host_key=False),
                      Credentials(c["username"], c["password"], c["enable_secret"]))


def _edit_by_hand(peer: SwitchPeer, xml: str) -> None:
    """An engineer commits a change with plain ncclient, outside Beffroi."""
    with manager.connect(host="127.0.0.1", port=peer.ports[0], username=peer.username,
                         password=peer.password, hostkey_verify=False, look_for_keys=False,
                         allow_agent=False, device_params={"name": "junos"}) as m:
        m.edit_config(target="candidate", config=xml)
        m.commit()


def test_junos_apply_commits_the_intent_then_is_idempotent(
        junos_ctx: dict[str, Any], junos_switch: SwitchPeer) -> None:
    drv = _driver(junos_ctx, junos_switch)
    first = drv.apply(_text(junos_ctx))
    assert first.changed and first.method == "netconf"
    running = drv.running_config()
    for port in junos_ctx["switch"]["ports"]:
        base = f"set interfaces {port['name']}"
        assert (f"{base} disable" in running) == port["shutdown"]
        if port["mode"] == "access":
            assert f"{base} unit 0 family ethernet-switching vlan members {port['vlan']}" \
                in running
    for vlan in junos_ctx["switch"]["vlans"]:
        assert f"set vlans {vlan['name']} vlan-id {vlan['id']}" in running
    again = drv.apply(_text(junos_ctx))
    assert not again.changed and again.diff == ""
    assert "set system ntp server " + junos_ctx["nvr"]["ip"] in again.unverifiable


def test_junos_vlan_added_by_hand_is_drift_and_reapply_deletes_it(
        junos_ctx: dict[str, Any], junos_switch: SwitchPeer) -> None:
    drv = _driver(junos_ctx, junos_switch)
    drv.apply(_text(junos_ctx))
    _edit_by_hand(junos_switch, "<config><configuration><vlans><vlan><name>ROGUE</name>"
                                "<vlan-id>999</vlan-id></vlan></vlans></configuration></config>")
    cmp = drv.compare(_text(junos_ctx))
    assert not cmp.in_sync and "-set vlans ROGUE vlan-id 999\n" in cmp.diff
    drv.apply(_text(junos_ctx))
    assert "ROGUE" not in drv.running_config()
    assert drv.compare(_text(junos_ctx)).in_sync


def test_junos_refused_commit_discards_the_candidate(
        junos_ctx: dict[str, Any], junos_switch: SwitchPeer) -> None:
    drv = _driver(junos_ctx, junos_switch)
    drv.apply(_text(junos_ctx))
    before = drv.running_config()
    broken = _text(junos_ctx).replace("vlan members 110", "vlan members 777", 1)
    with pytest.raises(NetworkError, match="candidate discarded"):
        drv.apply(broken)
    assert drv.running_config() == before


JUNOS_INTENDED = """\
set system host-name sw1
set system services ssh
set vlans CAMERAS vlan-id 110
set interfaces ge-0/0/1 description "camera a"
"""


@pytest.mark.parametrize("line", [
    "set snmp community intrusion authorization read-write",
    "set system login user backdoor class super-user",
    "set system services telnet",
    "set forwarding-options analyzer copy input ingress interface ge-0/0/1",
])
def test_junos_statement_of_a_kind_the_intent_does_not_render_is_net_3(line: str) -> None:
    """Same allowlist idea as IOS: device defaults and the vaulted account only."""
    from network.switch.junos import JunosDriver
    from network.switch.profiles import profile

    drv = JunosDriver("sw1", Endpoint("127.0.0.1", 1), Credentials("bf-sw1", "x" * 12),
                      profile("cisco-ios"))
    running = [*JUNOS_INTENDED.replace('"camera a"', '"camera a"').splitlines(),
               "set version 20.4R3", "set system root-authentication encrypted-password x",
               "set system login user bf-sw1 class super-user", line]
    cmp = drv._compare(JUNOS_INTENDED, running)[0]
    assert cmp.foreign == (line,) and "NET-3" in cmp.rules
