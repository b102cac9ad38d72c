"""NET-2, NET-4, TIME-1 (configuration side)."""

from __future__ import annotations

from collections.abc import Iterator

from beffroi.findings import Finding, Severity
from beffroi.rules.registry import SiteCheck, locate, site_rule
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
    """A wireless mast link needs strong encryption."""
    link = c.site.network.link
    if link.kind == "wireless" and link.encryption.lower() not in STRONG_WIRELESS:
        yield c.finding("NET-4", ("network", "link", "encryption"),
                        f"wireless link with encryption '{link.encryption or 'none'}' "
                        "(policy: wired preferred)",
                        f"prefer fibre; otherwise use one of {sorted(STRONG_WIRELESS)}",
                        Severity.WARNING)


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
