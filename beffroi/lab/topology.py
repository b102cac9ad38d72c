"""What a lab is made of, derived from the site model: networks, hosts, addresses, routes.

Pure data (no podman calls), so it is unit-testable and `lab status` can compare it with what
runs. Every address a host has comes from the model; only the bridge gateways (the host's own
address on each network) and the camera-VLAN test host take free addresses, from the top of
the subnet, never one the model uses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from pydantic import BaseModel

from beffroi.inventory import Inventory
from beffroi.lab.errors import LabError

DEFAULT_LAB = "beffroi"
DEFAULT_SITES = ("evrange",)


@dataclass(frozen=True)
class NetworkSpec:
    """One podman network: a commune VLAN or the shared WAN."""

    name: str
    role: str  # "camera" | "management" | "wan"
    subnet: IPv4Network
    gateway: IPv4Address  # the host's address on the bridge (podman needs one)
    site: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A host's fixed address on one network."""

    network: str
    ip: IPv4Address


@dataclass(frozen=True)
class Route:
    """A static route set inside a container (`ip route replace DST via VIA`)."""

    dst: str  # "default" or a CIDR
    via: IPv4Address


@dataclass(frozen=True)
class HostSpec:
    """One systemd container."""

    container: str
    hostname: str  # the inventory host name (and the container's hostname)
    kind: str  # "firewall" | "nvr" | "camhost" | "workstation" | "crisis_cell" | "monitoring"
    site: str | None
    attachments: tuple[Attachment, ...]
    routes: tuple[Route, ...]
    ssh_ip: IPv4Address  # where Ansible connects from the host
    forwarding: bool = False

    def ip_on(self, network: str) -> IPv4Address:
        """This host's address on a network."""
        for att in self.attachments:
            if att.network == network:
                return att.ip
        raise KeyError(network)


@dataclass(frozen=True)
class DeviceSpec:
    """A network device of the commune played by a simulator (not a systemd host).

    Its container only holds a network namespace at the device's model address; the simulator
    processes run on the host inside that namespace (beffroi/lab/devices.py), never bound to
    an outside address.
    """

    container: str
    hostname: str  # the inventory host name (evrange-sw, evrange-cam-mairie-narrow)
    kind: str  # "switch" | "camera"
    site: str
    network: str
    ip: IPv4Address
    route_via: IPv4Address  # the firewall's address on the device's VLAN
    camera: str = ""  # the camera's name in the site file (cameras only)


@dataclass(frozen=True)
class Topology:
    """Everything `lab up` creates for one lab."""

    lab: str
    sites: tuple[str, ...]
    networks: tuple[NetworkSpec, ...]
    hosts: tuple[HostSpec, ...]
    blackholes: tuple[IPv4Network, ...]  # the lab's pools, routed nowhere on the host
    devices: tuple[DeviceSpec, ...] = ()

    def network(self, role: str, site: str | None = None) -> NetworkSpec:
        """The network with that role (and site, for VLANs)."""
        for net in self.networks:
            if net.role == role and net.site == site:
                return net
        raise KeyError((role, site))

    def host(self, hostname: str) -> HostSpec:
        """The host with that inventory name."""
        for h in self.hosts:
            if h.hostname == hostname:
                return h
        raise KeyError(hostname)


