"""Dossiers computed from the site model: préfecture request, AIPD, signage, compact-system
report, crisis-cell feasibility report, essaimage.

Each dossier is HTML (fields marked `data-field`) laid out into PDF; a site that does not
validate gets no dossier, only its findings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from beffroi.dossiers.aipd import build_aipd
from beffroi.dossiers.compact import build_compact
from beffroi.dossiers.pdf import write_pdf
from beffroi.dossiers.prefecture import build_prefecture
from beffroi.dossiers.render import Document, write_html
from beffroi.dossiers.signage import build_signage
from beffroi.inventory import Inventory

Builder = Callable[[Inventory, str, "date | None", "Path | None"], Document]
SITE_DOSSIERS: dict[str, Builder] = {
    "prefecture": build_prefecture,
    "aipd": build_aipd,
    "signage": build_signage,
    "compact": build_compact,
}


def write_document(doc: Document, out_dir: Path, pdf: bool = True) -> list[Path]:
    """Write a dossier's HTML, its extra files and (unless `pdf` is False) its PDF."""
    paths = write_html(doc, out_dir)
    if pdf:
        paths.insert(1, write_pdf(doc.html, out_dir / f"{doc.stem}.pdf"))
    return paths


def write_site_dossiers(inv: Inventory, slug: str, out_dir: Path,
                        evidence: Path | None = None) -> list[Path]:
    """The demo's entry point: préfecture request, AIPD, signage and compact-system report of
    `slug`, the crisis-cell feasibility report and the essaimage dossier of the whole
    department, as HTML + PDF in `out_dir` (`evidence`: the site's verification records)."""
    from beffroi.dossiers.crisis import build_crisis_cell
    from beffroi.dossiers.essaimage import build_essaimage

    docs = [build(inv, slug, None, evidence) for build in SITE_DOSSIERS.values()]
    assert inv.department is not None
    docs.append(build_crisis_cell(inv, None, evidence))
    docs.append(build_essaimage(inv, inv.department.department.communes))
    written: list[Path] = []
    for doc in docs:
        written.extend(write_document(doc, out_dir))
    return written


def closing_note(inv: Inventory, slug: str) -> list[str]:
    """The demo's closing lines: the site's computed cost and the largest projection."""
    from beffroi.dossiers.essaimage import costs_of, essaimage
    from beffroi.dossiers.render import eur, num

    site = inv.site(slug)
    dept = inv.department
    if dept is None:
        return []
    own = costs_of(dept.costs, site)
    p = essaimage(inv, dept.department.communes).target
    return [
        f"{site.commune}: capex {eur(own.capex_eur)} HT ({own.cameras} cameras), "
        f"recurring {eur(own.annual_eur)} HT/year",
        f"{p.communes} communes: capex {eur(p.capex_total_eur)} HT (communes "
        f"{eur(p.capex_communes_eur)} + crisis cell {eur(p.cell.capex_eur)}), recurring "
        f"{eur(p.annual_communes_eur)} HT/year + cell {eur(p.cell.annual_eur)}/year; "
        f"{num(p.cell.live_streams)} cameras relayable, {num(p.cell.watched_streams)} watched at "
        f"once on {p.cell.hosts} relay hosts, {num(p.cell.watched_mbps, 1)} Mbit/s on demand "
        f"({num(p.cell.bandwidth_mbps, 1)} Mbit/s if all were relayed)",
    ]


__all__ = ["SITE_DOSSIERS", "closing_note", "write_document", "write_site_dossiers"]
