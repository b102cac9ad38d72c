"""What was actually verified on the deployed system, read from records, never assumed.

A dossier may state the deployed state only when a record says so. Records live in an evidence
directory (default `out/<slug>/evidence/`, or `--evidence DIR`):

- `drift.json`: the output of `beffroi drift --site <slug> --format json` (its `date` key, else
  the file's modification time, dates it);
- `deploy.json`: `{"date": "2026-11-20T10:00:00+00:00", "ok": true, "source": "…"}`, the last
  converge;
- `benchmarks.json`: measured figures, `{"date": …, "source": …, "figures": {key: number}}`.

Without a record the dossier says « prévu » / « non vérifié » / « non mesuré ».
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from beffroi.findings import BeffroiError

DRIFT_FILE, DEPLOY_FILE, BENCH_FILE = "drift.json", "deploy.json", "benchmarks.json"


def default_dir(slug: str) -> Path:
    """Where `beffroi dossier` looks for a site's records unless `--evidence` says otherwise."""
    return Path("out") / slug / "evidence"


@dataclass(frozen=True)
class Record:
    """One verification record: its file, its date, and what it says."""

    path: Path
    when: date
    data: dict[str, Any]


@dataclass(frozen=True)
class Check:
    """The verification status of one claim, with its source (or why there is none)."""

    verified: bool
    status: str          # « vérifié », « écart constaté », « non vérifié »
    source: str          # « beffroi drift, out/…/drift.json, 28 novembre 2026 » or « aucun relevé »


@dataclass
class Evidence:
    """The records found for one site (any may be missing)."""

    directory: Path | None = None
    drift: Record | None = None
    deploy: Record | None = None
    benchmarks: Record | None = None
    sources: list[str] = field(default_factory=list)

    def device_check(self, kind: str, rule: str | None = None) -> Check:
        """Whether drift found every device of `kind` matching its intent (`rule` at stake)."""
        from beffroi.dossiers.render import date_fr

        if self.drift is None:
            return Check(False, "non vérifié", "aucun relevé de dérive (beffroi drift)")
        devices = [d for d in self.drift.data.get("devices", []) if d.get("kind") == kind]
        src = f"beffroi drift, {self.drift.path}, {date_fr(self.drift.when)}"
        if not devices or any(d.get("status") in ("skipped", "unreachable") for d in devices):
            return Check(False, "non vérifié", src + " (équipement non audité)")
        if rule and any(rule in d.get("unverifiable", []) for d in devices):
            return Check(False, "non vérifié", src + f" ({rule} non lisible sur l'équipement)")
        if all(d.get("status") == "ok" for d in devices):
            return Check(True, "vérifié", src)
        return Check(False, "écart constaté", src)

    def deploy_check(self) -> Check:
        """Whether a converge of the site is recorded as successful."""
        from beffroi.dossiers.render import date_fr

        if self.deploy is None:
            return Check(False, "non vérifié", "aucun relevé de déploiement")
        src = f"déploiement, {self.deploy.path}, {date_fr(self.deploy.when)}"
        ok = self.deploy.data.get("ok") is True
        return Check(ok, "déployé" if ok else "échec du déploiement", src)

    def figure(self, key: str) -> float | None:
        """A measured figure of `benchmarks.json`, or None (« non mesuré »)."""
        if self.benchmarks is None:
            return None
        value = self.benchmarks.data.get("figures", {}).get(key)
        return float(value) if isinstance(value, int | float) else None


def _record(path: Path) -> Record | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BeffroiError(f"{path}: not a JSON verification record ({exc}); rewrite it with "
                           "`beffroi drift --format json > drift.json` or remove it") from None
    if not isinstance(data, dict):
        raise BeffroiError(f"{path}: a verification record is a JSON object")
    stamp = data.get("date")
    try:
        when = (datetime.fromisoformat(stamp).date() if isinstance(stamp, str)
                else datetime.fromtimestamp(path.stat().st_mtime, UTC).date())
    except ValueError:
        raise BeffroiError(f"{path}: `date` must be ISO 8601, e.g. 2026-11-28T10:00:00+00:00"
                           ) from None
    return Record(path, when, data)


