"""The relay's counters (probes, live views, refusals), shared with the API's /metrics.

The relay is a process of its own (GStreamer): it rewrites a small JSON file in state_dir after
each event and the recorder's metrics read it at scrape time. Health probes are counted here and
never journaled as live views (issue 12: a probe per minute is not a person watching).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

FILE_NAME = "relay-counters.json"
KINDS = {"probes": "Health probes of a live mount (not journaled as views)",
         "live_views": "Live views started (each journaled with the person's id)",
         "refused": "Viewers refused (bad credentials, token, camera list or role)"}


class RelayCounters:
    """Counters of the running relay, persisted to `state_dir/relay-counters.json`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME
        self._lock = threading.Lock()
        self.counts: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            for kind in KINDS:
                self.counts[kind].update({str(c): int(n) for c, n in saved.get(kind, {}).items()})
        except (OSError, ValueError, AttributeError):
            pass  # a fresh or unreadable file: counters start at zero (Prometheus handles resets)

    def add(self, kind: str, camera: str) -> None:
        """Count one event of `kind` on `camera` and persist the counters."""
        with self._lock:
            per = self.counts[kind]
            per[camera] = per.get(camera, 0) + 1
            tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}")
            tmp.write_text(json.dumps(self.counts, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)


class RelayCollector(Collector):
    """Exposes the relay's counters file as `recorder_relay_<kind>_total{camera}`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME

    def collect(self) -> Iterator[CounterMetricFamily]:
        """One counter family per kind, read from the relay's file (empty when absent)."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        for kind, doc in KINDS.items():
            family = CounterMetricFamily(f"recorder_relay_{kind}", doc, labels=["camera"])
            for camera, n in sorted((saved.get(kind) or {}).items()):
                family.add_metric([str(camera)], float(n))
            yield family
