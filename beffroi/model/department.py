"""Department defaults: addressing pool, time sources, defaults, cost catalogue."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field

from beffroi.model.base import Identifier, Label, NtpSource, Paragraph, Port, Strict, Text


class DepartmentInfo(Strict):
    """Who the department and its operator are."""

    code: str = Field(pattern=r"^([0-9]{2,3}|2[AB])$", description="INSEE department code")
    name: Label
    operator: Label = Field(description="Syndicate rolling the sites out")
    prefecture: Text
    communes: int = Field(ge=1, description="Communes in the department (essaimage projection)")
    timezone: Label = "Europe/Paris"


class Addressing(Strict):
    """Pools from which every commune's subnets derive (one block per site_id)."""

    pool: IPv4Network = Field(description="LAN pool; site N owns the N-th block of site_prefix")
    site_prefix: int = Field(26, ge=16, le=28)
    camera_vlan_id: int = Field(110, ge=2, le=4094)
    management_vlan_id: int = Field(120, ge=2, le=4094)
    uplink_vlan_id: int = Field(130, ge=2, le=4094)
    wan_pool: IPv4Network = Field(description="Collect network between firewalls and the hub")
    vpn_pool: IPv4Network = Field(description="WireGuard tunnel addresses (hub is the first)")


class TimeSources(Strict):
    """TIME-1: NTP sources for every NVR, firewall and camera."""

    ntp_servers: list[NtpSource] = Field(description="≥ 2 sources (TIME-1)")
    max_offset_ms: int = Field(1000, ge=1, description="Alarm above this offset (policy)")


class Admin(Strict):
    """An administrator of the Linux hosts: a person's account, SSH keys only (ACC-1, NET-3)."""

    name: Identifier
    comment: Label
    ssh_public_keys: list[Paragraph] = Field(min_length=1, description="Public keys (not secrets)")


class Defaults(Strict):
    """Values a commune inherits unless its site file overrides them."""

    retention_days: int = 15
    journal_retention_days: int = Field(365, ge=180, le=366)
    segment_seconds: int = Field(60, ge=2, le=600)
    live_relay_port: Port = 8554
    recorder_api_port: Port = 8443
    wireguard_port: Port = 51820
    admins: list[Admin] = Field(default_factory=list,
                                description="Operator administrators (SSH keys only, no password)")
    admin_networks: list[IPv4Network] = Field(
        default_factory=list, description="Extra sources allowed to SSH to firewalls")


class CostLine(Strict):
    """A capital-cost line of the bill of materials (euros HT)."""

    id: Identifier
    label: Label
    unit_eur: float = Field(ge=0)
    quantity: float = Field(1, ge=0)
    per: Literal["site", "camera"] = "site"
    lifetime_years: int = Field(8, ge=1)


class RecurringLine(Strict):
    """A yearly cost line (euros HT per year)."""

    id: Identifier
    label: Label
    annual_eur: float = Field(ge=0)
    per: Literal["site", "camera"] = "site"


class CrisisCellSizing(Strict):
    """How the crisis cell grows with the number of communes (essaimage dossier)."""

    streams_per_host: int = Field(64, ge=1)
    live_stream_kbps: int = Field(2048, ge=64, description="Live relay bitrate per stream")
    host_capex_eur: float = Field(ge=0)
    base_capex_eur: float = Field(ge=0)
    annual_opex_eur: float = Field(ge=0)


class Costs(Strict):
    """The cost catalogue of the department."""

    capex: list[CostLine]
    recurring: list[RecurringLine]
    crisis_cell: CrisisCellSizing


class Department(Strict):
    """`department.yml`: everything a commune inherits."""

    department: DepartmentInfo
    addressing: Addressing
    time: TimeSources
    defaults: Defaults = Field(default_factory=Defaults)
    costs: Costs


DepartmentFile = Department
