"""The departmental crisis cell: WireGuard hub and live viewers (ACC-4)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from pydantic import Field

from beffroi.model.base import Hostname, Identifier, Label, OptionalText, Port, Strict, Text
from beffroi.model.keys import Ed25519PublicKeyB64, WireGuardPublicKey


class WallRecipient(Strict):
    """One agent of a lawful recipient service with their own wall account (ACC-1, ACC-3).

    `service` is checked by rule ACC-3 (police_nationale, gendarmerie, douanes, sdis,
    police_municipale); `cameras` lists "*", a commune slug, or "slug/camera"."""

    id: Identifier
    name: Label
    service: Label = Field(description="ACC-3: police_nationale, gendarmerie, douanes, sdis "
                           "or police_municipale")
    unit: Label = Field(description="The person's unit, e.g. SDIS 57 — CTA-CODIS")
    cameras: list[Label] = Field(min_length=1, description="\"*\", a commune slug or slug/camera")
    email: OptionalText = ""


class Wall(Strict):
    """The crisis cell's live wall (issue 14 §3): where it listens, its token key, who logs in."""

    address: IPv4Address = Field(description="Address the wall listens on (the cell's screens)")
    port: Port = 8443
    public_key: Ed25519PublicKeyB64 = Field(
        description="Public half of the vault's wall_token_key: every NVR's relay trusts it")
    recipients: list[WallRecipient] = Field(min_length=1)


class CrisisCell(Strict):
    """`crisis-cell.yml`: the hub every commune firewall connects to."""

    name: Label
    hostname: Hostname
    address: Text = Field(description="Postal address of the cell (dossiers)")
    wan_address: IPv4Interface
    vpn_address: IPv4Address
    wireguard_port: Port = 51820
    wireguard_public_key: WireGuardPublicKey
    services: list[Label] = Field(description="Services watching live (SDIS, PN, GN…)")
    wall: Wall | None = None
