"""Signage: the text of the information panel, one per filmed zone (one per camera)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from beffroi.dossiers.render import Document, checked_site, render_document
from beffroi.inventory import Inventory, today
from beffroi.model import Camera, Purpose, Site

CNIL_COMPLAINT = "www.cnil.fr/plaintes"  # where anyone lodges a complaint (RGPD art. 77)


@dataclass(frozen=True)
class Panel:
    """The text of one panel."""

    camera: Camera
    purposes: tuple[Purpose, ...]


def panels(site: Site) -> list[Panel]:
    """One panel per camera zone, naming that camera's own purposes."""
    by_code = {p.code: p for p in site.authorization.purposes}
    return [Panel(c, tuple(by_code[code] for code in c.purposes if code in by_code))
            for c in site.cameras]


def build_signage(inv: Inventory, slug: str, when: date | None = None,
                  evidence: Path | None = None) -> Document:
    """The panel texts of `slug`; BeffroiError (with findings) if the site is invalid.

    `evidence` is accepted for a uniform signature: a panel states no deployed fact."""
    day = when or today()
    site, dept, _findings = checked_site(inv, slug, day)
    context = {"title": f"Signalisation — système de vidéoprotection de {site.commune}",
               "site": site, "dept": dept, "today": day, "panels": panels(site),
               "cnil": CNIL_COMPLAINT}
    return render_document("signage", "signage.html.j2", context)
