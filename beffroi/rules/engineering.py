"""ENG-*: Beffroi's own consistency rules — uniqueness, addressing plan, references, secrets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import TYPE_CHECKING

from beffroi.addressing import site_block
from beffroi.findings import Finding
from beffroi.model import Site
from beffroi.rules.registry import SiteCheck, inventory_rule, locate, site_rule
from beffroi.yamlsource import Path_, Source

if TYPE_CHECKING:
    from beffroi.inventory import Inventory

@site_rule("ENG-SLUG")
def slug_matches_file(c: SiteCheck) -> Iterator[Finding]:
    """The file is named after the slug, so `--site SLUG` finds it."""
    stem = Path(c.source.file).stem
    if stem != c.site.slug:
        yield c.finding("ENG-SLUG", ("slug",), f"slug '{c.site.slug}' but file is {stem}.yml",
                        f"rename the file to {c.site.slug}.yml or fix the slug")


@site_rule("ENG-POOL")
def subnets_in_site_block(c: SiteCheck) -> Iterator[Finding]:
    """Camera and management subnets lie in this site's block of the department pool."""
    addressing = c.department.addressing
    net = c.site.network
    try:
        block: IPv4Network | None = site_block(addressing, c.site.site_id)
    except ValueError as exc:
        yield c.finding("ENG-POOL", ("site_id",), str(exc), "choose a free site_id in range")
        block = None
    for key in ("camera_vlan", "management_vlan"):
        subnet: IPv4Network = getattr(net, key).subnet
        if not subnet.subnet_of(addressing.pool):
            yield c.finding("ENG-POOL", ("network", key, "subnet"),
                            f"{subnet} is outside the department pool {addressing.pool}",
                            "use `beffroi site new` addressing or the site's block")
        elif block is not None and not subnet.subnet_of(block):
            yield c.finding("ENG-POOL", ("network", key, "subnet"),
                            f"{subnet} is outside block {block} of site_id {c.site.site_id}",
                            f"use a subnet of {block}")
    checks: list[tuple[Path_, IPv4Address, IPv4Network, str]] = [
        (("network", "wan_address"), net.wan_address.ip, addressing.wan_pool, "WAN pool"),
        (("firewall", "vpn_address"), c.site.firewall.vpn_address, addressing.vpn_pool,
         "VPN pool"),
    ]
    for path, ip, pool, label in checks:
        if ip not in pool:
            yield c.finding("ENG-POOL", path, f"{ip} is outside the department {label} {pool}",
                            f"use an address of {pool}")


@site_rule("ENG-OVERLAP")
def own_subnets_disjoint(c: SiteCheck) -> Iterator[Finding]:
    """Camera and management VLANs of one site never overlap (isolation, NET-1)."""
    net = c.site.network
    if net.camera_vlan.subnet.overlaps(net.management_vlan.subnet):
        yield c.finding("ENG-OVERLAP", ("network", "management_vlan", "subnet"),
                        f"management subnet {net.management_vlan.subnet} overlaps the camera "
                        f"subnet {net.camera_vlan.subnet}: cameras would sit on the "
                        "management network", "split the site's block in two halves "
                        "(`beffroi site new` does)")


@site_rule("ENG-CAMERA-IP")
def cameras_in_camera_vlan(c: SiteCheck) -> Iterator[Finding]:
    """Each camera address is a usable host of the camera VLAN (not the gateway)."""
    subnet = c.site.network.camera_vlan.subnet
    for i, cam in enumerate(c.site.cameras):
        if cam.ip not in subnet or cam.ip in (subnet.network_address, subnet.broadcast_address):
            yield c.finding("ENG-CAMERA-IP", ("cameras", i, "ip"),
                            f"camera {cam.name} address {cam.ip} is not a host of the camera "
                            f"VLAN {subnet}", f"pick a free address in {subnet}")
        elif cam.ip == c.site.firewall.camera_ip:
            yield c.finding("ENG-CAMERA-IP", ("cameras", i, "ip"),
                            f"camera {cam.name} uses the firewall's gateway address {cam.ip}",
                            "pick another address")


@site_rule("ENG-ADDRESS")
def devices_in_their_vlan(c: SiteCheck) -> Iterator[Finding]:
    """Management devices in the management VLAN; VLAN ids distinct."""
    s = c.site
    mgmt = s.network.management_vlan.subnet
    for path, ip in ((("nvr", "ip"), s.nvr.ip), (("switch", "ip"), s.switch.ip),
                     (("workstation", "ip"), s.workstation.ip),
                     (("firewall", "management_ip"), s.firewall.management_ip)):
        if ip not in mgmt:
            yield c.finding("ENG-ADDRESS", path, f"{ip} is outside the management VLAN {mgmt}",
                            f"use an address of {mgmt}")
    if s.firewall.camera_ip not in s.network.camera_vlan.subnet:
        yield c.finding("ENG-ADDRESS", ("firewall", "camera_ip"),
                        f"{s.firewall.camera_ip} is outside the camera VLAN",
                        f"use an address of {s.network.camera_vlan.subnet}")
    ids = [s.network.camera_vlan.id, s.network.management_vlan.id, s.network.uplink_vlan_id]
    if len(set(ids)) != len(ids):
        yield c.finding("ENG-ADDRESS", ("network",), f"VLAN ids are not distinct: {ids}",
                        "camera, management and uplink VLANs need their own ids")
    if s.network.wan_gateway not in s.network.wan_address.network:
        yield c.finding("ENG-ADDRESS", ("network", "wan_gateway"),
                        f"gateway {s.network.wan_gateway} not in {s.network.wan_address.network}",
                        "the gateway must be on the WAN subnet")


