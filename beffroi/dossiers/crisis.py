"""The feasibility report on carrying live streams to a third place (the crisis cell): legal
(CSI L252-3 limits who may receive images), technical, economic and organisational."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from beffroi.dossiers.essaimage import essaimage
from beffroi.dossiers.evidence import load_evidence, measures
from beffroi.dossiers.labels import RECIPIENT_KIND
from beffroi.dossiers.plots import data_uri, wan_plot
from beffroi.dossiers.render import Document, render_document
from beffroi.findings import BeffroiError
from beffroi.inventory import Inventory, today
from beffroi.rules.access import LAWFUL_RECIPIENTS


@dataclass(frozen=True)
class RecipientCheck:
    """A recipient declared by a commune, against the closed list of CSI L252-3 (ACC-3)."""

    commune: str
    service: str
    kind: str
    lawful: bool
    live_only: bool
    legal_basis: str


def recipient_checks(inv: Inventory) -> list[RecipientCheck]:
    """Every outside recipient of every site, and whether L252-3 allows it."""
    return [RecipientCheck(s.commune, r.service, RECIPIENT_KIND.get(r.kind, r.kind),
                           r.kind in LAWFUL_RECIPIENTS, r.live_only,
                           r.legal_basis.cite() if r.legal_basis else "")
            for s in sorted(inv.sites.values(), key=lambda s: s.site_id)
            for r in s.authorization.recipients]


def build_crisis_cell(inv: Inventory, when: date | None = None,
                      evidence: Path | None = None) -> Document:
    """The crisis-cell feasibility report for the whole department (BeffroiError if the
    inventory does not validate or has no crisis cell)."""
    day = when or today()
    if inv.crisis_cell is None:
        raise BeffroiError(f"{inv.root} has no valid crisis-cell.yml: no crisis-cell dossier")
    dept = inv.department
    e = essaimage(inv, dept.department.communes if dept else None)
    assert dept is not None  # essaimage refused otherwise
    ev = load_evidence(evidence)
    png = wan_plot(e.wan)
    context = {
        "title": f"Étude de faisabilité : transmission des images en direct à la cellule de "
                 f"crise — {dept.department.name}",
        "dept": dept, "cell": inv.crisis_cell, "today": day, "e": e,
        "sizing": dept.costs.crisis_cell, "conv": dept.convention,
        "recipients": recipient_checks(inv), "wan_plot": data_uri(png),
        "sites": sorted(inv.sites.values(), key=lambda s: s.site_id),
        "measures": measures(ev, ("relay.latency_s", "drill.crisis_cell_s")),
    }
    doc = render_document("crisis-cell", "crisis-cell.html.j2", context)
    doc.extra_files = {"crisis-cell-wan.png": png}
    return doc
