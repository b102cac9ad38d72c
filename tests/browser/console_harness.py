"""Helpers of the console's browser tests and benchmark: a real `recorder run` over TLS
recording two loopback RTSP cameras, login through the form, screenshots, JS polling."""

from __future__ import annotations

import datetime
import ipaddress
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "recorder"))
sys.path.insert(0, str(HERE.parents[1]))

from recorder_harness import (  # noqa: E402
    PASSWORD,
    RecorderProcess,
    RtspServer,
    encode_clip,
    make_config,
    wait_for,
)

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT, FPS = 1280, 720, 15
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the site CA's role in production)."""
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


@dataclass
class Console:
    """A running recorder with its console."""

    base: str
    config: Path
    conf: Any
    tmp: Path
    cert: Path

    def journal(self, kind: str) -> list[dict[str, Any]]:
        from recorder.ledger import Ledger

        return [e["data"] for e in Ledger(self.conf.journal_dir, "journal", None).entries()
                if e["kind"] == kind]


def start_console(tmp: Path, extra_api: str = "") -> tuple[Console, RtspServer,
                                                           RecorderProcess]:
    """Cameras, TLS pair, config and `recorder run`; waits for recorded segments."""
    from recorder import config
    from recorder.index import Index

    clip = encode_clip(tmp / "clip.h264", WIDTH, HEIGHT, FPS, 10)
    server = RtspServer(clip, FPS, mounts=2)
    server.start()
    cert, key = self_signed(tmp)
    path = make_config(tmp, [("cam1", server.url(1)), ("cam2", server.url(2))])
    path.write_text(path.read_text().replace(
        "[api]\n", f'[api]\ntls_cert = "{cert}"\ntls_key = "{key}"\n{extra_api}'))
    conf = config.load(path)
    proc = RecorderProcess(path, tmp / "recorder.log")
    proc.start()
    assert wait_for(lambda: len(Index(conf.index_path).segments("cam2")) >= 3, 40), \
        (tmp / "recorder.log").read_text()[-2000:]
    host, port = conf.api_listen
    return Console(f"https://{host}:{port}", path, conf, tmp, cert), server, proc


def login(page: Any, base: str, user: str, password: str = PASSWORD) -> None:
    """Log in through the form, with the keyboard."""
    page.goto(base + "/login")
    page.fill("#user", user)
    page.fill("#password", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def shot(page: Any, name: str) -> Path:
    """A screenshot kept under out/screenshots (looked at before a page is called done)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def now() -> float:
    """Wall clock (the recorder dates in UTC)."""
    return time.time()


def wait_js(page: Any, expression: str, timeout: float = 20.0) -> Any:
    """Poll a JS expression until truthy (page.wait_for_function evaluates with `new
    Function`, which the console's CSP rightly forbids; evaluate() does not)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value or time.monotonic() > deadline:
            assert value, f"still false after {timeout} s: {expression}"
            return value
        page.wait_for_timeout(100)