@site_rule("ENG-REF")
def dossier_examples_resolve(c: SiteCheck) -> Iterator[Finding]:
    """`dossier.examples` names the site's own people, cameras and fields (a typo would leave
    an invented value unmarked in the dossiers)."""
    s = c.site
    ex = s.dossier.examples
    for key, named, known in (("habilitations", ex.habilitations,
                               [h.id for h in s.habilitations]),
                              ("cameras", ex.cameras, [cam.name for cam in s.cameras])):
        for i, name in enumerate(named):
            if name not in known:
                yield c.finding("ENG-REF", ("dossier", "examples", key, i),
                                f"dossier.examples.{key} names {name}, not in the site's {key}",
                                f"one of {', '.join(known)}, or remove it")
    data = s.model_dump(mode="json")
    for i, path in enumerate(ex.fields):
        node: object = data
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            yield c.finding("ENG-REF", ("dossier", "examples", "fields", i),
                            f"dossier.examples.fields names {path!r}, which is no field of "
                            "the site", "write a dotted path such as controller.phone")


@site_rule("ENG-REF")
def references_resolve(c: SiteCheck) -> Iterator[Finding]:
    """Camera names, switch ports, zone and mask ids refer to real, unique things."""
    s = c.site
    ports = s.switch.ports
    valid = {f"{ports.prefix}{n}" for n in range(ports.first, ports.first + ports.count)}
    reserved = {"uplink": ports.uplink, "nvr": ports.nvr, "firewall": ports.firewall,
                "workstation": ports.workstation}
    for role, port in reserved.items():
        if port not in valid:
            yield c.finding("ENG-REF", ("switch", "ports", role),
                            f"port {port} does not exist on this switch",
                            f"ports are {ports.prefix}{ports.first}.."
                            f"{ports.prefix}{ports.first + ports.count - 1}")
    used: dict[str, str] = {}
    for role, port in reserved.items():
        if port in used:
            yield c.finding("ENG-REF", ("switch", "ports", role),
                            f"port {port} already used by {used[port]}", "one device per port")
        used[port] = role
    names: set[str] = set()
    for i, cam in enumerate(s.cameras):
        if cam.name in names:
            yield c.finding("ENG-REF", ("cameras", i, "name"), f"camera name {cam.name} twice",
                            "camera names are unique in a site")
        names.add(cam.name)
        if cam.switch_port not in valid:
            yield c.finding("ENG-REF", ("cameras", i, "switch_port"),
                            f"port {cam.switch_port} does not exist on the switch",
                            f"use one of {ports.prefix}{ports.first}..")
        elif cam.switch_port in used:
            yield c.finding("ENG-REF", ("cameras", i, "switch_port"),
                            f"port {cam.switch_port} already used by {used[cam.switch_port]}",
                            "one device per port")
        used[cam.switch_port] = cam.name
        for kind, ids in (("private_zones", [z.id for z in cam.private_zones]),
                          ("privacy_masks", [m.id for m in cam.privacy_masks])):
            seen: set[str] = set()
            for j, item_id in enumerate(ids):
                if item_id in seen:
                    yield c.finding("ENG-REF", ("cameras", i, kind, j, "id"),
                                    f"id {item_id} twice", "ids are unique per camera")
                seen.add(item_id)


# --- department-wide rules ------------------------------------------------------------------


def _duplicates(inv: Inventory, rule: str, what: str,
                values: Iterable[tuple[Source, Path_, object]]) -> Iterator[Finding]:
    first: dict[object, tuple[Source, Path_]] = {}
    for source, path, value in values:
        if value in first:
            other, other_path = first[value]
            where = f"{other.file}:{other.line_of(other_path)}"
            yield locate(source, rule, path, f"{what} {value} already used at {where}",
                         f"give it a {what} not used elsewhere in the department")
        else:
            first[value] = (source, path)


def inventory_hostnames(site: Site) -> list[tuple[Path_, str]]:
    """Every inventory host name a site declares (cameras are prefixed by the slug)."""
    out: list[tuple[Path_, str]] = [(("nvr", "hostname"), site.nvr.hostname),
                                    (("firewall", "hostname"), site.firewall.hostname),
                                    (("switch", "hostname"), site.switch.hostname),
                                    (("workstation", "hostname"), site.workstation.hostname)]
    out += [(("cameras", i, "name"), f"{site.slug}-{c.name}") for i, c in enumerate(site.cameras)]
    return out


