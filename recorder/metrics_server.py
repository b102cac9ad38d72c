"""The metrics-only listener ([metrics] listen): `/metrics` and nothing else — no account, no
video, no API route — so the department's monitoring can be let in by the firewall alone."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from recorder.metrics import Metrics


class _MetricsHandler(BaseHTTPRequestHandler):
    server: MetricsServer
    timeout = 10  # a scrape that does not finish its request line in 10 s is dropped

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self._send(404, b"only /metrics is served here\n", "text/plain; charset=utf-8")
            return
        self._send(200, self.server.metrics.render(), CONTENT_TYPE_LATEST)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return  # a scrape every 30 s is not worth a log line


class MetricsServer(ThreadingHTTPServer):
    """Serves one Metrics registry in a daemon thread."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], metrics: Metrics) -> None:
        super().__init__(address, _MetricsHandler)
        self.metrics = metrics
        self.thread = threading.Thread(target=self.serve_forever, args=(1.0,),
                                       name="metrics", daemon=True)

    def start(self) -> None:
        """Start serving."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
