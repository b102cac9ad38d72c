"""The departmental crisis cell: WireGuard hub and live viewers (ACC-4)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from pydantic import Field

from beffroi.model.base import Hostname, Label, Port, Strict, Text
from beffroi.model.keys import WireGuardPublicKey


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