def load_evidence(directory: Path | None) -> Evidence:
    """The records of `directory` (None or absent: no record, everything « non vérifié »)."""
    if directory is None or not directory.is_dir():
        return Evidence(directory)
    ev = Evidence(directory, _record(directory / DRIFT_FILE), _record(directory / DEPLOY_FILE),
                  _record(directory / BENCH_FILE))
    ev.sources = [str(r.path) for r in (ev.drift, ev.deploy, ev.benchmarks) if r is not None]
    return ev


@dataclass(frozen=True)
class Verification:
    """A claim about the deployed state and what verified it (or not)."""

    key: str
    claim: str
    check: Check


def verifications(ev: Evidence, masks: int) -> list[Verification]:
    """Every claim the site dossiers make about the deployed system, with its verification."""
    return [
        Verification("deploy", "La configuration a été appliquée aux équipements (déploiement)",
                     ev.deploy_check()),
        Verification("firewall", "Pare-feu et tunnel WireGuard conformes à la configuration "
                     "prévue (NET-1, NET-2)", ev.device_check("firewall")),
        Verification("nvr", "Enregistreur conforme (fichiers, services, journal)",
                     ev.device_check("nvr")),
        Verification("switch", "Commutateur conforme (VLAN, ports non utilisés fermés)",
                     ev.device_check("switch")),
        Verification("camera-masks", f"{masks} masque(s) de confidentialité relus sur les "
                     "caméras (CAM-5)", ev.device_check("camera", "CAM-5")),
        Verification("camera-services", "Comptes et services inutiles désactivés sur les "
                     "caméras (NET-3)", ev.device_check("camera", "NET-3")),
    ]


# Measured figures the compact and crisis-cell dossiers report (`benchmarks.json` → figures):
# key → (French label, unit, target as the issue states it).
MEASURES: dict[str, tuple[str, str, str]] = {
    "recorder.cpu_ratio": ("CPU de l'enregistreur ÷ ffmpeg seul", "", "≤ 1,05"),
    "recorder.pss_ratio": ("Mémoire par flux, enregistreur ÷ ffmpeg seul", "", "≤ 1,25"),
    "recorder.recorded_percent": ("Durée enregistrée ÷ durée écoulée", "%", "≥ 99,9 %"),
    "recorder.resume_s": ("Reprise après retour d'une caméra", "s", "≤ 2 s"),
    "recorder.loss_kill_s": ("Vidéo perdue sur arrêt brutal (kill -9)", "s", "≤ 2 s"),
    "drift.speedup": ("Audit de dérive : gain sur ansible --check", "", "≥ 5"),
    "relay.latency_s": ("Latence du relais en direct jusqu'à la cellule", "s", "—"),
    "drill.crisis_cell_s": ("Exercice : délai d'affichage d'une caméra à la cellule", "s", "—"),
}


@dataclass(frozen=True)
class Measure:
    """One measured figure (or None: « non mesuré ») and where it comes from."""

    key: str
    label: str
    unit: str
    target: str
    value: float | None
    source: str


def measures(ev: Evidence, keys: tuple[str, ...] = tuple(MEASURES)) -> list[Measure]:
    """The figures of `keys` from `benchmarks.json`, « non mesuré » when absent."""
    from beffroi.dossiers.render import date_fr

    src = (f"{ev.benchmarks.data.get('source', 'benchmarks')}, {ev.benchmarks.path}, "
           f"{date_fr(ev.benchmarks.when)}" if ev.benchmarks else "aucune mesure enregistrée")
    out = []
    for k in keys:
        label, unit, target = MEASURES[k]
        v = ev.figure(k)
        out.append(Measure(k, label, unit, target, v, src if v is not None else
                           "non mesuré"))
    return out
