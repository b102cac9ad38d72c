"""Read one commune's recorder over the management path: /api/status with a status account
(role admin: status, never video — ACC-1/ACC-4) and /metrics (Prometheus text, no video)."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

TIMEOUT = 5.0


@dataclass(frozen=True)
class Account:
    """The monitoring credential (an account of role admin on every recorder)."""

    user: str
    password: str

    def header(self) -> str:
        """HTTP Basic header value."""
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()


@dataclass
class Reading:
    """What a recorder exposed, or why it could not be read."""

    status: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = field(default_factory=dict)
    error: str = ""

    def value(self, name: str, **labels: str) -> float | None:
        """One sample of a metric (labels must match exactly the given subset)."""
        for key, val in self.samples.get(name, {}).items():
            if all((k, v) in key for k, v in labels.items()):
                return val
        return None

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """Samples of a metric keyed by one label's value."""
        return {dict(key)[label]: val for key, val in self.samples.get(name, {}).items()
                if label in dict(key)}


def _get(url: str, account: Account | None, tls: ssl.SSLContext | None) -> bytes:
    req = urllib.request.Request(url)
    if account is not None:
        req.add_header("Authorization", account.header())
    with urllib.request.urlopen(req, timeout=TIMEOUT, context=tls) as resp:
        data: bytes = resp.read()
        return data


def parse_metrics(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Prometheus text exposition → {sample name: {sorted labels: value}}."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def read_recorder(base: str, account: Account, tls: ssl.SSLContext | None = None) -> Reading:
    """GET /api/status (account) and /metrics of the recorder at `base`."""
    try:
        status = json.loads(_get(f"{base}/api/status", account, tls))
        metrics = _get(f"{base}/metrics", None, tls).decode()
    except urllib.error.HTTPError as exc:
        reason = {401: "the status account is refused (ACC-1: check its password)",
                  403: "the status account may not read the status"}.get(exc.code, exc.reason)
        return Reading(error=f"HTTP {exc.code}: {reason}")
    except (OSError, ValueError) as exc:
        return Reading(error=f"unreachable: {getattr(exc, 'reason', exc)}")
    return Reading(status=status, samples=parse_metrics(metrics))


def read_handshakes(url: str, tls: ssl.SSLContext | None = None) -> dict[str, float]:
    """Latest WireGuard handshakes (Unix time) by peer public key, from a Prometheus text
    endpoint in prometheus-wireguard-exporter's names; {} when unreadable."""
    try:
        samples = parse_metrics(_get(url, None, tls).decode())
    except (OSError, ValueError):
        return {}
    out = {}
    for key, val in samples.get("wireguard_latest_handshake_seconds", {}).items():
        labels = dict(key)
        out[labels.get("public_key", "")] = val
    return out
