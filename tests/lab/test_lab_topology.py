"""The lab's shape as data: every host address comes from the site model (no podman needed)."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address

import pytest

from beffroi.inventory import Inventory
from beffroi.lab.errors import LabError
from beffroi.lab.topology import Attachment, Route, _addresses, build_topology


def test_firewall_has_the_model_address_on_each_of_its_three_networks(
        moselle_model: Inventory) -> None:
    site = moselle_model.sites["evrange"]
    topo = build_topology(moselle_model, "t", ["evrange"])
    fw = topo.host(site.firewall.hostname)
    assert fw.ip_on(topo.network("camera", "evrange").name) == site.firewall.camera_ip
    assert fw.ip_on(topo.network("management", "evrange").name) == site.firewall.management_ip
    assert fw.ip_on(topo.network("wan").name) == site.network.wan_address.ip
    assert fw.forwarding


def test_networks_use_the_model_subnets_and_the_whole_wan_pool(moselle_model: Inventory) -> None:
    site = moselle_model.sites["evrange"]
    dept = moselle_model.department
    assert dept is not None
    topo = build_topology(moselle_model, "t", ["evrange"])
    assert topo.network("camera", "evrange").subnet == site.network.camera_vlan.subnet
    assert topo.network("management", "evrange").subnet == site.network.management_vlan.subnet
    assert topo.network("wan").subnet == dept.addressing.wan_pool
    assert set(topo.blackholes) == {dept.addressing.pool, dept.addressing.wan_pool,
                                    dept.addressing.vpn_pool}


def test_lab_picked_addresses_never_collide_with_a_model_address(
        moselle_model: Inventory) -> None:
    slugs = sorted(moselle_model.sites)
    topo = build_topology(moselle_model, "t", slugs)
    model_ips = set(_addresses(moselle_model.department))
    for slug in slugs:
        model_ips |= set(_addresses(moselle_model.sites[slug]))
    picked = {n.gateway for n in topo.networks}
    picked |= {h.ssh_ip for h in topo.hosts if h.kind == "camhost"}
    assert not picked & model_ips
    for net in topo.networks:
        assert net.gateway in net.subnet
    # every camera of the model is one of the addresses the walk found (so it is thorough)
    cams = {c.ip for s in slugs for c in moselle_model.sites[s].cameras}
    assert cams <= model_ips


def test_nvr_and_camhost_default_routes_go_through_the_firewall(
        moselle_model: Inventory) -> None:
    site = moselle_model.sites["evrange"]
    topo = build_topology(moselle_model, "t", ["evrange"])
    [nvr_route] = topo.host(site.nvr.hostname).routes
    [cam_route] = topo.host("evrange-camhost").routes
    assert (nvr_route.dst, nvr_route.via) == ("default", site.firewall.management_ip)
    assert (cam_route.dst, cam_route.via) == ("default", site.firewall.camera_ip)


def test_two_communes_share_one_wan_and_one_crisis_cell(moselle_model: Inventory) -> None:
    topo = build_topology(moselle_model, "t", ["evrange", "hettange-grande"])
    assert [n.role for n in topo.networks].count("wan") == 1
    assert [h.kind for h in topo.hosts].count("crisis_cell") == 1
    assert [h.kind for h in topo.hosts].count("monitoring") == 1
    # per commune: firewall, NVR, camera-VLAN test host, workstation; plus hub and monitoring
    assert len({h.container for h in topo.hosts}) == len(topo.hosts) == 10
    assert all(h.container.startswith("t-") for h in topo.hosts)


def test_unknown_site_is_a_clear_error(moselle_model: Inventory) -> None:
    with pytest.raises(LabError, match=r"unknown site.*known are.*evrange"):
        build_topology(moselle_model, "t", ["nowhere"])


def test_address_walk_reads_strings_and_interfaces() -> None:
    found = set(_addresses({"a": ["10.0.0.1", "not an ip"], "b": ("10.0.0.2",)}))
    assert found == {IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")}


def test_switch_and_cameras_are_lab_devices_at_their_model_addresses(
        moselle_model: Inventory) -> None:
    site = moselle_model.sites["evrange"]
    topo = build_topology(moselle_model, "t", ["evrange"])
    devices = {d.hostname: d for d in topo.devices}
    sw = devices[site.switch.hostname]
    assert (sw.kind, sw.ip, sw.network) == ("switch", site.switch.ip,
                                            topo.network("management", "evrange").name)
    assert sw.route_via == site.firewall.management_ip
    for cam in site.cameras:
        dev = devices[f"evrange-{cam.name}"]
        assert (dev.kind, dev.ip, dev.camera) == ("camera", cam.ip, cam.name)
        assert dev.network == topo.network("camera", "evrange").name
        assert dev.route_via == site.firewall.camera_ip
    # devices are not systemd hosts: SSH/systemd checks over topo.hosts never see them
    assert not {h.hostname for h in topo.hosts} & set(devices)


def test_workstation_sits_on_the_management_vlan_behind_the_firewall(
        moselle_model: Inventory) -> None:
    site = moselle_model.sites["evrange"]
    topo = build_topology(moselle_model, "t", ["evrange"])
    ws = topo.host(site.workstation.hostname)
    assert (ws.kind, ws.site, ws.ssh_ip) == ("workstation", "evrange", site.workstation.ip)
    assert ws.attachments == (Attachment(topo.network("management", "evrange").name,
                                         site.workstation.ip),)
    assert ws.routes == (Route("default", site.firewall.management_ip),)
    assert not ws.forwarding


def test_monitoring_host_is_on_the_wan_only_like_the_crisis_cell(
        moselle_model: Inventory) -> None:
    dept = moselle_model.department
    assert dept is not None and dept.monitoring is not None
    topo = build_topology(moselle_model, "t", ["evrange"])
    mon = topo.host(dept.monitoring.hostname)
    assert (mon.kind, mon.site, mon.ssh_ip) == ("monitoring", None, dept.monitoring.wan_address.ip)
    # no route into a commune: it reaches the NVRs only through its own WireGuard tunnels
    assert mon.attachments == (Attachment(topo.network("wan").name,
                                          dept.monitoring.wan_address.ip),)
    assert mon.routes == ()


def test_lab_without_a_monitoring_host_has_none(moselle_model: Inventory) -> None:
    dept = moselle_model.department
    assert dept is not None
    bare = replace(moselle_model, department=dept.model_copy(update={"monitoring": None}))
    topo = build_topology(bare, "t", ["evrange"])
    assert "monitoring" not in {h.kind for h in topo.hosts}
