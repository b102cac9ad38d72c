"""Facts several dossiers state about one site: storage sizing (CAM-9), link load (CAM-8),
security measures read from the rendered intent, and what the commune must still provide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beffroi.dossiers.labels import RULE_TITLE_FR
from beffroi.inventory import Inventory
from beffroi.model import Site
from beffroi.rules.cameras import LINK_MARGIN
from recorder.legal import STORAGE_MARGIN, storage_needed_gb

EXAMPLE_MARK = "example"  # the inventory tags placeholder values "(example data)" / example.fr


@dataclass(frozen=True)
class StorageSizing:
    """CAM-9: what the declared retention needs (recorder/legal.py) against the capacity."""

    bitrates_kbps: tuple[tuple[str, int], ...]
    total_kbps: int
    retention_days: int
    margin: float
    needed_gb: float
    capacity_gb: int
    days_possible: float

    @property
    def ok(self) -> bool:
        """True when the storage holds the declared retention."""
        return self.needed_gb <= self.capacity_gb


def storage_sizing(site: Site) -> StorageSizing:
    """The CAM-9 calculation of a site, with the formula of `rules.cameras`."""
    rates = tuple((c.name, c.recording.bitrate_kbps) for c in site.cameras)
    kbps = [r for _n, r in rates]
    days = site.authorization.retention_days
    per_day = storage_needed_gb(kbps, 1)
    cap = site.nvr.storage.capacity_gb
    return StorageSizing(rates, sum(kbps), days, STORAGE_MARGIN, storage_needed_gb(kbps, days),
                         cap, cap / per_day if per_day else 0.0)


@dataclass(frozen=True)
class LinkLoad:
    """CAM-8: recorded streams against the mast link."""

    total_kbps: int
    capacity_kbps: int
    margin: float

    @property
    def ratio(self) -> float:
        """Share of the link the streams use."""
        return self.total_kbps / self.capacity_kbps


def link_load(site: Site) -> LinkLoad:
    """The CAM-8 load of the mast link."""
    return LinkLoad(sum(c.recording.bitrate_kbps for c in site.cameras),
                    site.network.link.capacity_mbps * 1000, LINK_MARGIN)


@dataclass(frozen=True)
class Flow:
    """An allowed flow of the commune firewall, as the intent renders it."""

    chain: str
    src: str
    dst: str
    proto: str
    ports: str
    comment: str
    rule_id: str
    purpose_fr: str


@dataclass(frozen=True)
class SecurityMeasures:
    """Security measures as planned: the firewall/VPN intent the roles deploy (what was
    verified on the devices is `evidence.verifications`)."""

    flows: tuple[Flow, ...]
    tunnel_address: str
    hub_endpoint: str
    hub_vpn_address: str
    wan_open_ports: tuple[int, ...]
    camera_services_planned: tuple[str, ...]  # in the intent; drift verifies (NET-3)
    journal_retention_days: int
    segment_seconds: int
    ntp_servers: tuple[str, ...]
    ups_shutdown_percent: int


def security_measures(inv: Inventory, slug: str) -> SecurityMeasures:
    """Read the security measures of `slug` from `beffroi.intent.site_intent` (one source)."""
    from beffroi.intent import site_intent

    intent = site_intent(inv, slug)
    ctx: dict[str, Any] = intent.context()
    flows = tuple(Flow(r.chain, r.src, r.dst, r.proto, ", ".join(str(p) for p in r.ports),
                       r.comment, r.rule_id, RULE_TITLE_FR.get(r.rule_id, r.rule_id))
                  for r in intent.firewall_rules)
    wg = ctx["wireguard"]
    cams = ctx["cameras"]
    disabled = tuple(cams[0]["services_disabled"]) if cams else ()
    site = intent.site
    return SecurityMeasures(
        flows, str(wg["address"]), str(wg["hub"]["endpoint"]), str(wg["hub"]["vpn_address"]),
        tuple(site.firewall.wan_open_ports), disabled,
        int(ctx["nvr"]["journal_retention_days"]), int(ctx["nvr"]["segment_seconds"]),
        tuple(str(s) for s in ctx["ntp_servers"]), site.nvr.ups.shutdown_battery_percent)


def placeholder_fields(site: Site) -> list[str]:
    """Field paths whose value is still example data (to replace before filing)."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, str) and EXAMPLE_MARK in node.lower():
            found.append(path)

    walk(site.model_dump(mode="json"), "")
    ex = site.dossier.examples
    found += [f"habilitations[{h}] (personne inventée)" for h in ex.habilitations]
    found += [f"cameras[{c}] (position et champ inventés)" for c in ex.cameras]
    found += [f for f in ex.fields if f not in found]
    return found
