"""The four channels a route can use. Each `send` delivers one message (one event, or a group)
and raises DeliveryError when the far end did not take it; the dispatcher retries.

- webhook: JSON POST signed with the NVR's Ed25519 key (vaulted: `nvr_signing_key`) —
  header `X-Beffroi-Signature: ed25519=<base64>` over `TIMESTAMP.BODY`; verify with the
  NVR's public key (`X-Beffroi-Key` is its fingerprint)
- email: SMTP (STARTTLS when `tls`), plain text + the JSON, headers built by the e-mail library
- syslog: RFC 5424 over TCP with octet-counting framing (RFC 6587), TLS (RFC 5425) when `tls`
- mqtt: paho-mqtt, QoS 1, topic PREFIX/SITE/KIND, one JSON message; waits for PUBACK
Free text (an operator's comment) is data: the serializer of each target escapes it (JSON,
MIME, SD-PARAM escaping of RFC 5424 §6.3.3).
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from recorder import keys, timeutil
from recorder.events.event import Event, as_dict
from recorder.schema import EventRoute

TIMEOUT = 5.0
SD_ID = "beffroi@32473"  # 32473: the enterprise number RFC 5612 reserves for documentation
FACILITY_LOCAL0 = 16


class DeliveryError(Exception):
    """The far end did not take the message (retry later)."""


def payload(route: EventRoute, site: str, events: list[Event], links: dict[str, str],
            dropped: int = 0) -> dict[str, Any]:
    """The message body every channel carries: the events, and for this route the live links
    it may have (ACC-3)."""
    return {"delivery": {"route": route.id, "partner": route.partner, "site": site,
                         "grouped": len(events) > 1, "count": len(events),
                         "sent": timeutil.iso(time.time())},
            "events": [as_dict(e) for e in events], "live_links": links}


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


def signature_base(timestamp: str, body: bytes) -> bytes:
    """What the webhook signature covers (a replayed body with a new time fails)."""
    return timestamp.encode() + b"." + body


def send_webhook(route: EventRoute, data: dict[str, Any], key: Ed25519PrivateKey) -> None:
    """POST the JSON, signed; 2xx is delivered."""
    body = _body(data)
    stamp = str(int(time.time()))
    req = urllib.request.Request(route.channel.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "beffroi-recorder",
        "X-Beffroi-Timestamp": stamp,
        "X-Beffroi-Signature": "ed25519=" + keys.sign_b64(key, signature_base(stamp, body)),
        "X-Beffroi-Key": keys.fingerprint(key.public_key())})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT,
                                    context=ssl.create_default_context()) as resp:
            if not 200 <= resp.status < 300:
                raise DeliveryError(f"webhook answered HTTP {resp.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"webhook: {exc}") from None


def _subject(site: str, events: list[Event]) -> str:
    first = events[0]
    if len(events) > 1:
        kinds = sorted({e.kind for e in events})
        return f"[Beffroi {site}] {len(events)} événements : {', '.join(kinds)}"
    cam = f" {first.source.camera}" if first.source.camera else ""
    state = "" if first.data.active else " (fin)"
    return f"[Beffroi {site}] {first.kind}{cam}{state}"


def send_email(route: EventRoute, data: dict[str, Any], site: str, events: list[Event]) -> None:
    """One e-mail per message; the SMTP server's 250 is delivered."""
    ch = route.channel
    msg = EmailMessage()
    msg["From"] = ch.sender
    msg["To"] = ", ".join(ch.to)
    msg["Subject"] = _subject(site, events)
    msg["X-Beffroi-Events"] = " ".join(e.id for e in events)
    lines = [f"{e.utc_time} {e.kind} {e.source.camera or ''} — {e.data.message}"
             + (f" — « {e.data.comment} »" if e.data.comment else "")
             + (f"\n  direct : {data['live_links'][e.id]}" if e.id in data["live_links"] else "")
             for e in events]
    msg.set_content("\n".join(lines) + "\n")
    msg.add_attachment(_body(data), maintype="application", subtype="json",
                       filename="events.json")
    try:
        with smtplib.SMTP(ch.host, ch.port, timeout=TIMEOUT) as smtp:
            if ch.tls:
                smtp.starttls(context=ssl.create_default_context())
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"smtp: {exc}") from None


