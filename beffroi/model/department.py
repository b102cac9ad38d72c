"""Department defaults: addressing pool, time sources, defaults, cost catalogue."""

from __future__ import annotations

import functools
import zoneinfo
from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from beffroi.model.alerts import DepartmentAlerts
from beffroi.model.base import Identifier, Label, NtpSource, OptionalText, Port, Strict, Text
from beffroi.model.dossier import Convention
from beffroi.model.keys import SshPublicKey
from beffroi.model.monitoring import Monitoring
from recorder import legal


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # walks the tz directories: once


def known_time_zone(value: str) -> str:
    """An IANA zone of the system's tz database (a set lookup: a path never reaches the disk)."""
    if value not in _time_zones():
        raise ValueError("unknown time zone (IANA name such as Europe/Paris)")
    return value


TimeZone = Annotated[str, AfterValidator(known_time_zone)]


class DepartmentInfo(Strict):
    """Who the department and its operator are."""

    code: str = Field(pattern=r"^([0-9]{2,3}|2[AB])$", description="INSEE department code")
    name: Label
    operator: Label = Field(description="Syndicate rolling the sites out")
    prefecture: Text
    communes: int = Field(ge=1, description="Communes in the department (essaimage projection)")
    timezone: TimeZone = "Europe/Paris"


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
    max_offset_ms: int = Field(legal.TIME_MAX_OFFSET_MS, ge=1,
                               description="Alarm above this offset (policy)")


class Admin(Strict):
    """An administrator of the Linux hosts: a person's account, SSH keys only (ACC-1, NET-3)."""

    name: Identifier
    comment: Label
    ssh_public_keys: list[SshPublicKey] = Field(min_length=1,
                                                description="OpenSSH public key lines")


class Defaults(Strict):
    """Values a commune inherits unless its site file overrides them."""

    retention_days: int = Field(15, ge=legal.RETENTION_MIN_DAYS, le=legal.RETENTION_MAX_DAYS,
                                description="RET-1: what `site new` writes for a commune")
    journal_retention_days: int = Field(legal.JOURNAL_DEFAULT_DAYS, ge=legal.JOURNAL_MIN_DAYS,
                                        le=legal.JOURNAL_MAX_DAYS)  # JRN-2
    segment_seconds: int = Field(60, ge=2, le=600)
    live_relay_port: Port = 8554
    recorder_api_port: Port = 8443
    wireguard_port: Port = 51820
    admins: list[Admin] = Field(default_factory=list,
                                description="Operator administrators (SSH keys only, no password)")
    admin_networks: list[IPv4Network] = Field(
        default_factory=list, description="Extra sources allowed to SSH to firewalls")


class Priced(Strict):
    """Where a price comes from: a cited source (with its date) or an explicit assumption,
    and the low/high range around it (essaimage dossier)."""

    source: OptionalText = Field("", description="Quote, price list or tender, with its date")
    assumption: bool = Field(False, description="No source: an estimate, marked as such")
    low_eur: float | None = Field(None, ge=0, description="Low end of the unit price range")
    high_eur: float | None = Field(None, ge=0, description="High end of the unit price range")

    @model_validator(mode="after")
    def _sourced(self) -> Priced:
        if not self.source and not self.assumption:
            raise ValueError("a price needs a `source` (quote, list, date) or `assumption: true`")
        if self.low_eur is not None and self.high_eur is not None \
                and self.low_eur > self.high_eur:
            raise ValueError("low_eur must not exceed high_eur")
        return self


class CostLine(Priced):
    """A capital-cost line of the bill of materials (euros HT)."""

    id: Identifier
    label: Label
    unit_eur: float = Field(ge=0)
    quantity: float = Field(1, ge=0)
    per: Literal["site", "camera"] = "site"
    lifetime_years: int = Field(8, ge=1)
    seed_item: OptionalText = Field("", description="The seed's bill-of-materials item it answers")


class RecurringLine(Priced):
    """A yearly cost line (euros HT per year)."""

    id: Identifier
    label: Label
    annual_eur: float = Field(ge=0)
    per: Literal["site", "camera"] = "site"


class CrisisCellSizing(Strict):
    """How the crisis cell grows with the number of communes (essaimage dossier)."""

    streams_per_host: int = Field(64, ge=1)
    host_capex_eur: float = Field(ge=0)
    base_capex_eur: float = Field(ge=0)
    annual_opex_eur: float = Field(ge=0, description="Technical operation (maintenance)")
    hosting_annual_eur: float = Field(0, ge=0, description="Rack space, power, links per year")
    operators_per_shift: int = Field(1, ge=0, description="Operators on duty at any time (24/7)")
    shift_coverage_fte: float = Field(5.3, ge=0, description="FTE to staff one post 24/7")
    operator_annual_eur: float = Field(0, ge=0, description="Loaded cost of one FTE per year")
    watched_fraction: float = Field(0.1, gt=0, le=1, description="Share of cameras watched at "
                                    "once in a departmental crisis (on-demand relay)")
    costs_source: OptionalText = Field(
        "", description="Source or « hypothèse » for the cell's figures")


class Subsidy(Strict):
    """A subsidy a commune can ask for, with its rate as published (or as an assumption)."""

    id: Identifier
    label: Label
    rate_low: float = Field(ge=0, le=1)
    rate_high: float = Field(ge=0, le=1)
    source: OptionalText = ""
    assumption: bool = False


class Taxes(Strict):
    """VAT and FCTVA recovery (the commune pays TTC, recovers FCTVA on investment)."""

    vat_rate: float = Field(0.20, ge=0, le=1)
    fctva_rate: float = Field(0.16404, ge=0, le=1)
    source: OptionalText = ""


class SizeClass(Strict):
    """A class of communes by population and the cameras a commune of that class gets."""

    max_population: int = Field(ge=1)
    cameras: int = Field(ge=1)
    label: Label


class Territory(Strict):
    """A territory the essaimage dossier projects onto (communes by size class)."""

    id: Identifier
    label: Label
    collectivities: int = Field(ge=1)
    population: int = Field(ge=1)
    communes_by_class: list[int] = Field(description="Communes in each size class, in order")
    source: OptionalText = ""
    assumption: bool = False


class Costs(Strict):
    """The cost catalogue of the department."""

    capex: list[CostLine]
    recurring: list[RecurringLine]
    crisis_cell: CrisisCellSizing
    taxes: Taxes = Field(default_factory=Taxes)
    subsidies: list[Subsidy] = Field(default_factory=list)
    seed_estimate_eur: float | None = Field(None, ge=0, description="The seed's estimate (HT)")
    size_classes: list[SizeClass] = Field(default_factory=list)
    territories: list[Territory] = Field(default_factory=list)


class Department(Strict):
    """`department.yml`: everything a commune inherits."""

    department: DepartmentInfo
    addressing: Addressing
    time: TimeSources
    defaults: Defaults = Field(default_factory=Defaults)
    costs: Costs
    # The pilot's convention (parties, dates): only the dossiers read it.
    convention: Convention | None = None
    alerts: DepartmentAlerts = Field(default_factory=DepartmentAlerts)  # issue 15 routing
    # The department's monitoring host (Prometheus + Alertmanager of the operator's on-call).
    monitoring: Monitoring | None = None


DepartmentFile = Department
