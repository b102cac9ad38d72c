"""One alert travelling, proven on the lab: a camera's stream stops, the NVR's recorder emits
`camera_down` and the crisis cell's route (department.yml `alerts:`, RFC 5424 syslog over TLS to
the hub's tunnel address) delivers it; the stream comes back, `camera_back` follows.

The crisis cell's collector is played by a small receiver the demo runs on the hub itself
(cdc57-hub, at the route's address inside the tunnel): a lab address, never an outside one. Its
certificate comes from a throwaway CA the NVR trusts only while the check runs (the route
verifies the collector as production does; nothing of production is relaxed).
"""

from __future__ import annotations

import datetime
import json
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from beffroi.demo_checks import Check, remote
from beffroi.lab.access import ssh_command
from beffroi.lab.topology import HostSpec

CA_PATH = "/usr/local/share/ca-certificates/beffroi-demo-collector.crt"
Event = dict[str, Any]

# RFC 5424 over TLS with octet-counting (RFC 6587): one JSON line per message, until stdin closes
_RECEIVER = r"""
import json, os, re, socket, ssl, sys, tempfile, threading, time
conf = json.loads(sys.stdin.readline())  # the key comes on stdin, never argv
d = tempfile.mkdtemp()
for name in ("cert", "key"):
    with open(os.path.join(d, name), "w") as fh:
        fh.write(conf[name])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(d, "cert"), os.path.join(d, "key"))
for name in ("cert", "key"):
    os.unlink(os.path.join(d, name))
os.rmdir(d)
srv = socket.create_server((conf["host"], conf["port"]), reuse_port=False)
srv.settimeout(1)
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
print(json.dumps({"listening": True}), flush=True)
while True:
    try:
        raw, _ = srv.accept()
    except socket.timeout:
        continue
    raw.settimeout(10)
    data = b""
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
        while chunk := conn.recv(65536):
            data += chunk
        conn.close()
    except (OSError, ssl.SSLError):
        raw.close()  # the recorder's tunnel probe connects and leaves: no message
    got = time.time()
    while data:
        size, _, rest = data.partition(b" ")
        if not size.isdigit():
            break
        msg, data = rest[:int(size)], rest[int(size):]
        text = msg.decode(errors="replace")
        params = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', text))
        print(json.dumps({"t": got, "kind": params.get("kind"), "camera": params.get("camera"),
                          "active": params.get("active"), "head": text[:60]}), flush=True)
"""


def _pair(ip: str) -> tuple[str, str, str]:
    """(CA PEM, server certificate PEM for `ip`, server key PEM): throwaway, one hour."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Beffroi demo collector CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address(ip))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem).decode(), leaf.public_bytes(pem).decode(),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


class Collector:
    """The stand-in syslog collector on the hub, and the NVR's trust in it while it runs."""

    def __init__(self, cell: HostSpec, nvr: HostSpec, key: Path, host: str, port: int) -> None:
        self.cell, self.nvr, self.key, self.host, self.port = cell, nvr, key, host, port
        self.events: list[Event] = []
        self.error = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> bool:
        """Trust the CA on the NVR, start the receiver; True once it listens."""
        ca, cert, private = _pair(self.host)
        res = subprocess.run([*ssh_command(self.nvr, self.key), "sh", "-c", shlex.quote(
            f"cat > {CA_PATH} && update-ca-certificates >/dev/null")], input=ca, text=True,
            capture_output=True, timeout=60, check=False)
        if res.returncode:
            self.error = f"CA on the NVR: {res.stderr.strip()[-200:]}"
            return False
        self._proc = subprocess.Popen(
            [*ssh_command(self.cell, self.key), "python3 -u -c " + shlex.quote(_RECEIVER)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"host": self.host, "port": self.port, "cert": cert,
                                           "key": private}) + "\n")
        self._proc.stdin.flush()
        first = self._proc.stdout.readline()
        if "listening" not in first:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            self.error = f"receiver: {(first.strip() or err.strip())[-300:]}"
            return False
        threading.Thread(target=self._read, daemon=True).start()
        return True

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                self.events.append(json.loads(line))
            except json.JSONDecodeError:
                continue

    def wait_for(self, match: Callable[[Event], bool], timeout: float) -> Event | None:
        """The first received message `match` accepts, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((e for e in list(self.events) if match(e)), None)
            if found:
                return found
            time.sleep(0.2)
        return None

    def stop(self) -> None:
        """Stop the receiver (its stdin closes) and withdraw the CA from the NVR."""
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        subprocess.run([*ssh_command(self.nvr, self.key), "sh", "-c", shlex.quote(
            f"rm -f {CA_PATH} && update-ca-certificates --fresh >/dev/null")],
            capture_output=True, timeout=60, check=False)


_SPOOL = r"""
import pathlib, sys
print(len(list(pathlib.Path(sys.argv[1]).glob("*.json"))))
"""


def spooled(nvr: HostSpec, key: Path, spool: str) -> int:
    """Messages the NVR still holds for the route (its spool directory)."""
    out = remote(nvr, key, _SPOOL, spool, timeout=60).stdout.strip()
    return int(out) if out.isdigit() else -1


def alert_check(col: Collector, camera: str, route: str, stop: Callable[[], object],
                restart: Callable[[], object], timeout: float = 120) -> Check:
    """Stop `camera`'s stream; its camera_down reaches the collector; restart; camera_back."""
    t0 = time.time()
    stop()
    down = col.wait_for(lambda e: e["kind"] == "camera_down" and e["camera"] == camera
                        and e["t"] > t0, timeout)
    t1 = time.time()
    restart()
    back = col.wait_for(lambda e: e["kind"] == "camera_back" and e["camera"] == camera
                        and e["t"] > t1, timeout) if down else None
    where = f"syslog TLS to {col.host}:{col.port} (route {route})"
    if not down:
        return Check("alert travels: camera_down to the crisis cell", False,
                     f"nothing in {timeout:.0f} s after {camera}'s stream stopped; {where}"
                     + (f"; {col.error}" if col.error else ""))
    figure = (f"{camera}'s RTSP stream stopped → camera_down received {down['t'] - t0:.1f} s "
              f"later; stream restarted → camera_back "
              + (f"{back['t'] - t1:.1f} s later" if back else f"not in {timeout:.0f} s")
              + f"; {where}")
    return Check("alert travels: camera_down/back to the crisis cell (RFC 5424)",
                 back is not None, figure)