def sd_escape(value: str) -> str:
    """RFC 5424 §6.3.3 PARAM-VALUE escaping: backslash, double quote and ]."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _severity(event: Event) -> int:
    if not event.data.active or event.kind == "camera_back":
        return 5  # notice: a condition ended
    return 2 if event.kind in ("incident", "camera_down", "verify_failed", "tunnel_down") else 4


def syslog_frame(event: Event, links: dict[str, str], hostname: str) -> bytes:
    """One RFC 5424 message with octet-counting framing (RFC 6587 §3.4.1)."""
    pri = FACILITY_LOCAL0 * 8 + _severity(event)
    params = {"id": event.id, "kind": event.kind, "site": event.source.site,
              "camera": event.source.camera or "", "active": str(event.data.active).lower()}
    if event.data.incident_type:
        params["incident_type"] = event.data.incident_type
    if event.id in links:
        params["live_link"] = links[event.id]
    sd = "[" + SD_ID + "".join(f' {k}="{sd_escape(v)}"' for k, v in params.items()) + "]"
    text = event.data.message + (f" — « {event.data.comment} »" if event.data.comment else "")
    header = (f"<{pri}>1 {event.utc_time} {hostname} beffroi-recorder - "
              f"{event.kind[:32]} {sd} ")
    msg = header.encode("ascii", "replace") + b"\xef\xbb\xbf" + text.encode()
    return str(len(msg)).encode() + b" " + msg


def send_syslog(route: EventRoute, events: list[Event], links: dict[str, str],
                hostname: str) -> None:
    """Every event of the message as one RFC 5424 line to the crisis cell."""
    ch = route.channel
    frames = b"".join(syslog_frame(e, links, hostname) for e in events)
    try:
        with socket.create_connection((ch.host, ch.port), timeout=TIMEOUT) as raw:
            sock: socket.socket = raw
            if ch.tls:
                sock = ssl.create_default_context().wrap_socket(raw, server_hostname=ch.host)
            sock.sendall(frames)
            sock.shutdown(socket.SHUT_WR)
            sock.recv(1)  # the receiver closes after reading: everything was taken
    except OSError as exc:
        raise DeliveryError(f"syslog: {exc}") from None


class MqttSender:
    """A connected paho client per route, reused between messages."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def send(self, route: EventRoute, data: dict[str, Any], site: str,
             events: list[Event]) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        ch = route.channel
        kind = events[0].kind if len(events) == 1 else "group"
        topic = f"{ch.topic}/{site}/{kind}"
        with self._lock:
            client = self._clients.get(route.id)
            try:
                if client is None:
                    client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                         client_id=f"beffroi-{site}-{route.id}",
                                         protocol=mqtt.MQTTv311)
                    if ch.tls:
                        client.tls_set_context(ssl.create_default_context())
                    client.connect(ch.host, ch.port, keepalive=30)
                    client.loop_start()
                    self._clients[route.id] = client
                info = client.publish(topic, _body(data), qos=1)
                info.wait_for_publish(timeout=TIMEOUT)
                if not info.is_published():
                    raise DeliveryError("mqtt: no PUBACK from the broker")
            except (OSError, ValueError, RuntimeError, DeliveryError) as exc:
                self._drop(route.id)
                raise DeliveryError(str(exc) if isinstance(exc, DeliveryError)
                                    else f"mqtt: {exc}") from None

    def _drop(self, route_id: str) -> None:
        client = self._clients.pop(route_id, None)
        if client is not None:
            client.loop_stop()
            client.disconnect()

    def close(self) -> None:
        """Disconnect every client."""
        with self._lock:
            for rid in list(self._clients):
                self._drop(rid)
