"""Costs from the department catalogue: bill of materials, recurring costs, departmental projection.

Every euro comes from `department.yml` (`costs:`); nothing here knows a price. A commune's
capital cost is Σ catalogue lines, a `per: camera` line counting once per camera of the site.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from beffroi.model.department import Costs, CrisisCellSizing


@dataclass(frozen=True)
class BomLine:
    """One line of a commune's bill of materials (€ HT)."""

    id: str
    label: str
    per: str
    unit_eur: float
    quantity: float        # catalogue quantity × cameras for `per: camera` lines
    total_eur: float
    lifetime_years: int

    @property
    def annualised_eur(self) -> float:
        """Straight-line depreciation over the line's lifetime."""
        return self.total_eur / self.lifetime_years


@dataclass(frozen=True)
class RecurringCost:
    """One yearly cost of a commune (€ HT per year)."""

    id: str
    label: str
    per: str
    annual_unit_eur: float
    quantity: int
    annual_eur: float


@dataclass(frozen=True)
class SiteCosts:
    """What one commune costs: capital and yearly."""

    commune: str
    slug: str
    cameras: int
    bom: tuple[BomLine, ...]
    recurring: tuple[RecurringCost, ...]
    relay_kbps: int = 0     # Σ recorded bitrates: the live relay forwards the recorded streams

    @property
    def capex_eur(self) -> float:
        """Capital cost: Σ bill-of-materials lines."""
        return sum(line.total_eur for line in self.bom)

    @property
    def annual_eur(self) -> float:
        """Recurring cost per year: Σ recurring lines."""
        return sum(line.annual_eur for line in self.recurring)

    @property
    def annualised_capex_eur(self) -> float:
        """Capital cost spread over each line's lifetime, per year."""
        return sum(line.annualised_eur for line in self.bom)


@dataclass(frozen=True)
class CrisisCellLoad:
    """The crisis cell for a number of communes: every stream it could relay (worst case) and
    the streams watched at once through the on-demand relay, which size its hosts."""

    communes: int
    live_streams: int        # every camera of every commune
    bandwidth_kbps: int      # Σ recorded bitrates: all streams relayed at once (worst case)
    watched_streams: int     # ⌈watched_fraction × streams⌉: what the on-demand relay carries
    watched_kbps: int        # watched streams × mean bitrate
    hosts: int
    capex_eur: float
    opex_eur: float          # technical operation
    hosting_eur: float
    staffing_eur: float      # operators per shift × FTE per 24/7 post × cost of an FTE

    @property
    def bandwidth_mbps(self) -> float:
        """Worst-case bandwidth in Mbit/s (10^6)."""
        return self.bandwidth_kbps / 1000

    @property
    def watched_mbps(self) -> float:
        """On-demand bandwidth in Mbit/s."""
        return self.watched_kbps / 1000

    @property
    def annual_eur(self) -> float:
        """Operation + hosting + 24/7 staffing, per year."""
        return self.opex_eur + self.hosting_eur + self.staffing_eur


@dataclass(frozen=True)
class ProjectionPoint:
    """The department with `communes` communes equipped."""

    communes: int
    real_sites: int          # pilot sites actually declared in the inventory
    template_sites: int      # communes extrapolated with the department template site
    cameras: int
    capex_communes_eur: float
    annual_communes_eur: float
    cell: CrisisCellLoad

    @property
    def capex_total_eur(self) -> float:
        """Communes' capital cost plus the crisis cell's."""
        return self.capex_communes_eur + self.cell.capex_eur

    @property
    def annual_total_eur(self) -> float:
        """Communes' recurring costs plus the crisis cell's operation (the communes'
        `crisis-cell-share` lines, if any, are what funds the latter: compare, don't add)."""
        return self.annual_communes_eur + self.cell.annual_eur


def bill_of_materials(costs: Costs, cameras: int) -> tuple[BomLine, ...]:
    """The catalogue's capital lines for a site with `cameras` cameras."""
    lines = []
    for c in costs.capex:
        qty = c.quantity * (cameras if c.per == "camera" else 1)
        lines.append(BomLine(c.id, c.label, c.per, c.unit_eur, qty, c.unit_eur * qty,
                             c.lifetime_years))
    return tuple(lines)


def recurring_costs(costs: Costs, cameras: int) -> tuple[RecurringCost, ...]:
    """The catalogue's yearly lines for a site with `cameras` cameras."""
    lines = []
    for r in costs.recurring:
        qty = cameras if r.per == "camera" else 1
        lines.append(RecurringCost(r.id, r.label, r.per, r.annual_eur, qty, r.annual_eur * qty))
    return tuple(lines)


def site_costs(costs: Costs, commune: str, slug: str, cameras: int, relay_kbps: int = 0
               ) -> SiteCosts:
    """A commune's bill of materials and recurring costs (`relay_kbps`: Σ of its recorded
    bitrates, what its live relay forwards)."""
    return SiteCosts(commune, slug, cameras, bill_of_materials(costs, cameras),
                     recurring_costs(costs, cameras), relay_kbps)


def staffing_eur(sizing: CrisisCellSizing) -> float:
    """24/7 staffing per year: operators per shift × FTE per post × loaded cost of an FTE."""
    return sizing.operators_per_shift * sizing.shift_coverage_fte * sizing.operator_annual_eur


def crisis_cell_load(sizing: CrisisCellSizing, communes: int, live_streams: int,
                     relay_kbps: int) -> CrisisCellLoad:
    """Watched = ⌈fraction × streams⌉; hosts = ⌈watched / streams_per_host⌉; worst-case
    bandwidth = Σ relayed bitrates; on-demand bandwidth = watched × mean bitrate."""
    watched = math.ceil(live_streams * sizing.watched_fraction) if live_streams else 0
    mean = relay_kbps / live_streams if live_streams else 0.0
    hosts = max(1, math.ceil(watched / sizing.streams_per_host))
    return CrisisCellLoad(communes, live_streams, relay_kbps, watched, round(watched * mean),
                          hosts, sizing.base_capex_eur + hosts * sizing.host_capex_eur,
                          sizing.annual_opex_eur, sizing.hosting_annual_eur,
                          staffing_eur(sizing))


def projection(costs: Costs, pilots: Sequence[SiteCosts], template: SiteCosts,
               communes: int) -> ProjectionPoint:
    """`communes` communes: the real pilot sites first, then copies of the template site.

    Every camera of every commune can be relayed live to the crisis cell; the worst case
    (all at once) gives the bandwidth ceiling, the on-demand share sizes the relay hosts.
    """
    if communes < 1:
        raise ValueError("a projection needs at least one commune")
    real = list(pilots[:communes])
    extra = communes - len(real)
    cameras = sum(s.cameras for s in real) + extra * template.cameras
    kbps = sum(s.relay_kbps for s in real) + extra * template.relay_kbps
    capex = sum(s.capex_eur for s in real) + extra * template.capex_eur
    annual = sum(s.annual_eur for s in real) + extra * template.annual_eur
    cell = crisis_cell_load(costs.crisis_cell, communes, cameras, kbps)
    return ProjectionPoint(communes, len(real), extra, cameras, capex, annual, cell)


def projection_series(costs: Costs, pilots: Sequence[SiteCosts], template: SiteCosts,
                      points: Sequence[int]) -> list[ProjectionPoint]:
    """The projection at each number of communes of `points`."""
    return [projection(costs, pilots, template, n) for n in points]
