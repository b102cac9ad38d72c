"""Real receivers for the event channels, all bound to 127.0.0.1 and stopped by their owner:
a webhook HTTP server that checks the Ed25519 signature, aiosmtpd (SMTP), an RFC 5424 syslog
receiver (octet-counting framing, RFC 6587), Debian's mosquitto broker with a paho subscriber.
Also `events_config`, which appends an [events] table to a recorder config."""

from __future__ import annotations

import base64
import json
import re
import socket
import socketserver
import subprocess
import threading
import time
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from recorder_harness import free_port

from beffroi.escaping import to_toml


def events_config(config: Path, routes: list[dict[str, Any]], **table: Any) -> Path:
    """Append `[events]` (serialized by Beffroi's own TOML writer) to a recorder config."""
    events = {"poll_seconds": 0.2, "down_after_seconds": 2.0, "retry_initial_seconds": 0.5,
              "retry_max_seconds": 4.0, "tamper": False, **table, "routes": routes}
    with open(config, "a", encoding="utf-8") as fh:
        fh.write("\n" + to_toml({"events": events}))
    return config


def route(rid: str, kind: str, channel: dict[str, Any], kinds: list[str],
          **extra: Any) -> dict[str, Any]:
    """One [[events.routes]] entry."""
    return {"id": rid, "partner": rid.upper(), "partner_kind": kind, "kinds": kinds,
            "channel": channel, **extra}


class WebhookReceiver:
    """Records each POST (JSON body, headers) and whether its signature verifies."""

    def __init__(self, port: int | None = None, public_pem: str | None = None,
                 status: int = 200) -> None:
        self.port = port or free_port()
        self.public_pem = public_pem
        self.status = status
        self.posts: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The URL routes post to (http on loopback only: check-config refuses it elsewhere)."""
        return f"http://127.0.0.1:{self.port}/alerts"

    def start(self) -> WebhookReceiver:
        """Listen (again, on the same port)."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner._record(dict(self.headers.items()), body, time.time())
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def _record(self, headers: dict[str, str], body: bytes, at: float) -> None:
        verified = None
        if self.public_pem is not None:
            from recorder import keys
            from recorder.events.channels import signature_base
            sig = headers.get("X-Beffroi-Signature", "").removeprefix("ed25519=")
            pub = keys.load_public_pem(self.public_pem)
            verified = keys.verify_b64(pub, signature_base(
                headers.get("X-Beffroi-Timestamp", ""), body), sig)
        self.posts.append({"headers": headers, "body": json.loads(body), "at": at,
                           "verified": verified})

    def stop(self) -> None:
        """Stop listening (the endpoint is dead)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        """Every event received, in order."""
        return [e for p in self.posts for e in p["body"]["events"]]


class SmtpSink:
    """aiosmtpd 1.4.6 on loopback, keeping every message."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.arrivals: list[float] = []

    def start(self) -> None:
        """Serve SMTP."""
        from aiosmtpd.controller import Controller

        owner = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                owner.messages.append(message_from_bytes(envelope.content))
                owner.arrivals.append(time.time())
                return "250 OK"

        self._ctl = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._ctl.start()

    def stop(self) -> None:
        """Stop the server."""
        self._ctl.stop()

    def events(self) -> list[dict[str, Any]]:
        """Events of the JSON attachments, in order."""
        out = []
        for msg in self.messages:
            for part in msg.walk():
                if part.get_content_type() == "application/json":
                    payload = part.get_payload(decode=True)
                    assert isinstance(payload, bytes)
                    out += json.loads(payload)["events"]
        return out


# RFC 5424 §6: HEADER SP STRUCTURED-DATA [SP MSG]
SYSLOG_LINE = re.compile(
    rb"^<(?P<pri>[0-9]{1,3})>1 (?P<ts>[0-9T:.\-]+Z) (?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) "
    rb"(?P<proc>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) (?P<sd>\[(?:[^\]\\]|\\.)*\]) "
    rb"(?P<msg>\xef\xbb\xbf.*)\Z", re.S)
SD_PARAM = re.compile(r'([a-z_]+)="((?:[^"\\\]]|\\.)*)"')


class SyslogReceiver:
    """Parses octet-counted RFC 5424 frames from TCP connections; keeps each as a dict."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lines: list[dict[str, Any]] = []
        self.rejected: list[bytes] = []

    def start(self) -> None:
        """Listen."""
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                data = self.rfile.read()
                while data:
                    size, _, rest = data.partition(b" ")
                    frame, data = rest[:int(size)], rest[int(size):]
                    owner._parse(frame)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def _parse(self, frame: bytes) -> None:
        m = SYSLOG_LINE.match(frame)
        if m is None:
            self.rejected.append(frame)
            return
        sd = m["sd"].decode()
        params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in SD_PARAM.findall(sd)}
        self.lines.append({"pri": int(m["pri"]), "msgid": m["msgid"].decode(), "sd": params,
                           "msg": m["msg"][3:].decode(), "at": time.time()})

    def stop(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


class Mosquitto:
    """Debian's mosquitto on its own loopback port and config (the system service untouched),
    with one paho subscriber on `#`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.messages: list[tuple[str, dict[str, Any], float]] = []
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the broker, then subscribe."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                        "persistence false\nlog_dest stderr\n")
        self.proc = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not start") from None
                time.sleep(0.05)
        self.sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-subscriber")
        subscribed = threading.Event()
        self.sub.on_message = lambda c, u, msg: self.messages.append(
            (msg.topic, json.loads(msg.payload), time.time()))
        self.sub.on_subscribe = lambda *a: subscribed.set()
        self.sub.on_connect = lambda c, u, f, rc, p: c.subscribe("#", qos=1)
        self.sub.connect("127.0.0.1", self.port)
        self.sub.loop_start()
        assert subscribed.wait(10), "subscriber not subscribed"

    def stop(self) -> None:
        """Stop the subscriber and the broker (by its own pid)."""
        self.sub.loop_stop()
        self.sub.disconnect()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def events(self) -> list[dict[str, Any]]:
        """Events received, in order."""
        return [e for _t, body, _at in self.messages for e in body["events"]]


def b64(data: bytes) -> str:
    """Base64 text."""
    return base64.b64encode(data).decode()
