"""Drift results as Prometheus series, for the department's monitoring host (DriftFailed,
DriftNotRun in beffroi/monitoring_rules.py; names in docs/monitoring.md).

Written as a node-exporter textfile (`--collector.textfile.directory`), atomically by
prometheus-client, one series per commune audited.
"""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from beffroi.drift.report import DeviceDrift, Status


def write_textfile(path: Path, results: list[DeviceDrift], now: float | None = None) -> None:
    """`beffroi_drift_in_sync{site}` (1: every audited device matches its intent, 0: a device
    drifted or could not be reached), `beffroi_drift_last_run_timestamp_seconds{site}`,
    `beffroi_drift_devices{site,status}`."""
    registry = CollectorRegistry()
    in_sync = Gauge("beffroi_drift_in_sync", "1 when every audited device of the commune "
                    "matches its intent", ["site"], registry=registry)
    last = Gauge("beffroi_drift_last_run_timestamp_seconds", "When drift last audited the "
                 "commune", ["site"], registry=registry)
    devices = Gauge("beffroi_drift_devices", "Devices of the commune by drift status",
                    ["site", "status"], registry=registry)
    stamp = time.time() if now is None else now
    for site in sorted({r.site for r in results}):
        mine = [r for r in results if r.site == site and r.status is not Status.SKIPPED]
        in_sync.labels(site).set(int(bool(mine) and all(r.status is Status.OK for r in mine)))
        last.labels(site).set(stamp)
        for status in Status:
            devices.labels(site, status.value).set(
                sum(r.status is status for r in results if r.site == site))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
