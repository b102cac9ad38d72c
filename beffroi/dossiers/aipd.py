"""The AIPD (DPIA): always produced; measures and scores are computed from the model's
configuration, what was verified on the devices comes from the evidence records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from beffroi.dossiers.evidence import load_evidence, verifications
from beffroi.dossiers.facts import SecurityMeasures, security_measures, storage_sizing
from beffroi.dossiers.labels import RAID, RIGHT, RULE_TITLE_FR, label
from beffroi.dossiers.prefecture import cameras_by_purpose
from beffroi.dossiers.render import Document, checked_site, render_document
from beffroi.inventory import Inventory, today
from beffroi.model import Site
from recorder import legal

LEVELS = ("négligeable", "limitée", "importante", "maximale")  # CNIL PIA scale, 1..4


@dataclass(frozen=True)
class Step:
    """One reason moving a score, read from the model."""

    delta: int
    reason: str


@dataclass(frozen=True)
class Score:
    """A gravity or likelihood on the CNIL 1..4 scale, with the steps that computed it."""

    base: int
    base_reason: str
    steps: tuple[Step, ...]

    @property
    def value(self) -> int:
        """base + Σ deltas, kept within 1..4."""
        return max(1, min(4, self.base + sum(s.delta for s in self.steps)))

    @property
    def label(self) -> str:
        """The CNIL word for the level."""
        return LEVELS[self.value - 1]


def _steps(*pairs: tuple[bool, int, str]) -> tuple[Step, ...]:
    return tuple(Step(d, r) for cond, d, r in pairs if cond)


@dataclass(frozen=True)
class Risk:
    """A feared event, the measures the configuration takes, and its computed scores."""

    key: str
    event: str
    impact: str
    measures: tuple[str, ...]
    gravity: Score
    likelihood: Score


def risks(site: Site, sec: SecurityMeasures) -> list[Risk]:
    """The three CNIL feared events, each with measures taken from the actual configuration."""
    viewers = [h for h in site.habilitations if "playback" in h.rights or "export" in h.rights]
    live_only = [h for h in site.habilitations if h.rights == ["live"]]
    flows = sorted({f"{f.rule_id} ({RULE_TITLE_FR.get(f.rule_id, f.rule_id)})"
                    for f in sec.flows})
    masks = sum(len(c.privacy_masks) for c in site.cameras)
    cams = site.cameras
    highway = sum(c.public_highway for c in cams)
    sensing = any(c.audio or c.analytics for c in cams)
    zones = {z.id for c in cams for z in c.private_zones}
    st = site.nvr.storage
    recipients = site.authorization.recipients
    access_g = Score(2, "images de personnes identifiables", _steps(
        (highway > 0, 1, f"{highway} caméra(s) filment la voie publique : passants non avertis "
                         "individuellement"),
        (sensing, 1, "son ou analyse automatique déclarés (CAM-6)"),
        (bool(zones) and masks >= len(zones), 0, f"{len(zones)} zone(s) privée(s) couverte(s) "
                                                 "par des masques (CAM-5) : pas d'aggravation")))
    access_v = Score(4, "système joignable par des personnes et des réseaux", _steps(
        (not sec.wan_open_ports, -1, "aucun port ouvert en clair côté WAN ; seul le tunnel "
                                     "WireGuard chiffré entre (NET-2)"),
        (len(viewers) <= 4, -1, f"relecture et extraction limitées à {len(viewers)} compte(s) "
                                "nominatif(s) (ACC-1, ACC-2)"),
        (bool(recipients) and all(r.live_only for r in recipients), -1,
         "les destinataires extérieurs n'ont que le direct (ACC-4)"),
        (bool(sec.wan_open_ports), 1, "ports WAN ouverts en clair : "
         + ", ".join(map(str, sec.wan_open_ports))),
        (bool(recipients), 1, f"le direct est visible hors de la commune par "
                              f"{len(recipients)} service(s) destinataire(s), à la cellule de "
                              "crise")))
    change_g = Score(3, "une image modifiée perd sa valeur probante", ())
    change_v = Score(4, "fichiers modifiables par qui accède au serveur", _steps(
        (sec.journal_retention_days >= legal.JOURNAL_DEFAULT_DAYS, -1,
         f"journal chaîné et signé conservé {sec.journal_retention_days} jours (JRN-1, JRN-2)"),
        (len(sec.ntp_servers) >= legal.TIME_MIN_SOURCES, -1,
         f"horodatage sur {len(sec.ntp_servers)} sources NTP (TIME-1)"),
        (True, -1, "extraction avec manifeste signé, SHA-256 par fichier (EXP-1, EXP-2)")))
    gone_g = Score(3, "sans images, pas de réponse à une réquisition judiciaire", _steps(
        (site.authorization.retention_days <= 7, -1, "durée de conservation courte : l'enjeu "
                                                     "de chaque jour perdu est limité")))
    gone_v = Score(4, "panne de disque, coupure de courant, effacement", _steps(
        (st.disks >= 2 and st.raid != "none", -1, f"{st.disks} disques en "
                                                  f"{label(RAID, st.raid)}"),
        (site.nvr.ups.va >= 1000, -1, f"onduleur {site.nvr.ups.va} VA, arrêt propre à "
                                      f"{sec.ups_shutdown_percent} %"),
        (storage_sizing(site).ok, -1, "stockage dimensionné pour la durée déclarée (CAM-9) ; "
                                      "un enregistrement sous réquisition est gelé (RET-1)"),
        (st.raid == "none", 1, "aucune redondance des disques")))
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
              f"{masks} masque(s) de confidentialité programmé(s) dans la configuration des "
              "caméras — CAM-5."), access_g, access_v),
        Risk("unwanted-change", "Modification non désirée des images ou des traces",
             "perte de valeur probante, contestation des preuves",
             ("Registre et journal en ajout seul, chaînés par hachage et signés — REG-1, JRN-2.",
              f"Journal automatique de toute action (direct, relecture, extraction, purge, "
              f"configuration), conservé {sec.journal_retention_days} jours — JRN-1, JRN-2.",
              "Extraction bit à bit avec manifeste signé (SHA-256 par fichier) — EXP-1, EXP-2.",
              "Horodatage synchronisé sur " + ", ".join(sec.ntp_servers) + " — TIME-1."),
             change_g, change_v),
        Risk("disappearance", "Disparition des images",
             "impossibilité de répondre à une réquisition judiciaire",
             (f"Stockage {site.nvr.storage.capacity_gb} Go, {site.nvr.storage.disks} disques "
              f"({label(RAID, site.nvr.storage.raid)}) dimensionné pour la durée déclarée — CAM-9.",
              f"Onduleur {site.nvr.ups.va} VA, arrêt propre à "
              f"{sec.ups_shutdown_percent} % de batterie.",
              f"Effacement automatique après {site.authorization.retention_days} jours ; seule "
              "une réquisition judiciaire référencée suspend l'effacement — RET-1, RET-2."),
             gone_g, gone_v),
    ]


def build_aipd(inv: Inventory, slug: str, when: date | None = None,
               evidence: Path | None = None) -> Document:
    """The AIPD of `slug`; BeffroiError (with findings) if the site is invalid."""
    day = when or today()
    site, dept, _findings = checked_site(inv, slug, day)
    sec = security_measures(inv, slug)
    ev = load_evidence(evidence)
    masks = sum(len(c.privacy_masks) for c in site.cameras)
    context = {
        "title": f"Analyse d'impact relative à la protection des données (AIPD) — {site.commune}",
        "site": site, "dept": dept, "today": day, "security": sec,
        "cameras_by_purpose": cameras_by_purpose(site), "storage": storage_sizing(site),
        "risks": risks(site, sec),
        "audio_cameras": [c.name for c in site.cameras if c.audio],
        "analytics": sorted({a for c in site.cameras for a in c.analytics}),
        "masks": sum(len(c.privacy_masks) for c in site.cameras),
        "zones": sum(len(c.private_zones) for c in site.cameras),
        "levels": LEVELS, "cell": inv.crisis_cell,
        "verifications": verifications(ev, masks),
        "masks_check": ev.device_check("camera", "CAM-5"),
        "audio_or_analytics": any(c.audio or c.analytics for c in site.cameras),
    }
    return render_document("aipd", "aipd.html.j2", context)
