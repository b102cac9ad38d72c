"""Two fake communes on loopback for the crisis-cell wall: each a real RTSP 'camera' server with
two mounts, a real `recorder relay` (gst-rtsp-server) trusting the wall's key, and a counting TCP
proxy standing for the WAN between the crisis cell and the commune; plus a real `recorder wall`
(uvicorn over TLS). Every process is stopped by its own id."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "recorder"))
sys.path.insert(0, str(HERE.parents[1]))

from recorder_harness import (  # noqa: E402
    PASSWORD,
    REPO,
    RtspServer,
    encode_clip,
    free_port,
    make_config,
)

PROBE_USER = ("cdc57-hub", "Cellule de crise de la Moselle", "probe", '["*"]')
# The recipients declared for the wall (ACC-3) — one sees everything, one only Evrange.
RECIPIENTS = [
    {"id": "gn-acolin", "name": "Alice Colin", "service": "gendarmerie",
     "unit": "Groupement de gendarmerie de la Moselle", "cameras": ["*"]},
    {"id": "sdis-lmartin", "name": "Luc Martin", "service": "sdis",
     "unit": "SDIS 57 — CTA-CODIS", "cameras": ["evrange"]},
]


class WanProxy:
    """A TCP relay 127.0.0.1:port -> upstream that counts every byte both ways (the 'WAN')."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.bytes = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                with self._lock:
                    self.bytes += len(chunk)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def reset(self) -> None:
        """Start counting afresh."""
        with self._lock:
            self.bytes = 0

    def close(self) -> None:
        """Stop accepting."""
        self._stop = True
        self._sock.close()


def _wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Commune:
    """One fake commune: cameras, relay, WAN proxy."""

    slug: str
    name: str
    width: int
    height: int
    camera: RtspServer
    config: Path
    relay: subprocess.Popen[bytes]
    wan: WanProxy
    relay_port: int

    def journal(self, kind: str) -> list[dict[str, Any]]:
        """The commune NVR's journal entries of `kind`."""
        from recorder import config
        from recorder.ledger import Ledger

        conf = config.load(self.config)
        return [e["data"] for e in Ledger(conf.journal_dir, "journal", None).entries()
                if e["kind"] == kind]

    def stop(self) -> None:
        """Stop relay, proxy and camera server."""
        self.relay.terminate()
        try:
            self.relay.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.relay.kill()
            self.relay.wait()
        self.wan.close()
        self.camera.stop()


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the crisis cell's own in production)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "tls.crt", tmp / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start_commune(tmp: Path, slug: str, name: str, clip: Path, width: int, height: int,
                  fps: int, wall_public_key: str) -> Commune:
    """A commune whose relay trusts the wall's key and knows the crisis cell's probe."""
    camera = RtspServer(clip, fps, mounts=2)
    camera.start()
    home = tmp / slug
    home.mkdir()
    relay_port = free_port()
    path = make_config(home, [("cam1", camera.url(1)), ("cam2", camera.url(2))],
                       relay_port=relay_port, width=width, height=height, fps=fps,
                       relay_extra=(f'wall_public_key = "{wall_public_key}"',),
                       more_users=(PROBE_USER,))
    path.write_text(path.read_text().replace('site = "testville"', f'site = "{slug}"'))
    relay = subprocess.Popen([sys.executable, "-m", "recorder.cli", "relay", "--config",
                              str(path)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=REPO)
    _wait_port(relay_port)
    return Commune(slug, name, width, height, camera, path, relay,
                   WanProxy(("127.0.0.1", relay_port)), relay_port)


@dataclass
class WallProcess:
    """`recorder wall` over TLS on loopback."""

    base: str
    config: Path
    proc: subprocess.Popen[bytes]
    state_dir: Path
    log: Path
    communes: list[Commune] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the wall."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wall_config(tmp: Path, communes: list[Commune], token_key: Path, port: int,
                recipients: list[dict[str, Any]] | None = None) -> Path:
    """The wall's JSON file for these communes and recipients (all with PASSWORD)."""
    from recorder_harness import _cached_hash

    from recorder import keys

    cert, key = self_signed(tmp)
    journal_key = tmp / "wall-journal-key" / "journal.pem"
    if not journal_key.exists():
        keys.generate(journal_key)
    conf = {
        "name": "Cellule de crise départementale (test)",
        "listen": f"127.0.0.1:{port}", "tls_cert": str(cert), "tls_key": str(key),
        "token_key": str(token_key), "journal_key": str(journal_key),
        "state_dir": str(tmp / "wall-state"), "probe_status": str(tmp / "probe" / "status.json"),
        "communes": [{"slug": c.slug, "name": c.name, "relay": f"rtsp://127.0.0.1:{c.wan.port}",
                      "cameras": [{"id": cam, "location": f"{c.name}, mât {cam}",
                                   "width": c.width, "height": c.height}
                                  for cam in ("cam1", "cam2")]} for c in communes],
        "recipients": [{**r, "password_hash": _cached_hash()}
                       for r in (recipients if recipients is not None else RECIPIENTS)],
    }
    path = tmp / "wall.json"
    path.write_text(json.dumps(conf, ensure_ascii=False, indent=1))
    return path


def start_wall(tmp: Path, communes: list[Commune], token_key: Path) -> WallProcess:
    """A running wall for these communes."""
    port = free_port()
    path = wall_config(tmp, communes, token_key, port)
    log = tmp / "wall.log"
    proc = subprocess.Popen([sys.executable, "-m", "recorder.cli", "wall", "--config",
                             str(path)], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            cwd=REPO)
    _wait_port(port)
    return WallProcess(f"https://127.0.0.1:{port}", path, proc, tmp / "wall-state", log,
                       communes)


__all__ = ["PASSWORD", "REPO", "Commune", "WallProcess", "encode_clip", "start_commune",
           "start_wall", "wall_config"]
