"""The API's HTTP(S) server, bounded (issue 10 §4): a fixed number of connections (503 beyond,
no thread), a deadline for the whole request, the TLS handshake in the connection's thread under
that deadline, and an answer (JSON, 4xx) for every malformed request — never a dropped socket.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import queue
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from recorder.config import ApiLimits

log = logging.getLogger("recorder.api")
MAX_LINE = 65536
_BUSY_BODY = b'{"error": "too many connections, try again"}\n'
BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_BUSY_BODY), _BUSY_BODY))


class _DeadlineSocketIO(io.RawIOBase):
    """Reads from the socket until a deadline for the whole request, not per recv: a client
    trickling one byte at a time (slowloris) is cut off at the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = time.monotonic() + 1e9
        self.received = 0

    def start(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request deadline passed")
        self.sock.settimeout(remaining)
        n = self.sock.recv_into(buffer)
        self.received += n
        return n


class JsonErrorHandler(BaseHTTPRequestHandler):
    """Request handler whose every error answer is JSON with a status line, and whose request
    has one deadline; subclasses implement do_GET/do_POST."""

    limits: ApiLimits
    server_version = "beffroi-recorder"
    sys_version = ""
    error_content_type = "application/json; charset=utf-8"

    def setup(self) -> None:
        super().setup()
        self._raw = _DeadlineSocketIO(self.connection)
        self.rfile = io.BufferedReader(self._raw, 8192)

    def handle_one_request(self) -> None:
        """Like the stdlib's, with a whole-request deadline, 405 and 408 answers."""
        self._raw.start(self.limits.request_timeout_seconds)
        self.request_version = "HTTP/1.0"
        self.command = None  # type: ignore[assignment]  # set by parse_request, read by errors
        self.requestline = ""
        try:
            self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > MAX_LINE:
                self.send_error(414, "request line too long")
                return
            if not self.parse_request():
                return
            method = getattr(self, f"do_{self.command}", None)
            if method is None:
                self.send_error(405, f"method {self.command[:16]!r} not allowed")
                return
            self.connection.settimeout(self.limits.request_timeout_seconds)  # for writes
            method()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if self._raw.received:
                with contextlib.suppress(OSError):
                    self.connection.settimeout(1.0)
                    self.send_error(408, "request not received within "
                                    f"{self.limits.request_timeout_seconds:g} s")
        except (ConnectionError, ssl.SSLError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """A JSON error answer with a real status line (even for an HTTP/0.9-looking line)."""
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        body = (json.dumps({"error": message or self.responses.get(code, ("error",))[0]},
                           ensure_ascii=False) + "\n").encode()
        try:
            self.send_response(code, None)
            self.send_header("Content-Type", self.error_content_type)
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass


def _linger(sock: socket.socket, wait: float = 0.2) -> None:
    """Send FIN after the answer, then read what the client still sends (briefly): closing
    over unread bytes would reset the connection and the client could lose the answer."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(wait)
        end = time.monotonic() + 5 * wait
        while time.monotonic() < end and sock.recv(65536):
            pass


def _drain_ready(sock: socket.socket) -> None:
    """Read (and drop) what the client already sent, without waiting."""
    sock.setblocking(False)
    with contextlib.suppress(BlockingIOError, InterruptedError):
        while sock.recv(65536):
            pass


class BoundedHTTPServer(ThreadingHTTPServer):
    """At most `max_connections` connections (each its own thread), and at most
    `max_connections_per_address` from one address; TLS per connection."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[JsonErrorHandler],
                 limits: ApiLimits, tls: ssl.SSLContext | None) -> None:
        self.limits = limits
        self.tls = tls
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._refusals: queue.Queue[socket.socket | None] = queue.Queue(maxsize=128)
        threading.Thread(target=self._refuser, name="api-refuser", daemon=True).start()
        self._per_address: dict[str, int] = {}
        self._count_lock = threading.Lock()
        super().__init__(address, handler)

    def _take(self, host: str) -> bool:
        with self._count_lock:
            if self._per_address.get(host, 0) >= self.limits.max_connections_per_address:
                return False
            if not self._slots.acquire(blocking=False):
                return False
            self._per_address[host] = self._per_address.get(host, 0) + 1
            return True

    def _give_back(self, host: str) -> None:
        with self._count_lock:
            left = self._per_address.pop(host, 1) - 1
            if left > 0:
                self._per_address[host] = left
            self._slots.release()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._take(client_address[0]):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._give_back(client_address[0])
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._give_back(client_address[0])

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(self.limits.request_timeout_seconds)
        if self.tls is None:
            super().finish_request(request, client_address)
            _linger(request)
            return
        try:  # the handshake happens here, in the connection's thread, under the timeout
            conn = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            log.info("tls handshake failed", extra={"client": client_address[0],
                                                    "error": str(exc)[:200]})
            return
        try:
            super().finish_request(conn, client_address)
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("connection failed", extra={"client": client_address[0]})

    def _refuse(self, request: socket.socket) -> None:
        """Over the limit: a plain 503 by the one refusal thread (under TLS, or when even that
        thread is behind, an immediate close). No thread per refused connection."""
        if self.tls is None:
            with contextlib.suppress(queue.Full):
                self._refusals.put_nowait(request)
                return
        self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with contextlib.suppress(queue.Full):
            self._refusals.put_nowait(None)  # ends the refusal thread

    def _refuser(self) -> None:
        while (request := self._refusals.get()) is not None:
            try:  # never wait on a refused client: drain what arrived, answer, FIN, drain
                _drain_ready(request)
                request.settimeout(0.2)
                request.sendall(BUSY)
                request.shutdown(socket.SHUT_WR)
                _drain_ready(request)
            except OSError:
                pass
            finally:
                self.shutdown_request(request)
