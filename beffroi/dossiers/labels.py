"""French wording of the model's enumerations (the dossiers' readers are French authorities)."""

from __future__ import annotations

from beffroi.compliance import RULES

REQUEST_TYPE = {"initial": "Demande initiale", "renewal": "Demande de renouvellement",
                "modification": "Demande de modification"}
CONTROLLER_KIND = {"commune": "Commune", "epci": "EPCI", "private": "Personne privée"}
REGIME = {"directive_2016_680": "Directive (UE) 2016/680 « police-justice »",
          "rgpd": "RGPD (règlement (UE) 2016/679)"}
ROLE = {"maire": "Maire", "adjoint": "Adjoint(e) titulaire d'une délégation de police",
        "live": "Agent destinataire (visionnage en direct)", "admin": "Administrateur technique"}
RIGHT = {"live": "direct", "playback": "relecture", "export": "extraction"}
RECIPIENT_KIND = {"sdis": "SDIS", "police_nationale": "Police nationale",
                  "gendarmerie": "Gendarmerie nationale", "douanes": "Douanes",
                  "police_municipale": "Police municipale", "other": "Autre service"}
CAMERA_ROLE = {"narrow": "plan étroit", "context": "plan de contexte"}
PLACEMENT = {"outdoor": "extérieure", "indoor": "intérieure"}
NIGHT_MODE = {"ir": "infrarouge", "low_light": "faible luminosité",
              "site_lighting": "éclairage du site", "none": "aucun"}
LINK_KIND = {"fibre": "fibre optique", "copper": "cuivre", "wireless": "liaison radio"}
RAID = {"none": "sans redondance", "raid1": "RAID 1 (miroir)", "raid5": "RAID 5",
        "raid6": "RAID 6"}
PER = {"site": "par commune", "camera": "par caméra"}

# Why a French title per rule id: the catalogue's titles are English, the dossiers are not.
RULE_TITLE_FR = {
    "NET-1": "Réseau vidéo dédié et isolé",
    "NET-2": "Flux sortants chiffrés et authentifiés",
    "NET-3": "Administration restreinte, services inutiles désactivés",
    "TIME-1": "Synchronisation horaire (horodatage des images)",
    "ACC-2": "Accès de la commune sous la responsabilité du maire",
    "ACC-4": "Cellule de crise : direct uniquement",
}


INTERNAL_SOURCES = ("seed",)


def label(table: dict[str, str], key: str | None) -> str:
    """The French label of an enumeration value (the raw value when unknown)."""
    if key is None:
        return "non renseigné"
    return table.get(key, key)


def rights(values: list[str]) -> str:
    """'live, playback' → 'direct, relecture'."""
    return ", ".join(RIGHT.get(v, v) for v in values) or "aucun"


def rule_citation(rule_id: str) -> str:
    """'CAM-9' → 'CAM-9 (Arrêté du 3 août 2007 annexe 1 §3)'."""
    rule = RULES.get(rule_id)
    if rule is None:
        return rule_id
    # Why filter: the catalogue also cites the project's own seed, which means nothing to a
    # préfecture; a dossier cites only law, regulation and standards.
    public = [c.strip() for c in rule.citation.split(";") if not c.strip().lower().startswith(
        INTERNAL_SOURCES)]
    return f"{rule_id} ({'; '.join(public)})" if public else rule_id


def purpose_code(code: int) -> str:
    """8 → '8°' (item of CSI L251-2)."""
    return f"{code}°"
