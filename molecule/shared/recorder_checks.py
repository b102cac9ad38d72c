"""Checks of the deployed recorder, shared by the recorder and nvr scenarios: wheel venv,
validated config, vault key, hardened units running as their own user."""

from __future__ import annotations

from typing import Any

import pytest

NVR = "evrange-nvr"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",
    "UMask": "0027",
}


@pytest.mark.parametrize("unit", ["beffroi-recorder", "beffroi-relay"])
def test_unit_runs_under_its_own_user_with_the_hardening(lab: Any, unit: str) -> None:
    nvr = lab(NVR)
    svc = nvr.service(unit)
    assert svc.is_running and svc.is_enabled
    wanted = " ".join(f"-p {k}" for k in HARDENING)
    shown = nvr.check_output(f"systemctl show {unit} -p User -p MainPID {wanted}")
    props = dict(line.split("=", 1) for line in shown.splitlines())
    assert props["User"] == "beffroi-recorder"
    for key, value in HARDENING.items():
        assert props[key] == value, f"{unit}: {key}={props[key]!r}, want {value!r}"
    owner = nvr.check_output(f"ps -o user= -p {props['MainPID']}").strip()
    assert owner == "beffroi-recorder"


def test_relay_cannot_see_the_recordings(lab: Any) -> None:
    nvr = lab(NVR)
    paths = nvr.check_output("systemctl show beffroi-relay -p InaccessiblePaths")
    assert "/srv/beffroi/video" in paths


def test_recorder_listens_on_the_model_addresses(lab: Any) -> None:
    nvr = lab(NVR)
    assert nvr.socket("tcp://10.57.0.99:8443").is_listening
    assert nvr.socket("tcp://10.57.0.99:8554").is_listening


def test_config_is_valid_and_private_to_the_service(lab: Any) -> None:
    nvr = lab(NVR)
    conf = nvr.file("/etc/beffroi/recorder.toml")
    assert (conf.user, conf.group, conf.mode) == ("root", "beffroi-recorder", 0o640)
    with nvr.sudo():
        out = nvr.check_output("/opt/beffroi/recorder/bin/recorder check-config "
                               "/etc/beffroi/recorder.toml")
    assert "valid (2 cameras, 5 accounts)" in out  # 4 habilitations + the crisis cell


def test_signing_key_is_readable_by_the_service_only(lab: Any) -> None:
    nvr = lab(NVR)
    with nvr.sudo():
        key = nvr.file("/var/lib/beffroi/recorder-key/signing.pem")
        assert (key.user, key.mode) == ("beffroi-recorder", 0o600)
        assert nvr.file("/var/lib/beffroi/recorder-key").mode == 0o700  # JRN-2: its own dir
        assert not nvr.file("/var/lib/beffroi/recorder/signing.pem").exists
        assert key.content_string.startswith("-----BEGIN PRIVATE KEY-----")


def test_api_tls_key_is_readable_by_the_service_only(lab: Any) -> None:
    """NET-2: the API serves TLS with the site's certificate (key from the vault)."""
    nvr = lab(NVR)
    with nvr.sudo():
        key = nvr.file("/etc/beffroi/tls/recorder.key")
        assert (key.user, key.mode) == ("beffroi-recorder", 0o600)
        cert = nvr.check_output("openssl x509 -noout -ext subjectAltName "
                                "-in /etc/beffroi/tls/recorder.crt")
    assert "10.57.0.99" in cert and "evrange-nvr" in cert


def test_recorder_is_installed_from_the_repository_wheel(lab: Any) -> None:
    nvr = lab(NVR)
    out = nvr.check_output("/opt/beffroi/recorder/bin/python -m pip show beffroi")
    assert "Version: 0.1.0" in out
