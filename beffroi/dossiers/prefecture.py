"""The préfecture request: the Cerfa 13806*04 data list (compliance.md §G) filled from the site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from beffroi.dossiers.evidence import load_evidence, verifications
from beffroi.dossiers.facts import (
    link_load,
    placeholder_fields,
    security_measures,
    storage_sizing,
)
from beffroi.dossiers.render import Document, checked_site, render_document
from beffroi.inventory import Inventory, today
from beffroi.model import Site
from recorder.legal import RETENTION_MAX_DAYS

RECOMMENDED_HABILITATIONS = (2, 4)  # compliance.md §G: 2–4 names recommended


@dataclass(frozen=True)
class Attachment:
    """A piece of the request and whether Beffroi produced it."""

    key: str
    title: str
    produced: bool
    where: str


@dataclass(frozen=True)
class CameraCounts:
    """Cameras by placement, as the Cerfa asks."""

    total: int
    indoor: int
    outdoor: int
    public_highway: int


def camera_counts(site: Site) -> CameraCounts:
    """Counts of indoor, outdoor and public-highway cameras."""
    cams = site.cameras
    return CameraCounts(len(cams), sum(c.placement == "indoor" for c in cams),
                        sum(c.placement == "outdoor" for c in cams),
                        sum(c.public_highway for c in cams))


def cameras_by_purpose(site: Site) -> dict[int, list[str]]:
    """Purpose code → names of the cameras serving it."""
    return {p.code: [c.name for c in site.cameras if p.code in c.purposes]
            for p in site.authorization.purposes}


def attachments() -> list[Attachment]:
    """The attachments of the request: produced here (section of this document) or not."""
    return [
        Attachment("site-plan", "Plan de situation faisant apparaître les ouvertures des "
                   "immeubles tiers dans le champ des caméras", False, "à fournir par la commune"),
        Attachment("camera-plan", "Plan d'implantation des caméras et des zones couvertes",
                   False, "à fournir par la commune (le tableau des caméras, section A, en donne "
                   "les données)"),
        Attachment("camera-table", "Tableau des caméras : rôle, résolution, cadence, compression, "
                   "zones couvertes, zones privées et masques", True, "section A"),
        Attachment("transmission", "Description de la transmission et de l'enregistrement",
                   True, "section B"),
        Attachment("security", "Mesures de sécurité (pare-feu, VPN, journal)", True,
                   "section C"),
        Attachment("storage", "Calcul du dimensionnement du stockage (CAM-9)", True,
                   "section D"),
        Attachment("maintainer", "Responsable du système et mainteneur", True, "section E"),
        Attachment("signage", "Modèle du panneau d'information du public", True,
                   "dossier « signalisation »"),
        Attachment("register", "Fiche du registre des activités de traitement (art. 30 RGPD)",
                   True, "section 11"),
        Attachment("aipd", "Analyse d'impact relative à la protection des données", True,
                   "dossier « AIPD » (avis du DPO à recueillir)"),
        Attachment("conformity", "Attestation de conformité aux normes techniques (annexe 1 du "
                   "Cerfa 51336*02) ou certificat de l'installateur", False,
                   "à fournir par l'installateur"),
        Attachment("report", "Rapport de présentation du projet", False,
                   "à rédiger par la commune (le dossier « système compact » en donne les "
                   "éléments)"),
    ]


def missing_items(site: Site) -> list[str]:
    """What the commune must still provide or do before filing, derived from the site."""
    items = [
        "Plan de situation avec les ouvertures des immeubles tiers (fenêtres, portes) visibles "
        "depuis chaque caméra.",
        "Plan d'implantation des caméras sur fond de plan, zones couvertes et masques reportés.",
        "Questionnaire de conformité Cerfa 51336*02 complété et signé.",
        "Engagement de conformité Cerfa 13810*03 (CNIL), si la préfecture le demande.",
        f"Attestation de certification de l'installateur ({site.installer.certification}).",
    ]
    for h in site.habilitations:
        if h.role == "adjoint":
            items.append(f"Copie de l'arrêté de délégation de {h.name} "
                         f"({h.delegation or 'référence à compléter'}) — ACC-2.")
    if site.authorization.request_type != "initial":
        ref = site.authorization.arrete_ref or "référence à compléter"
        items.append(f"Copie de l'arrêté préfectoral en vigueur ({ref}).")
    low, high = RECOMMENDED_HABILITATIONS
    if not low <= len(site.habilitations) <= high:
        items.append(f"Liste des personnes habilitées à revoir : {len(site.habilitations)} "
                     f"nom(s), {low} à {high} recommandés.")
    if site.authorization.commissioning_notice_sent is None:
        items.append("Avant le premier enregistrement : informer le préfet de la date de mise "
                     "en service (REG-2).")
    if not site.dossier.siret:
        items.append("SIRET de la commune (rubrique 2 du Cerfa).")
    if site.dossier.contact is None:
        items.append("Personne à contacter pour la mise à disposition des images (rubrique 2).")
    if not site.dossier.installer_address:
        items.append("Adresse de l'installateur (rubrique 5).")
    items.append("Date, signature et cachet du maire (engagement, section 10).")
    return items


def build_prefecture(inv: Inventory, slug: str, when: date | None = None,
                     evidence: Path | None = None) -> Document:
    """The préfecture request of `slug`; BeffroiError (with findings) if the site is invalid.

    Claims about the deployed state come from the records of `evidence` (none: « non vérifié »).
    """
    day = when or today()
    site, dept, _findings = checked_site(inv, slug, day)
    ev = load_evidence(evidence)
    masks = sum(len(c.privacy_masks) for c in site.cameras)
    purposes_by_code = {p.code: p for p in site.authorization.purposes}
    context = {
        "title": f"Demande d'autorisation d'un système de vidéoprotection — {site.commune}",
        "site": site, "dept": dept, "cell": inv.crisis_cell, "today": day,
        "counts": camera_counts(site), "purposes_by_code": purposes_by_code,
        "cameras_by_purpose": cameras_by_purpose(site),
        "storage": storage_sizing(site), "link": link_load(site),
        "security": security_measures(inv, slug),
        "attachments": attachments(), "missing": missing_items(site),
        "placeholders": placeholder_fields(site),
        "recommended": RECOMMENDED_HABILITATIONS,
        "verifications": verifications(ev, masks),
        "masks_check": ev.device_check("camera", "CAM-5"),
        "services_check": ev.device_check("camera", "NET-3"),
        "firewall_check": ev.device_check("firewall"),
        "audio_or_analytics": any(c.audio or c.analytics for c in site.cameras),
        "legal_max_days": RETENTION_MAX_DAYS,  # RET-1
    }
    return render_document("prefecture", "prefecture.html.j2", context)
