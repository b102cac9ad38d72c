"""The essaimage decision dossier: technical, economic and organisational parts for N communes.

The pilot sites declared in the inventory come first; beyond them, each further commune is the
department's template site (`site-template.yml.j2`, what `beffroi site new` creates), so the
projection uses the same cameras and bitrates a new commune would actually get.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jinja2
import yaml
from pydantic import ValidationError

from beffroi.dossiers.costs import (
    ProjectionPoint,
    SiteCosts,
    projection,
    projection_series,
    site_costs,
)
from beffroi.dossiers.economics import (
    EstimateComparison,
    Financing,
    TerritoryProjection,
    compare_estimate,
    financing,
    territory_projection,
    wan_curve,
)
from beffroi.dossiers.facts import StorageSizing, storage_sizing
from beffroi.dossiers.plots import bandwidth_plot, cost_plot, data_uri, wan_plot
from beffroi.dossiers.render import Document, checked_inventory, render_document
from beffroi.findings import BeffroiError
from beffroi.inventory import Inventory, today
from beffroi.model import Department, Site
from beffroi.model.department import Costs

# Milestones of the projection; the department's own commune count closes the series.
PROJECTION_MILESTONES = (1, 15, 100)


def projection_points(dept: Department) -> tuple[int, ...]:
    """1, 15, 100 and every commune of the department (725 in Moselle)."""
    return tuple(sorted({*PROJECTION_MILESTONES, dept.department.communes}))
TEMPLATE_SLUG = "commune-type"
# Placeholder WireGuard key of the never-deployed template site: a real point (the public key of
# the all-zero scalar), since the model refuses small-order keys such as all-zero bytes.
TEMPLATE_KEY = "L+V9o0fNYkMVKNqsX7spBzD/9oSvxM/C7ZCZX1jLO3Q="


@dataclass(frozen=True)
class SiteStorage:
    """Storage sizing of one site of the dossier (pilot or template)."""

    commune: str
    cameras: int
    sizing: StorageSizing


@dataclass
class Essaimage:
    """Everything the essaimage dossier states, computed before rendering."""

    communes: int
    pilots: list[SiteCosts]
    template: SiteCosts
    template_site: Site
    target: ProjectionPoint
    points: list[ProjectionPoint]
    series: list[ProjectionPoint] = field(repr=False)
    storage: list[SiteStorage]
    financing: Financing = field(repr=False)
    estimate: EstimateComparison | None = field(repr=False)
    territories: list[TerritoryProjection] = field(repr=False)
    wan: list[tuple[int, float, float]] = field(repr=False)


def template_site(inv: Inventory, dept: Department) -> Site:
    """The department's template site rendered as `beffroi site new` would, then validated."""
    from beffroi.addressing import plan
    from beffroi.sitenew import CAMERAS, render_site_file

    values: dict[str, Any] = {
        "commune": "Commune type", "slug": TEMPLATE_SLUG, "site_id": 1, "insee": "57000",
        "population": 0, "mayor": "Maire Àdésigner", "mayor_id": "madesigner",
        "created": today().isoformat(), "retention_days": dept.defaults.retention_days,
        "addressing": dept.addressing, "plan": plan(dept.addressing, 1, len(CAMERAS)),
        "wireguard_public_key": TEMPLATE_KEY}
    try:
        data = yaml.safe_load(render_site_file(inv, inv.root, values))
        return Site.model_validate(data)
    except (OSError, jinja2.TemplateError, yaml.YAMLError, ValidationError) as exc:
        raise BeffroiError(f"the department template site ({inv.root}/site-template.yml.j2) "
                           f"does not give a valid site: {exc}") from None


def costs_of(costs: Costs, site: Site) -> SiteCosts:
    """A site's costs, with the bitrate its live relay forwards (its recorded streams)."""
    return site_costs(costs, site.commune, site.slug, len(site.cameras),
                      sum(c.recording.bitrate_kbps for c in site.cameras))


def essaimage(inv: Inventory, communes: int | None = None) -> Essaimage:
    """Compute the dossier for `communes` communes (default: the inventory's pilot sites)."""
    dept, _findings = checked_inventory(inv)
    pilots_sites = sorted(inv.sites.values(), key=lambda s: s.site_id)
    costs = dept.costs
    pilots = [costs_of(costs, s) for s in pilots_sites]
    tsite = template_site(inv, dept)
    template = costs_of(costs, tsite)
    n = communes if communes is not None else max(1, len(pilots))
    if n < 1:
        raise BeffroiError("--communes must be at least 1")
    marks = sorted({*projection_points(dept), n})
    series = projection_series(costs, pilots, template, range(1, max(marks) + 1))
    storage = [SiteStorage(s.commune, len(s.cameras), storage_sizing(s))
               for s in [*pilots_sites, tsite]]
    target = projection(costs, pilots, template, n)
    first = pilots[0] if pilots else template
    rates = [c.recording.bitrate_kbps for s in pilots_sites for c in s.cameras]
    rates += [c.recording.bitrate_kbps for c in tsite.cameras] * target.template_sites
    return Essaimage(n, pilots, template, tsite, target, [series[m - 1] for m in marks],
                     series, storage, financing(costs, first.capex_eur),
                     compare_estimate(costs, first),
                     [territory_projection(costs, template, t) for t in costs.territories],
                     wan_curve(rates[:target.cameras]))


def build_essaimage(inv: Inventory, communes: int | None = None,
                    when: date | None = None) -> Document:
    """The essaimage decision dossier (HTML with embedded plots; the PNGs ride along)."""
    day = when or today()
    e = essaimage(inv, communes)
    dept = inv.department
    assert dept is not None  # checked_inventory refused otherwise
    marks = [p.communes for p in e.points]
    cost_png = cost_plot(e.series, marks)
    bw_png = bandwidth_plot(e.series, marks)
    wan_png = wan_plot(e.wan)
    context = {
        "title": f"Dossier d'aide à la décision pour l'essaimage — {dept.department.name} "
                 f"({e.communes} commune{'s' if e.communes > 1 else ''})",
        "e": e, "dept": dept, "cell": inv.crisis_cell, "today": day,
        "sizing": dept.costs.crisis_cell, "department_communes": dept.department.communes,
        "cost_plot": data_uri(cost_png), "bandwidth_plot": data_uri(bw_png),
        "wan_plot": data_uri(wan_png), "taxes": dept.costs.taxes,
        "catalogue": {c.id: c for c in dept.costs.capex},
        "recurring_catalogue": {r.id: r for r in dept.costs.recurring},
        "size_classes": dept.costs.size_classes,
        "sites": sorted(inv.sites.values(), key=lambda s: s.site_id),
    }
    doc = render_document("essaimage", "essaimage.html.j2", context)
    doc.extra_files = {"essaimage-couts.png": cost_png, "essaimage-debit.png": bw_png,
                       "essaimage-wan.png": wan_png}
    return doc
