"""The API over TLS (NET-2): same accounts and rights, encrypted transport."""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import threading
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from recorder_harness import PASSWORD, make_config

from recorder import config
from recorder.api import ApiContext, make_server
from recorder.metrics import Metrics
from recorder.state import open_state


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "tls.crt", tmp / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_api_serves_https_with_configured_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    path.write_text(path.read_text().replace(
        "[api]\n", f'[api]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'))
    conf = config.load(path)
    state = open_state(conf)
    server = make_server(ApiContext(state, Metrics(conf.storage_root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = conf.api_listen[1]
        tls = ssl.create_default_context(cafile=str(cert))
        req = urllib.request.Request(f"https://127.0.0.1:{port}/api/cameras")
        token = base64.b64encode(f"mdupont:{PASSWORD}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, context=tls, timeout=10) as resp:
            assert [c["id"] for c in json.loads(resp.read())] == ["cam1"]
        # plain HTTP on the TLS port gets nothing useful
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/cameras", timeout=5)
            raise AssertionError("plain HTTP answered on the TLS port")
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
    finally:
        server.shutdown()
        server.server_close()
        state.close()


def test_a_client_that_never_finishes_its_tls_handshake_blocks_nobody(tmp_path: Path) -> None:
    """The handshake runs in the connection's own thread, under the request timeout."""
    import socket
    import time

    cert, key = _self_signed(tmp_path)
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    path.write_text(path.read_text().replace(
        "[api]\n", f'[api]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
        "request_timeout_seconds = 1\n"))
    conf = config.load(path)
    state = open_state(conf)
    server = make_server(ApiContext(state, Metrics(conf.storage_root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    port = conf.api_listen[1]
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        tls = ssl.create_default_context(cafile=str(cert))
        t0 = time.monotonic()
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=tls,
                                    timeout=10) as resp:
            assert resp.status == 200
        assert time.monotonic() - t0 < 3
        silent[0].settimeout(5)
        t0 = time.monotonic()
        assert silent[0].recv(100) == b""  # released by the server within the timeout
        assert time.monotonic() - t0 < 3
    finally:
        for s in silent:
            s.close()
        server.shutdown()
        server.server_close()
        state.close()


def test_an_unusable_certificate_is_a_clear_error_naming_the_key(tmp_path: Path) -> None:
    import subprocess
    import sys

    from recorder_harness import REPO

    cert, key = _self_signed(tmp_path)
    key.write_text("<vault>\n")  # e.g. a vault entry that was never filled in
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    path.write_text(path.read_text().replace(
        "[api]\n", f'[api]\ntls_cert = "{cert}"\ntls_key = "{key}"\n'))
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "run", "--config", str(path)],
                         capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
    assert res.returncode == 1
    assert "api.tls_key" in res.stderr and "NET-2" in res.stderr and str(key) in res.stderr
    assert "Traceback" not in res.stderr
