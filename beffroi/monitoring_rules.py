"""The alert rules Beffroi ships to the department's Prometheus, as data (rendered once by the
intent into `rules.yml`). Every expression reads a metric the recorder exports
(`recorder/metrics.py`), Prometheus' own `up`, or the monitoring host's textfiles; no Go
template in an annotation (the labels site/camera name the fault)."""

from __future__ import annotations

from typing import Any

from beffroi.model.monitoring import Thresholds

RECORDER_LABEL = 'beffroi="recorder"'  # the label every NVR target carries (prometheus.yml)
# Which alert silences which while it fires, for the same site (Alertmanager inhibit_rules).
INHIBITS = {
    "TunnelDown": ["RecorderDown", "CameraDown", "NoRecentSegment", "ClockUnsynchronised",
                   "DiskHeadroomLow", "DiskOnlyHeldVideo"],
    "RecorderDown": ["CameraDown", "NoRecentSegment", "ClockUnsynchronised", "DiskHeadroomLow"],
    "CameraDown": ["NoRecentSegment"],
}


def _alert(name: str, expr: str, for_s: int, severity: str, rule: str, summary: str
           ) -> dict[str, Any]:
    return {"alert": name, "expr": expr, "for": f"{for_s}s",
            "labels": {"severity": severity, "rule": rule},
            "annotations": {"summary": summary}}


def alert_rules(t: Thresholds) -> dict[str, Any]:
    """`rules.yml` as data: one group evaluated at every scrape."""
    rules = [
        _alert("RecorderDown", f"up{{{RECORDER_LABEL}}} == 0", t.recorder_down_seconds,
               "critical", "ENG-MONITORING", "L'enregistreur ne répond plus (service arrêté ou NVR "
               "hors tension) : plus aucun enregistrement n'est garanti"),
        _alert("TunnelDown",
               'time() - beffroi_wireguard_latest_handshake_timestamp_seconds{site!=""}'
               f" > {t.tunnel_handshake_seconds}", 60, "critical", "NET-2",
               "Le tunnel WireGuard de la supervision vers la commune est tombé"),
        _alert("CameraDown", 'recorder_camera_state{state="recording"} == 0',
               t.camera_down_seconds, "critical", "ENG-MONITORING",
               "Une caméra n'est plus enregistrée (flux perdu, reconnexion en cours)"),
        _alert("NoRecentSegment", f"recorder_last_segment_age_seconds > {t.no_segment_seconds}",
               60, "critical", "ENG-MONITORING",
               f"Aucun segment enregistré depuis plus de {t.no_segment_seconds} s"),
        _alert("DiskHeadroomLow", f"recorder_disk_free_percent < {t.disk_free_percent:g}", 600,
               "warning", "CAM-9", f"Moins de {t.disk_free_percent:g} % d'espace libre sur "
               "le stockage vidéo"),
        _alert("DiskOnlyHeldVideo", "recorder_disk_alarm == 1 or recorder_purge_refused == 1",
               60, "critical", "RET-2", "La purge est arrêtée : disque plein de vidéos sous "
               "scellé, ou purge refusée (plus de max_purge_share à détruire)"),
        _alert("ClockUnsynchronised", "recorder_clock_synchronised == 0",
               t.clock_unsynchronised_seconds, "critical", "TIME-1",
               "L'horloge de l'enregistreur n'est pas synchronisée : les segments ne sont plus "
               "marqués valides (TIME-1)"),
        _alert("DriftFailed", "beffroi_drift_in_sync == 0", 0, "warning", "NET-1",
               "beffroi drift a trouvé un écart entre l'intention et un équipement"),
        _alert("DriftNotRun",
               "time() - beffroi_drift_last_run_timestamp_seconds"
               f" > {t.drift_max_age_hours * 3600}",
               0, "warning", "NET-1",
               f"beffroi drift n'a pas tourné depuis plus de {t.drift_max_age_hours} h"),
    ]
    return {"groups": [{"name": "beffroi", "rules": rules}]}


def alert_names() -> list[str]:
    """Every alert the rules define (for tests and docs)."""
    return [r["alert"] for r in alert_rules(Thresholds())["groups"][0]["rules"]]
