"""The report on the compact system (a deliverable of the convention): technical, economic and
organisational, for the pilot site, computed from the model, the catalogue and measured files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from beffroi.dossiers.economics import compare_estimate, financing
from beffroi.dossiers.essaimage import costs_of
from beffroi.dossiers.evidence import load_evidence, measures, verifications
from beffroi.dossiers.facts import link_load, security_measures, storage_sizing
from beffroi.dossiers.render import Document, checked_site, render_document
from beffroi.inventory import Inventory, today


def build_compact(inv: Inventory, slug: str, when: date | None = None,
                  evidence: Path | None = None) -> Document:
    """The compact-system report of `slug`; BeffroiError (with findings) if it is invalid."""
    day = when or today()
    site, dept, _findings = checked_site(inv, slug, day)
    ev = load_evidence(evidence)
    own = costs_of(dept.costs, site)
    masks = sum(len(c.privacy_masks) for c in site.cameras)
    context = {
        "title": f"Rapport sur le système compact de vidéoprotection — {site.commune}",
        "site": site, "dept": dept, "cell": inv.crisis_cell, "today": day,
        "conv": dept.convention, "costs": own, "financing": financing(dept.costs, own.capex_eur),
        "estimate": compare_estimate(dept.costs, own), "taxes": dept.costs.taxes,
        "storage": storage_sizing(site), "link": link_load(site),
        "security": security_measures(inv, slug), "verifications": verifications(ev, masks),
        "measures": measures(ev, ("recorder.cpu_ratio", "recorder.pss_ratio",
                                  "recorder.recorded_percent", "recorder.resume_s",
                                  "recorder.loss_kill_s", "drift.speedup")),
    }
    return render_document("compact", "compact.html.j2", context)
