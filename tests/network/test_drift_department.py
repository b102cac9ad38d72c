"""`beffroi drift` plans the department's own hosts (crisis-cell hub, monitoring host) from the
files their roles deploy: which files, which rule ids, where they are reached — no host contacted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from network_kit import MOSELLE, write_endpoints

from beffroi.drift import audit, wgpeers
from beffroi.drift.department import host_intent
from beffroi.drift.report import DeviceDrift, Status
from beffroi.files import WG_CHECK, hub_files, monitoring_files
from beffroi.intent import crisis_cell_intent
from beffroi.inventory import Inventory, load_inventory
from beffroi.monitoring import monitoring_intent
from beffroi.render import render_crisis_cell, render_monitoring
from network.endpoints import Endpoint, EndpointsError


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(MOSELLE)


@pytest.mark.parametrize("site, kind", [("crisis-cell", "crisis_cell"),
                                        ("monitoring", "monitoring")])
def test_department_host_is_audited_against_every_file_of_its_intent_with_their_rule_ids(
        inv: Inventory, site: str, kind: str) -> None:
    """The very items the roles loop over (`hub_files`, `monitoring_files`): destinations,
    owners, modes and rule ids, role common's baseline included."""
    host = host_intent(inv, site)
    items = hub_files(crisis_cell_intent(inv, True)) if site == "crisis-cell" else \
        monitoring_files(monitoring_intent(inv, True))
    assert host.kind == kind and host.host == items[0].host
    assert [(o.dest, o.rule, o.owner, o.group, o.mode) for o, _ in host.files] == \
        [(o.dest, o.rule, o.owner, o.group, o.mode) for o in items]
    dests = {o.dest: o.rule for o, _ in host.files}
    assert dests["/etc/ssh/sshd_config"] == "NET-3"
    assert dests["/etc/sudoers.d/beffroi-admins"] == "NET-3"
    assert dests["/etc/systemd/journald.conf.d/beffroi.conf"] == "JRN-1"
    assert dests["/etc/chrony/chrony.conf"] == "TIME-1"
    assert dests["/etc/wireguard/wg-beffroi.conf"] == "NET-2"
    if site == "crisis-cell":
        assert dests["/etc/beffroi/viewer.json"] == "ACC-4"
        assert dests["/etc/beffroi/wall.json"] == "ACC-3"
        assert dests["/etc/systemd/system/wg-quick@wg-beffroi.service.d/beffroi.conf"] == "NET-2"
    else:
        assert dests["/etc/prometheus/prometheus.yml"] == "ENG-MONITORING"
        assert dests["/etc/prometheus/alertmanager.yml"] == "ENG-MONITORING"


@pytest.mark.parametrize("site", ["crisis-cell", "monitoring"])
def test_department_host_files_have_the_renderers_bytes(inv: Inventory, site: str) -> None:
    """Drift expects what `beffroi render --site` writes, byte for byte, for every file the
    host's own role installs (role common's are rendered from the same templates)."""
    rendered = render_crisis_cell(inv, True) if site == "crisis-cell" else \
        render_monitoring(inv, True)
    expected = {o.dest: t for o, t in rendered.items()}
    host = host_intent(inv, site)
    own = {o.dest: t for o, t in host.files if o.role != "common"}
    assert own == expected
    sshd = next(t for o, t in host.files if o.dest == "/etc/ssh/sshd_config")
    assert f"Managed by Beffroi {host.ctx['version']} " in sshd and "PermitRootLogin no" in sshd
    chrony = next(t for o, t in host.files if o.dest == "/etc/chrony/chrony.conf")
    for server in inv.department.time.ntp_servers:  # type: ignore[union-attr]
        assert f"server {server} iburst" in chrony


def test_hub_expects_exactly_one_peer_per_commune_spoke(inv: Inventory) -> None:
    host = host_intent(inv, "crisis-cell")
    conf = next(t for o, t in host.files if o.validate == WG_CHECK)
    names = {p["public_key"]: f"spoke of {p['slug']}" for p in host.ctx["peers"]}
    iface, peers = wgpeers.rendered_peers(conf, names)
    assert set(peers) == {f"spoke of {s}" for s in inv.sites}
    for p in host.ctx["peers"]:
        peer = peers[f"spoke of {p['slug']}"]
        assert peer["allowed_ips"] == f"{p['vpn_address']}/32,{p['nvr_ip']}/32"
        assert peer["endpoint"] == p["endpoint"] and peer["keepalive"] == "off"
    assert iface["listen_port"] == str(host.ctx["listen_port"])


