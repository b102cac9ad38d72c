"""The lab's shape as data: every host address comes from the site model (no podman needed)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from beffroi.inventory import Inventory
from beffroi.lab.errors import LabError
from beffroi.lab.topology import _addresses, build_topology


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
    assert len({h.container for h in topo.hosts}) == len(topo.hosts) == 7
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
