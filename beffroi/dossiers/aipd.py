"""The AIPD (DPIA) skeleton: always produced; measures are read from the deployed configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from beffroi.dossiers.facts import SecurityMeasures, security_measures, storage_sizing
from beffroi.dossiers.labels import RAID, RIGHT, RULE_TITLE_FR, label
from beffroi.dossiers.prefecture import cameras_by_purpose
from beffroi.dossiers.render import Document, checked_site, render_document
from beffroi.inventory import Inventory, today
from beffroi.model import Site


@dataclass(frozen=True)
class Risk:
    """A feared event and the measures the configuration takes against it."""

    key: str
    event: str
    impact: str
    measures: tuple[str, ...]


def risks(site: Site, sec: SecurityMeasures) -> list[Risk]:
    """The three CNIL feared events, each with measures taken from the actual configuration."""
    viewers = [h for h in site.habilitations if "playback" in h.rights or "export" in h.rights]
    live_only = [h for h in site.habilitations if h.rights == ["live"]]
    flows = sorted({f"{f.rule_id} ({RULE_TITLE_FR.get(f.rule_id, f.rule_id)})"
                    for f in sec.flows})
    masks = sum(len(c.privacy_masks) for c in site.cameras)
    return [
        Risk("illegitimate-access", "Accès illégitime aux images",
             "atteinte à la vie privée des personnes filmées",
             (f"Comptes individuels nominatifs : {len(site.habilitations)} personne(s) ; "
              f"relecture/extraction réservées à {len(viewers)} personne(s) "
              f"({', '.join(h.name for h in viewers)}) — ACC-1, ACC-2.",
              f"{len(live_only)} agent(s) destinataire(s) en « {RIGHT['live']} » uniquement, "
              "sans accès aux enregistrements — ACC-3, ACC-4.",
              "Pare-feu à politique de rejet par défaut ; flux autorisés : " + ", ".join(flows)
              + ".",
              f"Tunnel WireGuard chiffré et authentifié vers {sec.hub_endpoint} — NET-2 ; ports "
              "WAN en clair : " + (", ".join(str(p) for p in sec.wan_open_ports) or "aucun")
              + ".",
              f"{masks} masque(s) de confidentialité programmé(s) sur les caméras — CAM-5.")),
        Risk("unwanted-change", "Modification non désirée des images ou des traces",
             "perte de valeur probante, contestation des preuves",
             ("Registre et journal en ajout seul, chaînés par hachage et signés — REG-1, JRN-2.",
              f"Journal automatique de toute action (direct, relecture, extraction, purge, "
              f"configuration), conservé {sec.journal_retention_days} jours — JRN-1, JRN-2.",
              "Extraction bit à bit avec manifeste signé (SHA-256 par fichier) — EXP-1, EXP-2.",
              "Horodatage synchronisé sur " + ", ".join(sec.ntp_servers) + " — TIME-1.")),
        Risk("disappearance", "Disparition des images",
             "impossibilité de répondre à une réquisition judiciaire",
             (f"Stockage {site.nvr.storage.capacity_gb} Go, {site.nvr.storage.disks} disques "
              f"({label(RAID, site.nvr.storage.raid)}) dimensionné pour la durée déclarée — CAM-9.",
              f"Onduleur {site.nvr.ups.va} VA, arrêt propre à "
              f"{sec.ups_shutdown_percent} % de batterie.",
              f"Effacement automatique après {site.authorization.retention_days} jours ; seule "
              "une réquisition judiciaire référencée suspend l'effacement — RET-1, RET-2.")),
    ]


def build_aipd(inv: Inventory, slug: str, when: date | None = None) -> Document:
    """The AIPD skeleton of `slug`; BeffroiError (with findings) if the site is invalid."""
    day = when or today()
    site, dept, _findings = checked_site(inv, slug, day)
    sec = security_measures(inv, slug)
    context = {
        "title": f"Analyse d'impact relative à la protection des données (AIPD) — {site.commune}",
        "site": site, "dept": dept, "today": day, "security": sec,
        "cameras_by_purpose": cameras_by_purpose(site), "storage": storage_sizing(site),
        "risks": risks(site, sec),
        "audio_cameras": [c.name for c in site.cameras if c.audio],
        "analytics": sorted({a for c in site.cameras for a in c.analytics}),
        "masks": sum(len(c.privacy_masks) for c in site.cameras),
        "zones": sum(len(c.private_zones) for c in site.cameras),
    }
    return render_document("aipd", "aipd.html.j2", context)
