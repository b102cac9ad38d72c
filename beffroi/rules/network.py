"""NET-2, NET-4, TIME-1 (configuration side)."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address

from beffroi.findings import Finding
from beffroi.rules.registry import SiteCheck, locate, site_rule
from beffroi.yamlsource import Path_, Source
from recorder.legal import TIME_MIN_SOURCES

STRONG_WIRELESS = frozenset({"wpa3", "wpa2-aes", "wpa2-ccmp", "wireguard", "macsec"})


@site_rule("NET-2")
def flows_leaving_site_encrypted(c: SiteCheck) -> Iterator[Finding]:
    """Everything that leaves the site goes through the WireGuard tunnel to the hub."""
    for i, port in enumerate(c.site.firewall.wan_open_ports):
        if port != c.department.defaults.wireguard_port:
            yield c.finding("NET-2", ("firewall", "wan_open_ports", i),
                            f"port {port} would be reachable in clear from the WAN",
                            "remove it: the crisis cell reaches the live relay through the "
                            "WireGuard tunnel only")
    if c.site.authorization.recipients and c.crisis_cell is None:
        yield c.finding("NET-2", ("authorization", "recipients"),
                        "recipients are declared but the department has no crisis-cell hub: "
                        "live video would leave unencrypted",
                        "declare crisis-cell.yml (WireGuard hub) in the inventory")


@site_rule("NET-4")
def wireless_link(c: SiteCheck) -> Iterator[Finding]:
    """A wireless mast link needs strong encryption: none, WEP, WPA/TKIP… are errors."""
    link = c.site.network.link
    if link.kind == "wireless" and link.encryption.strip().lower() not in STRONG_WIRELESS:
        yield c.finding("NET-4", ("network", "link", "encryption"),
                        f"wireless link with encryption '{link.encryption or 'none'}': video "
                        "would cross the air readable or with broken encryption",
                        f"prefer fibre; otherwise use one of {sorted(STRONG_WIRELESS)}")


def ntp_addresses(source: Source, path: Path_, servers: list[str]) -> Iterator[Finding]:
    """TIME-1: each NTP source is an IPv4 address — the firewall opens UDP 123 to it exactly.

    A host name would need DNS at render time and left the rule open to any address.
    """
    for i, server in enumerate(servers):
        try:
            IPv4Address(server)
        except ValueError:
            yield locate(source, "TIME-1", (*path, i),
                         f"NTP server '{server[:60]}' is not an IPv4 address: the firewall "
                         "opens NTP to addresses, and Beffroi resolves no name at render",
                         "write the server's IPv4 address (resolve it once, e.g. `getent "
                         "hosts NAME`, and check it with the operator)")


@site_rule("TIME-1")
def two_time_sources(c: SiteCheck) -> Iterator[Finding]:
    """NTP against ≥ 2 distinct sources."""
    servers = c.ntp_servers()
    if len(set(servers)) < TIME_MIN_SOURCES:
        message = f"only {len(set(servers))} distinct NTP source(s)"
        hint = (f"declare ≥ {TIME_MIN_SOURCES} NTP servers (department time.ntp_servers or "
                "the site's ntp_servers)")
        if c.site.ntp_servers is None and c.department_source is not None:
            # Inherited sources: point at department.yml (one finding, deduplicated per site).
            yield locate(c.department_source, "TIME-1", ("time", "ntp_servers"), message, hint)
        else:
            yield c.finding("TIME-1", ("ntp_servers",), message, hint)
    if c.site.ntp_servers is not None:  # the department's list is checked once, in department.py
        yield from ntp_addresses(c.source, ("ntp_servers",), c.site.ntp_servers)