def _addresses(value: Any) -> Iterator[IPv4Address]:
    """Every IPv4 address anywhere inside a model object (so free picks never collide)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _addresses(getattr(value, name))
    elif isinstance(value, IPv4Address):
        yield value
    elif isinstance(value, IPv4Interface):
        yield value.ip
    elif isinstance(value, dict):
        for v in value.values():
            yield from _addresses(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _addresses(v)
    elif isinstance(value, str):
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return
        if isinstance(addr, IPv4Address):
            yield addr


def _free_from_top(subnet: IPv4Network, used: set[IPv4Address], count: int) -> list[IPv4Address]:
    """The `count` highest host addresses of subnet that the model does not use."""
    picked: list[IPv4Address] = []
    addr = subnet.broadcast_address - 1
    while len(picked) < count and addr > subnet.network_address:
        if addr not in used:
            picked.append(addr)
        addr -= 1
    if len(picked) < count:
        raise LabError(f"subnet {subnet} has no free address left for the lab "
                       "(bridge gateway / test host): widen it in the site file")
    return picked


def container_name(lab: str, hostname: str) -> str:
    """Containers are `<lab>-<hostname>`: two labs never fight over a name."""
    return f"{lab}-{hostname}"


def build_topology(inv: Inventory, lab: str = DEFAULT_LAB,
                   slugs: Iterable[str] = DEFAULT_SITES) -> Topology:
    """The lab for these communes (plus the crisis cell and the department's monitoring host),
    addressed from the model."""
    sites = tuple(dict.fromkeys(slugs))
    unknown = [s for s in sites if s not in inv.sites]
    if unknown:
        raise LabError(f"unknown site(s) {', '.join(unknown)}: known are "
                       f"{', '.join(sorted(inv.sites))} (inventories/…/sites/<slug>.yml)")
    if inv.department is None or inv.crisis_cell is None:
        raise LabError("the inventory has no department.yml or crisis-cell.yml: "
                       "the lab needs the WAN pool and the crisis cell")
    dept = inv.department.addressing
    used = set(_addresses(inv.crisis_cell)) | set(_addresses(inv.department))
    for slug in sites:
        used |= set(_addresses(inv.sites[slug]))
    wan_gw = _free_from_top(dept.wan_pool, used, 1)[0]
    wan = NetworkSpec(f"{lab}-wan", "wan", dept.wan_pool, wan_gw)
    networks: list[NetworkSpec] = [wan]
    hosts: list[HostSpec] = []
    devices: list[DeviceSpec] = []
    for slug in sites:
        site = inv.sites[slug]
        cam_subnet = site.network.camera_vlan.subnet
        mgmt_subnet = site.network.management_vlan.subnet
        cam_gw, camhost_ip = _free_from_top(cam_subnet, used, 2)
        mgmt_gw = _free_from_top(mgmt_subnet, used, 1)[0]
        cam = NetworkSpec(f"{lab}-{slug}-cam", "camera", cam_subnet, cam_gw, slug)
        mgmt = NetworkSpec(f"{lab}-{slug}-mgmt", "management", mgmt_subnet, mgmt_gw, slug)
        networks += [cam, mgmt]
        fw = site.firewall
        # The host sits on the management VLAN like an admin workstation (NET-3 allows SSH).
        hosts.append(HostSpec(
            container_name(lab, fw.hostname), fw.hostname, "firewall", slug,
            (Attachment(cam.name, fw.camera_ip), Attachment(mgmt.name, fw.management_ip),
             Attachment(wan.name, site.network.wan_address.ip)),
            (), fw.management_ip, forwarding=True))
        hosts.append(HostSpec(
            container_name(lab, site.nvr.hostname), site.nvr.hostname, "nvr", slug,
            (Attachment(mgmt.name, site.nvr.ip),), (Route("default", fw.management_ip),),
            site.nvr.ip))
        camhost = f"{slug}-camhost"
        hosts.append(HostSpec(
            container_name(lab, camhost), camhost, "camhost", slug,
            (Attachment(cam.name, camhost_ip),), (Route("default", fw.camera_ip),),
            camhost_ip))
        ws = site.workstation
        # The operator workstation (issue 14 §4) reaches its NVR's console on the same VLAN.
        hosts.append(HostSpec(
            container_name(lab, ws.hostname), ws.hostname, "workstation", slug,
            (Attachment(mgmt.name, ws.ip),), (Route("default", fw.management_ip),), ws.ip))
        sw = site.switch
        devices.append(DeviceSpec(container_name(lab, sw.hostname), sw.hostname, "switch", slug,
                                  mgmt.name, sw.ip, fw.management_ip))
        for camera in site.cameras:
            name = f"{slug}-{camera.name}"  # the inventory's camera host name
            devices.append(DeviceSpec(container_name(lab, name), name, "camera", slug,
                                      cam.name, camera.ip, fw.camera_ip, camera.name))
    cc = inv.crisis_cell
    # The crisis cell reaches communes only through the WireGuard tunnels the roles set up.
    hosts.append(HostSpec(container_name(lab, cc.hostname), cc.hostname, "crisis_cell", None,
                          (Attachment(wan.name, cc.wan_address.ip),), (), cc.wan_address.ip))
    mon = inv.department.monitoring
    if mon is not None:
        # Like the hub: on the WAN only, NVRs reached through its own tunnels (issue 15 §3).
        hosts.append(HostSpec(container_name(lab, mon.hostname), mon.hostname, "monitoring",
                              None, (Attachment(wan.name, mon.wan_address.ip),), (),
                              mon.wan_address.ip))
    blackholes = tuple(dict.fromkeys([dept.pool, dept.wan_pool, dept.vpn_pool]))
    return Topology(lab, sites, tuple(networks), tuple(hosts), blackholes, tuple(devices))