def site_addresses(site: Site) -> list[tuple[Path_, IPv4Address]]:
    """Every unicast address a site declares."""
    out: list[tuple[Path_, IPv4Address]] = [
        (("nvr", "ip"), site.nvr.ip), (("switch", "ip"), site.switch.ip),
        (("workstation", "ip"), site.workstation.ip),
        (("firewall", "camera_ip"), site.firewall.camera_ip),
        (("firewall", "management_ip"), site.firewall.management_ip),
        (("firewall", "vpn_address"), site.firewall.vpn_address),
        (("network", "wan_address"), site.network.wan_address.ip)]
    out += [(("cameras", i, "ip"), c.ip) for i, c in enumerate(site.cameras)]
    return out


@inventory_rule("ENG-SITE-ID")
def unique_site_ids(inv: Inventory) -> Iterator[Finding]:
    """site_id unique in the department."""
    yield from _duplicates(inv, "ENG-SITE-ID", "site_id",
                           ((src, ("site_id",), s.site_id) for s, src in inv.entries))


@inventory_rule("ENG-SLUG")
def unique_slugs(inv: Inventory) -> Iterator[Finding]:
    """slug unique in the department."""
    yield from _duplicates(inv, "ENG-SLUG", "slug",
                           ((src, ("slug",), s.slug) for s, src in inv.entries))


@inventory_rule("ENG-HOSTNAME")
def unique_hostnames(inv: Inventory) -> Iterator[Finding]:
    """Host names unique across sites and the crisis cell."""
    values: list[tuple[Source, Path_, object]] = []
    if inv.crisis_cell and "crisis-cell" in inv.sources:
        values.append((inv.sources["crisis-cell"], ("hostname",), inv.crisis_cell.hostname))
    for site, src in inv.entries:
        values += [(src, path, name) for path, name in inventory_hostnames(site)]
    yield from _duplicates(inv, "ENG-HOSTNAME", "hostname", values)


@inventory_rule("ENG-IP")
def unique_addresses(inv: Inventory) -> Iterator[Finding]:
    """Addresses unique across sites and the crisis cell."""
    values: list[tuple[Source, Path_, object]] = []
    if inv.crisis_cell and "crisis-cell" in inv.sources:
        src = inv.sources["crisis-cell"]
        values += [(src, ("wan_address",), inv.crisis_cell.wan_address.ip),
                   (src, ("vpn_address",), inv.crisis_cell.vpn_address)]
    for site, src in inv.entries:
        values += [(src, path, ip) for path, ip in site_addresses(site)]
    yield from _duplicates(inv, "ENG-IP", "address", values)


@inventory_rule("ENG-WG-KEY")
def unique_wireguard_keys(inv: Inventory) -> Iterator[Finding]:
    """WireGuard public keys unique (a copied key would let one site impersonate another)."""
    values: list[tuple[Source, Path_, object]] = []
    if inv.crisis_cell and "crisis-cell" in inv.sources:
        values.append((inv.sources["crisis-cell"], ("wireguard_public_key",),
                       inv.crisis_cell.wireguard_public_key))
    values += [(src, ("firewall", "wireguard_public_key"), s.firewall.wireguard_public_key)
               for s, src in inv.entries]
    yield from _duplicates(inv, "ENG-WG-KEY", "WireGuard key", values)


@inventory_rule("ENG-OVERLAP")
def subnets_never_overlap(inv: Inventory) -> Iterator[Finding]:
    """No two sites share address space (a sweep over subnets sorted by start address)."""
    spans: list[tuple[int, int, str, Source, Path_]] = []
    for site, src in inv.entries:
        for key in ("camera_vlan", "management_vlan"):
            subnet: IPv4Network = getattr(site.network, key).subnet
            spans.append((int(subnet.network_address), int(subnet.broadcast_address),
                          site.slug, src, ("network", key, "subnet")))
    spans.sort(key=lambda span: (span[0], -span[1]))
    widest: tuple[int, int, str, Source, Path_] | None = None
    for span in spans:
        start, _end, slug, src, path = span
        if widest is not None and start <= widest[1] and widest[2] != slug:
            other = widest
            yield locate(src, "ENG-OVERLAP", path,
                         f"{_net(span)} overlaps {_net(other)} of {other[2]} "
                         f"({other[3].file}:{other[3].line_of(other[4])})",
                         "each commune uses only its own block (site_id)")
        if widest is None or span[1] > widest[1]:
            widest = span


def _net(span: tuple[int, int, str, Source, Path_]) -> str:
    size = span[1] - span[0] + 1
    return f"{IPv4Address(span[0])}/{32 - size.bit_length() + 1}"
