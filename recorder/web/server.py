"""The console's HTTP(S) server: uvicorn's h11 protocol, bounded as issue 10 §4 asks.

A fixed number of connections (503 beyond, and at most a few per address), one deadline for the
whole request (slowloris gets a 408), the TLS handshake under that deadline, and a JSON 4xx for
every request h11 cannot parse — never a dropped socket. Runs in a thread with its own event
loop, so the recorder's threads (supervisors, purge, checkpoint) stay as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from recorder.config import ApiLimits

log = logging.getLogger("recorder.api")
_BUSY_BODY = b'{"error": "too many connections, try again"}\n'
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_BUSY_BODY), _BUSY_BODY))
LINGER_SECONDS = 1.0  # after an error answer, read what the client still sends, then close
MAX_LINE = 65536  # request line and each header block, as the stdlib server allowed


def _json_answer(status: int, reason: str, message: str) -> bytes:
    body = (json.dumps({"error": message}, ensure_ascii=False) + "\n").encode()
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


class Slots:
    """Connection counters shared by every connection of one server."""

    def __init__(self, limits: ApiLimits) -> None:
        self.limits = limits
        self.total = 0
        self.per_address: dict[str, int] = {}

    def take(self, host: str) -> bool:
        """Count a new connection; False when a limit is reached (the event loop is the lock)."""
        if self.total >= self.limits.max_connections:
            return False
        if self.per_address.get(host, 0) >= self.limits.max_connections_per_address:
            return False
        self.total += 1
        self.per_address[host] = self.per_address.get(host, 0) + 1
        return True

    def give_back(self, host: str) -> None:
        """Release a connection's slot."""
        self.total -= 1
        left = self.per_address.pop(host, 1) - 1
        if left > 0:
            self.per_address[host] = left


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with slots, a whole-request deadline and JSON error answers."""

    slots: Slots  # set on the per-server subclass (make_protocol)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        self._host = str(peer[0]) if peer else "?"
        self._refused = not self.slots.take(self._host)
        self._counted = not self._refused
        self._deadline: asyncio.TimerHandle | None = None
        self._received = 0
        self._lingering = False
        self._eof = False
        if self._refused:
            self.transport = transport
            self._answer_and_linger(BUSY)
            return
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        if self._counted:
            self._counted = False
            self.slots.give_back(self._host)
        if self._refused:
            return
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused or self._lingering:
            return  # drained: the answer is already sent
        self._received += len(data)
        super().data_received(data)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """A client that half-closes after its request still gets the answer (keep the
        transport open until it is sent)."""
        self._eof = True
        if self._refused or self._lingering or self.cycle is None or self.cycle.response_complete:
            self.transport.close()
            return None
        # asyncio's TLS transport shuts down on EOF whatever we return (and warns on True)
        return None if self.scheme == "https" else True

    def handle_events(self) -> None:
        """Like uvicorn's, but the deadline stops once the whole request is in."""
        super().handle_events()
        if self.cycle is not None and not self.cycle.more_body and self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._eof:
            self.transport.close()
        elif not self.transport.is_closing():
            self._received = 0
            self._arm_deadline()  # the next request on this connection has its own deadline

    def _arm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.slots.limits.request_timeout_seconds,
                                              self._deadline_passed)

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.more_body:
            return  # the request is in; the answer (a video stream, say) may take its time
        if not self._received:
            self.transport.close()  # idle keep-alive or silent client: nothing to answer
            return
        seconds = f"{self.slots.limits.request_timeout_seconds:g}"
        self._answer_and_linger(_json_answer(408, "Request Timeout",
                                             f"request not received within {seconds} s"))

    def send_400_response(self, msg: str) -> None:
        """h11 could not parse the request: a JSON 400 (the stdlib server's 4xx, same shape)."""
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            self._answer_and_linger(_json_answer(400, "Bad Request",
                                                 "malformed HTTP request: " + msg))
        else:
            self.transport.close()

    def _answer_and_linger(self, answer: bytes) -> None:
        """Send the answer, FIN, then drop what the client still sends for a moment: closing
        over unread bytes would reset the connection and the client could lose the answer."""
        self._lingering = True
        if self.cycle is not None:
            self.cycle.disconnected = True
        self.transport.write(answer)
        if self.transport.can_write_eof():
            with contextlib.suppress(OSError, RuntimeError):
                self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def make_protocol(limits: ApiLimits) -> type[BoundedH11Protocol]:
    """A protocol class bound to one server's connection slots."""
    return type("ServerProtocol", (BoundedH11Protocol,), {"slots": Slots(limits)})


class ApiServer:
    """The bound listening socket and the uvicorn server behind it.

    serve_forever() runs the event loop in the calling thread; shutdown() stops it from
    another thread and waits; server_close() releases the socket (same calls as the stdlib
    server had, for the service and the tests)."""

    def __init__(self, app: Any, address: tuple[str, int], limits: ApiLimits,
                 tls: ssl.SSLContext | None,
                 on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        self.limits = limits
        self.on_stop = on_stop
        self.tls = tls
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(address)
        self.socket.listen(128)
        self.socket.setblocking(False)
        self.config = uvicorn.Config(
            app, http=make_protocol(limits), lifespan="off", ws="none", log_config=None,
            access_log=False, server_header=False, proxy_headers=False,
            h11_max_incomplete_event_size=MAX_LINE,
            timeout_keep_alive=max(1, int(limits.request_timeout_seconds)),
            timeout_graceful_shutdown=5)
        self.config.load()
        self.state = ServerState()
        self.stop_requested = threading.Event()
        self.stopped = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until shutdown() (poll_interval: how often the stop request is looked at)."""
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._serve(poll_interval))
        finally:
            self.loop.close()
            self.stopped.set()

    async def _serve(self, poll_interval: float) -> None:
        loop = asyncio.get_running_loop()
        proto = self.config.http_protocol_class

        def create() -> asyncio.Protocol:
            return proto(config=self.config, server_state=self.state,  # type: ignore[call-arg]
                         app_state={}, _loop=loop)

        server = await loop.create_server(
            create, sock=self.socket, ssl=self.tls, backlog=128,
            ssl_handshake_timeout=self.limits.request_timeout_seconds if self.tls else None)
        while not self.stop_requested.is_set():
            self.state.default_headers = []
            await asyncio.sleep(min(poll_interval, 0.5))
        server.close()
        for conn in list(self.state.connections):
            conn.shutdown()
        for _ in range(50):  # give running answers up to 5 s
            if not self.state.tasks:
                break
            await asyncio.sleep(0.1)
        for task in list(self.state.tasks):
            task.cancel()
        if self.on_stop is not None:
            await self.on_stop()  # e.g. the live pulls' ffmpeg processes
        await asyncio.sleep(0)

    def shutdown(self) -> None:
        """Stop serving and wait for the loop to finish."""
        self.stop_requested.set()
        if self.loop is not None:
            self.stopped.wait(15)

    def server_close(self) -> None:
        """Release the listening socket."""
        with contextlib.suppress(OSError):
            self.socket.close()