def _dump(iface: dict[str, str], peers: dict[str, dict[str, str]]) -> str:
    """`wg show IF dump` as wg prints it (tab-separated)."""
    lines = ["\t".join([iface.get("private_key", "k"), "pub", iface["listen_port"], "off"])]
    lines += ["\t".join([p["public_key"], p["preshared_key"], p["endpoint"], p["allowed_ips"],
                         "0", "0", "0", p["keepalive"]]) for p in peers.values()]
    return "\n".join(lines) + "\n"


def test_a_peer_that_is_no_commune_spoke_is_named_without_its_key(inv: Inventory) -> None:
    host = host_intent(inv, "monitoring")
    conf = next(t for o, t in host.files if o.validate == WG_CHECK)
    iface, peers = wgpeers.rendered_peers(conf, {})
    assert wgpeers.compare(_dump(iface, peers), "wg-beffroi", iface, peers, "x") == []
    intruder = {"public_key": "SECRETKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
                "preshared_key": "(none)", "endpoint": "203.0.113.8:51820",
                "allowed_ips": "10.57.0.64/27", "keepalive": "off"}
    found = wgpeers.compare(_dump(iface, {**peers, "i": intruder}), "wg-beffroi", iface, peers,
                            "not a commune's spoke the intent declares")
    assert found == ["extra WireGuard peer (not a commune's spoke the intent declares), "
                     "allowed IPs 10.57.0.64/27, endpoint 203.0.113.8:51820"]


def _recording(seen: list[Endpoint]) -> Any:
    def connect(site: str, device: str, endpoint: Endpoint, **kw: Any) -> DeviceDrift:
        seen.append(endpoint)   # nothing contacted: the endpoint drift would reach
        return DeviceDrift(site, device, kw["kind"], Status.OK)
    return connect


def test_production_reaches_the_department_hosts_at_their_inventory_address(
        inv: Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Endpoint] = []
    for kind in ("crisis_cell", "monitoring"):
        monkeypatch.setitem(audit.CONNECTORS, kind, _recording(seen))
    targets = audit.plan(inv, ["crisis-cell", "monitoring"], None)
    assert [(t.site, t.kind) for t in targets] == [("crisis-cell", "crisis_cell"),
                                                   ("monitoring", "monitoring")]
    audit.run(targets)
    assert inv.crisis_cell is not None and inv.department is not None
    assert inv.department.monitoring is not None
    assert [e.host for e in seen] == [str(inv.crisis_cell.wan_address.ip),
                                      str(inv.department.monitoring.wan_address.ip)]
    assert all(e.known_hosts.endswith("known_hosts") for e in seen)  # pinned keys, no TOFU


def test_department_host_missing_from_the_endpoints_is_skipped_never_contacted(
        inv: Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Endpoint] = []
    monkeypatch.setitem(audit.CONNECTORS, "crisis_cell", _recording(seen))
    (target,) = audit.plan(inv, ["crisis-cell"], {"elsewhere": Endpoint("127.0.0.1")})
    assert target.check().status is Status.SKIPPED and seen == []


def test_department_host_is_refused_at_an_address_the_endpoints_do_not_give(
        inv: Inventory) -> None:
    hub = inv.crisis_cell
    assert hub is not None
    reach = audit.Reach({hub.hostname: Endpoint("127.0.0.1", 2222)})
    address = str(hub.wan_address.ip)
    with pytest.raises(EndpointsError, match=re.escape(f"refusing to contact {address}:22")):
        reach.guard(hub.hostname, Endpoint(address, 22))


def test_cli_audits_the_hub_under_renders_name_and_skips_it_when_not_listed(
        cli: Any, tmp_path: Path) -> None:
    eps = write_endpoints(tmp_path / "endpoints.yml", {"elsewhere": {"host": "127.0.0.1"}})
    res = cli(["drift", "--site", "crisis-cell", "--site", "monitoring", "--endpoints",
               str(eps), "--format", "json"])
    assert res.exit_code == 0, res.output
    devices = res.json()["devices"]
    assert [(d["site"], d["kind"], d["status"]) for d in devices] == [
        ("crisis-cell", "crisis_cell", "skipped"), ("monitoring", "monitoring", "skipped")]


def test_cli_kind_filter_leaves_the_department_hosts_out(cli: Any, tmp_path: Path) -> None:
    eps = write_endpoints(tmp_path / "endpoints.yml", {"elsewhere": {"host": "127.0.0.1"}})
    res = cli(["drift", "--site", "crisis-cell", "--kind", "firewall", "--endpoints", str(eps),
               "--format", "json"])
    assert res.exit_code == 0 and res.json()["devices"] == []


def test_cli_names_the_department_hosts_among_the_known_sites(cli: Any) -> None:
    res = cli(["drift", "--site", "atlantis", "--production"])
    assert res.exit_code == 2 and "crisis-cell" in res.output and "monitoring" in res.output
