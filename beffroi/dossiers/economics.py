"""What a commune really pays and what territories cost: HT → TTC, FCTVA, subsidies, the
convention's estimate line by line, projections by commune size class, the crisis cell's WAN.

Every rate and price comes from `department.yml` (`costs:`), each with its source or marked as
an assumption; nothing here knows a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from beffroi.dossiers.costs import CrisisCellLoad, SiteCosts, crisis_cell_load
from beffroi.model.department import Costs, SizeClass, Subsidy, Territory

# CGCT L1111-10: the project owner pays at least 20 % of a subsidised investment.
MAX_PUBLIC_AID = 0.80


@dataclass(frozen=True)
class Aid:
    """One subsidy applied to a capital cost (€): low and high ends of its published rate."""

    subsidy: Subsidy
    low_eur: float
    high_eur: float


@dataclass(frozen=True)
class Financing:
    """A commune's capital cost from HT to what remains after FCTVA and subsidies."""

    ht_eur: float
    vat_eur: float
    fctva_eur: float
    aids: tuple[Aid, ...]
    aid_low_eur: float      # Σ low rates, capped at MAX_PUBLIC_AID × HT
    aid_high_eur: float     # Σ high rates, capped likewise

    @property
    def ttc_eur(self) -> float:
        """HT + VAT: what the commune disburses."""
        return self.ht_eur + self.vat_eur

    @property
    def net_without_aid_eur(self) -> float:
        """Remaining cost if no subsidy is granted (TTC − FCTVA)."""
        return self.ttc_eur - self.fctva_eur

    @property
    def net_high_eur(self) -> float:
        """Remaining cost with the lowest subsidies."""
        return self.ttc_eur - self.fctva_eur - self.aid_low_eur

    @property
    def net_low_eur(self) -> float:
        """Remaining cost with the highest subsidies."""
        return self.ttc_eur - self.fctva_eur - self.aid_high_eur


def financing(costs: Costs, ht_eur: float) -> Financing:
    """VAT on HT; FCTVA = rate × TTC; subsidies on HT, together at most 80 % of HT."""
    vat = ht_eur * costs.taxes.vat_rate
    fctva = (ht_eur + vat) * costs.taxes.fctva_rate
    aids = tuple(Aid(s, ht_eur * s.rate_low, ht_eur * s.rate_high) for s in costs.subsidies)
    cap = MAX_PUBLIC_AID * ht_eur
    return Financing(ht_eur, vat, fctva, aids, min(cap, sum(a.low_eur for a in aids)),
                     min(cap, sum(a.high_eur for a in aids)))


@dataclass(frozen=True)
class EstimateComparison:
    """A commune's computed capital cost against the convention's estimate."""

    estimate_eur: float
    listed: tuple[tuple[str, str, float], ...]      # (label, item of the estimate's list, €)
    unlisted: tuple[tuple[str, float], ...]         # lines the estimate's list does not name
    low_eur: float
    high_eur: float

    @property
    def listed_eur(self) -> float:
        """Σ lines answering an item of the estimate's list."""
        return sum(v for _l, _i, v in self.listed)

    @property
    def unlisted_eur(self) -> float:
        """Σ lines outside the estimate's list."""
        return sum(v for _l, v in self.unlisted)

    @property
    def total_eur(self) -> float:
        """The computed capital cost."""
        return self.listed_eur + self.unlisted_eur

    @property
    def difference_eur(self) -> float:
        """Computed − estimate."""
        return self.total_eur - self.estimate_eur


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def compare_estimate(costs: Costs, site: SiteCosts) -> EstimateComparison | None:
    """Line by line: what the estimate's list covers, what it leaves out, the price range."""
    if costs.seed_estimate_eur is None:
        return None
    by_id = {c.id: c for c in costs.capex}
    listed = tuple((b.label, by_id[b.id].seed_item, b.total_eur) for b in site.bom
                   if by_id[b.id].seed_item)
    unlisted = tuple((b.label, b.total_eur) for b in site.bom if not by_id[b.id].seed_item)
    low = sum(_or(by_id[b.id].low_eur, b.unit_eur) * b.quantity for b in site.bom)
    high = sum(_or(by_id[b.id].high_eur, b.unit_eur) * b.quantity for b in site.bom)
    return EstimateComparison(costs.seed_estimate_eur, listed, unlisted, low, high)


@dataclass(frozen=True)
class ClassRow:
    """Communes of one size class in a territory."""

    size: SizeClass
    communes: int
    masts: int            # compact sites per commune: ⌈cameras ÷ cameras of the compact site⌉
    cameras: int
    capex_eur: float
    annual_eur: float
    relay_kbps: int


@dataclass(frozen=True)
class TerritoryProjection:
    """A territory equipped by size class, with its crisis cell."""

    territory: Territory
    rows: tuple[ClassRow, ...]
    cell: CrisisCellLoad

    @property
    def communes(self) -> int:
        """Σ communes over the classes."""
        return sum(r.communes for r in self.rows)

    @property
    def cameras(self) -> int:
        """Σ cameras."""
        return sum(r.cameras for r in self.rows)

    @property
    def capex_eur(self) -> float:
        """Communes' capital cost + the crisis cell's."""
        return sum(r.capex_eur for r in self.rows) + self.cell.capex_eur

    @property
    def annual_eur(self) -> float:
        """Communes' recurring costs + the crisis cell's operation."""
        return sum(r.annual_eur for r in self.rows) + self.cell.annual_eur


def territory_projection(costs: Costs, template: SiteCosts, territory: Territory
                         ) -> TerritoryProjection:
    """Each commune of a class gets ⌈class cameras ÷ template cameras⌉ compact sites."""
    rows = []
    for size, n in zip(costs.size_classes, territory.communes_by_class, strict=False):
        masts = math.ceil(size.cameras / template.cameras)
        rows.append(ClassRow(size, n, masts, n * masts * template.cameras,
                             n * masts * template.capex_eur, n * masts * template.annual_eur,
                             n * masts * template.relay_kbps))
    cams = sum(r.cameras for r in rows)
    cell = crisis_cell_load(costs.crisis_cell, sum(r.communes for r in rows), cams,
                            sum(r.relay_kbps for r in rows))
    return TerritoryProjection(territory, tuple(rows), cell)


def wan_curve(bitrates_kbps: Sequence[int], points: int = 40) -> list[tuple[int, float, float]]:
    """(cameras watched at once, Mbit/s if the highest bitrates are watched first, Mbit/s at the
    mean bitrate) for 0..len(bitrates) cameras — what the on-demand relay carries."""
    rates = sorted(bitrates_kbps, reverse=True)
    n = len(rates)
    if n == 0:
        return [(0, 0.0, 0.0)]
    mean = sum(rates) / n
    step = max(1, n // points)
    xs = sorted({*range(0, n + 1, step), n})
    prefix = [0]
    for r in rates:
        prefix.append(prefix[-1] + r)
    return [(k, prefix[k] / 1000, k * mean / 1000) for k in xs]
