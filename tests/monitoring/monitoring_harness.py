"""Real Prometheus and Alertmanager (Debian's binaries) on loopback, and a webhook receiver:
the peers of the monitoring tests and benchmark. Every process is stopped by its own id."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


def loopback_only(conf: Any) -> None:
    """Network safety: refuse a config that names any address outside 127.0.0.0/8."""
    text = json.dumps(conf)
    import re

    for ip in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text):
        assert ip.startswith("127."), f"{ip} is not loopback: nothing leaves this machine"


class Daemon:
    """A Prometheus-family daemon in its own session, killed by its process group id."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.argv, self.log = argv, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it; its output goes to `log`."""
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(self.argv, stdout=fh, stderr=fh, start_new_session=True)

    def stop(self) -> None:
        """SIGTERM its group, SIGKILL if it lingers."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


def prometheus(tmp: Path, conf: dict[str, Any], rules: dict[str, Any], port: int) -> Daemon:
    """Prometheus with `conf` (its rule file replaced by `rules`), listening on 127.0.0.1."""
    loopback_only(conf)
    (tmp / "rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
    conf = {**conf, "rule_files": [str(tmp / "rules.yml")]}
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(conf, sort_keys=False))
    return Daemon([PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}",
                   f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
                  tmp / "prometheus.log")


def alertmanager(tmp: Path, conf: dict[str, Any], port: int) -> Daemon:
    """Alertmanager with `conf`, listening on 127.0.0.1, no cluster gossip."""
    loopback_only(conf)
    (tmp / "alertmanager.yml").write_text(yaml.safe_dump(conf, sort_keys=False))
    return Daemon([ALERTMANAGER, f"--config.file={tmp / 'alertmanager.yml'}",
                   f"--storage.path={tmp / 'am'}", f"--web.listen-address=127.0.0.1:{port}",
                   "--cluster.listen-address="], tmp / "alertmanager.log")


def query(port: int, promql: str) -> list[dict[str, Any]]:
    """An instant query's result vector ([] while Prometheus is not up yet)."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.loads(resp.read())["data"]["result"]  # type: ignore[no-any-return]
    except OSError:
        return []


class WebhookReceiver(ThreadingHTTPServer):
    """Alertmanager's webhook target on loopback: keeps every notification it receives."""

    daemon_threads = True

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.notifications.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, args=(0.2,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """Where Alertmanager posts."""
        return f"http://127.0.0.1:{self.server_address[1]}/alerts"

    def alerts(self, name: str, status: str = "firing") -> list[dict[str, Any]]:
        """Alerts named `name` in `status` received so far."""
        return [a for n in self.notifications for a in n["alerts"]
                if a["labels"].get("alertname") == name and a["status"] == status]

    def close(self) -> None:
        """Stop receiving."""
        self.shutdown()
        self.server_close()


def wait_for(predicate: Any, timeout: float, interval: float = 0.5) -> Any:
    """Poll until truthy or timeout; the last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
