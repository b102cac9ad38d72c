"""Rules on department.yml and crisis-cell.yml themselves, checked once per inventory.

ACC-4 (the crisis cell's port reaches the live relay only), ENG-ADMIN-NET (who may SSH),
ENG-POOL (the hub inside its pools), TIME-1 (NTP sources are addresses).
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from beffroi.findings import Finding
from beffroi.rules.network import ntp_addresses
from beffroi.rules.registry import inventory_rule, locate

if TYPE_CHECKING:
    from beffroi.inventory import Inventory

SSH_PORT = 22
RFC1918 = (IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12"),
           IPv4Network("192.168.0.0/16"))


@inventory_rule("ACC-4")
def live_relay_port_is_its_own(inv: Inventory) -> Iterator[Finding]:
    """The hub's only flow to the NVR is the live relay port: it must not be the API's or SSH's."""
    src = inv.sources.get("department")
    if inv.department is None or src is None:
        return
    d = inv.department.defaults
    for other, port in (("recorder_api_port", d.recorder_api_port), ("SSH", SSH_PORT)):
        if d.live_relay_port == port:
            yield locate(src, "ACC-4", ("defaults", "live_relay_port"),
                         f"live_relay_port {port} is also the {other} port: the crisis cell's "
                         "firewall rule would reach it (recordings / administration)",
                         "give the live relay its own port (default 8554)")


def _allowed_admin_source(net: IPv4Network, pools: tuple[IPv4Network, ...]) -> bool:
    return any(net.subnet_of(p) for p in (*RFC1918, *pools))


@inventory_rule("ENG-ADMIN-NET")
def admin_networks_private(inv: Inventory) -> Iterator[Finding]:
    """SSH to the firewalls only from RFC 1918 networks or the department's own pools."""
    src = inv.sources.get("department")
    if inv.department is None or src is None:
        return
    dept = inv.department
    pools = (dept.addressing.wan_pool, dept.addressing.vpn_pool)
    for i, net in enumerate(dept.defaults.admin_networks):
        if net.prefixlen == 0:
            yield locate(src, "ENG-ADMIN-NET", ("defaults", "admin_networks", i),
                         f"{net} opens SSH on every firewall to the whole Internet",
                         "list the operator's private administration networks only")
        elif not _allowed_admin_source(net, pools):
            yield locate(src, "ENG-ADMIN-NET", ("defaults", "admin_networks", i),
                         f"{net} is not a private network: SSH would be open to it from the WAN",
                         "use an RFC 1918 network or one inside the department's WAN/VPN pools "
                         f"({', '.join(map(str, pools))})")


@inventory_rule("ENG-POOL")
def hub_inside_its_pools(inv: Inventory) -> Iterator[Finding]:
    """The crisis-cell hub's WAN and tunnel addresses are hosts of the department's pools."""
    src = inv.sources.get("crisis-cell")
    if inv.department is None or inv.crisis_cell is None or src is None:
        return
    addressing = inv.department.addressing
    cell = inv.crisis_cell
    checks: tuple[tuple[str, IPv4Address, IPv4Network, str], ...] = (
        ("wan_address", cell.wan_address.ip, addressing.wan_pool, "WAN pool"),
        ("vpn_address", cell.vpn_address, addressing.vpn_pool, "VPN pool"))
    for key, ip, pool, label in checks:
        if ip not in pool or ip in (pool.network_address, pool.broadcast_address):
            yield locate(src, "ENG-POOL", (key,),
                         f"hub {key} {ip} is not a host of the department {label} {pool}",
                         f"use an address of {pool} (department.yml addressing)")


@inventory_rule("TIME-1")
def department_ntp_addresses(inv: Inventory) -> Iterator[Finding]:
    """The department's NTP sources are addresses (the firewall rule names them)."""
    src = inv.sources.get("department")
    if inv.department is not None and src is not None:
        yield from ntp_addresses(src, ("time", "ntp_servers"), inv.department.time.ntp_servers)
