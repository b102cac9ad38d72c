"""Rules on department.yml's `monitoring` host: inside the pools, its own addresses, key and
host name, a metrics port that reaches no video (ACC-4), thresholds that can tell a fault."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from beffroi.findings import Finding
from beffroi.model.monitoring import RECORDER_MIN_FREE_PERCENT, Monitoring
from beffroi.rules.registry import inventory_rule, locate

if TYPE_CHECKING:
    from beffroi.inventory import Inventory
    from beffroi.yamlsource import Source

SSH_PORT = 22
KEY = "monitoring"


def _declared(inv: Inventory) -> tuple[Monitoring, Source] | None:
    src = inv.sources.get("department")
    if inv.department is None or inv.department.monitoring is None or src is None:
        return None
    return inv.department.monitoring, src


def _host_of(ip: IPv4Address, pool: IPv4Network) -> bool:
    return ip in pool and ip not in (pool.network_address, pool.broadcast_address)


@inventory_rule("ENG-POOL")
def monitoring_inside_its_pools(inv: Inventory) -> Iterator[Finding]:
    """The monitoring host's WAN and tunnel addresses are hosts of the department's pools."""
    found = _declared(inv)
    if found is None or inv.department is None:
        return
    mon, src = found
    addressing = inv.department.addressing
    for key, ip, pool, label in (("wan_address", mon.wan_address.ip, addressing.wan_pool,
                                  "WAN pool"),
                                 ("vpn_address", mon.vpn_address, addressing.vpn_pool,
                                  "VPN pool")):
        if not _host_of(ip, pool):
            yield locate(src, "ENG-POOL", (KEY, key),
                         f"monitoring {key} {ip} is not a host of the department {label} {pool}",
                         f"use a free address of {pool} (department.yml addressing)")


def _taken(inv: Inventory) -> dict[IPv4Address, str]:
    """Every WAN/tunnel address already given to the hub or a commune firewall."""
    taken: dict[IPv4Address, str] = {}
    if inv.crisis_cell is not None:
        taken[inv.crisis_cell.vpn_address] = "the crisis-cell hub's vpn_address"
        taken[inv.crisis_cell.wan_address.ip] = "the crisis-cell hub's wan_address"
    for site in inv.sites.values():
        taken[site.firewall.vpn_address] = f"{site.slug}'s firewall vpn_address"
        taken[site.network.wan_address.ip] = f"{site.slug}'s firewall wan_address"
    return taken


@inventory_rule("ENG-IP")
def monitoring_addresses_unique(inv: Inventory) -> Iterator[Finding]:
    """The monitoring host shares no address with the hub or a commune firewall."""
    found = _declared(inv)
    if found is None:
        return
    mon, src = found
    taken = _taken(inv)
    for key, ip in (("wan_address", mon.wan_address.ip), ("vpn_address", mon.vpn_address)):
        if ip in taken:
            yield locate(src, "ENG-IP", (KEY, key),
                         f"monitoring {key} {ip} is already {taken[ip]}",
                         "give the monitoring host an address of its own")


@inventory_rule("ENG-WG-KEY")
def monitoring_key_unique(inv: Inventory) -> Iterator[Finding]:
    """The monitoring host's WireGuard key is its own (a copied key would swap tunnels)."""
    found = _declared(inv)
    if found is None:
        return
    mon, src = found
    others = {s.firewall.wireguard_public_key: f"{s.slug}'s firewall" for s in inv.sites.values()}
    if inv.crisis_cell is not None:
        others[inv.crisis_cell.wireguard_public_key] = "the crisis-cell hub"
    if mon.wireguard_public_key in others:
        yield locate(src, "ENG-WG-KEY", (KEY, "wireguard_public_key"),
                     "the monitoring host's WireGuard key is also "
                     f"{others[mon.wireguard_public_key]}'s",
                     "generate its own pair (wg genkey | tee key | wg pubkey) and vault the key")


@inventory_rule("ENG-HOSTNAME")
def monitoring_hostname_unique(inv: Inventory) -> Iterator[Finding]:
    """The monitoring host's name is no other host's."""
    found = _declared(inv)
    if found is None:
        return
    mon, src = found
    names = {h for s in inv.sites.values()
             for h in (s.firewall.hostname, s.nvr.hostname, s.switch.hostname)}
    if inv.crisis_cell is not None:
        names.add(inv.crisis_cell.hostname)
    if mon.hostname in names:
        yield locate(src, "ENG-HOSTNAME", (KEY, "hostname"),
                     f"hostname {mon.hostname} is already another host's",
                     "give the monitoring host a name of its own")


@inventory_rule("ACC-4")
def metrics_port_reaches_no_video(inv: Inventory) -> Iterator[Finding]:
    """The one flow the monitoring host gets to an NVR is the metrics port: never the API's
    (recordings), the live relay's (video) nor SSH's (administration)."""
    found = _declared(inv)
    if found is None or inv.department is None:
        return
    mon, src = found
    d = inv.department.defaults
    for other, port in (("recorder_api_port", d.recorder_api_port),
                        ("live_relay_port", d.live_relay_port), ("SSH", SSH_PORT)):
        if mon.metrics_port == port:
            yield locate(src, "ACC-4", (KEY, "metrics_port"),
                         f"metrics_port {port} is also the {other} port: the monitoring host's "
                         "firewall rule would reach it (video / administration)",
                         "give the metrics listener its own port (default 9188)")


@inventory_rule("ENG-MONITORING")
def thresholds_tell_a_fault(inv: Inventory) -> Iterator[Finding]:
    """No-segment alarm longer than two segments; disk warning above the purge threshold."""
    found = _declared(inv)
    if found is None or inv.department is None:
        return
    mon, src = found
    t = mon.thresholds
    segment = max([inv.department.defaults.segment_seconds,
                   *(s.nvr.segment_seconds or 0 for s in inv.sites.values())])
    if t.no_segment_seconds < 2 * segment:
        yield locate(src, "ENG-MONITORING", (KEY, "thresholds", "no_segment_seconds"),
                     f"no_segment_seconds {t.no_segment_seconds} is shorter than two segments "
                     f"({segment} s each): the alert would fire between two healthy segments",
                     f"set it to at least {2 * segment}")
    if t.disk_free_percent <= RECORDER_MIN_FREE_PERCENT:
        yield locate(src, "ENG-MONITORING", (KEY, "thresholds", "disk_free_percent"),
                     f"disk_free_percent {t.disk_free_percent:g} is not above the recorder's "
                     f"purge threshold ({RECORDER_MIN_FREE_PERCENT} %): the warning would come "
                     "only after old video is purged by disk pressure",
                     f"set it above {RECORDER_MIN_FREE_PERCENT}")
