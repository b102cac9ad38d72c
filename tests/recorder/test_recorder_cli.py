"""The CLI surface and the systemd units the Ansible role installs (rendered, as the role does,
from the shared templates `templates/nvr/beffroi-{recorder,relay}.service.j2`)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from recorder_harness import REPO, cli

COMMANDS = ("run", "relay", "check-config", "verify", "verify-export", "export", "redact", "hold",
            "purge", "keygen", "hash-password", "checkpoint")
RELAY = "beffroi-recorder-relay.service"  # the live relay's unit (beffroi-relay.service)


def _unit(unit: str) -> str:
    """The unit as the role installs it on Évrange's NVR (the renderer's bytes)."""
    from beffroi.inventory import load_inventory
    from beffroi.render import render_site

    name = "beffroi-relay.service" if unit == RELAY else unit
    rendered = render_site(load_inventory(REPO / "inventories" / "moselle"), "evrange")
    return next(text for out, text in rendered.items() if out.dest.endswith("/" + name))


def test_help_documents_every_command() -> None:
    res = cli("--help")
    assert res.returncode == 0
    for cmd in COMMANDS:
        assert f"  {cmd}" in res.stdout, cmd
        sub = cli(cmd, "--help") if cmd != "hold" else cli("hold", "add", "--help")
        assert sub.returncode == 0 and "usage: recorder" in sub.stdout


def test_usage_error_exits_2_without_traceback() -> None:
    res = cli("export", "--config", "x.toml")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_missing_signing_key_is_a_clear_error(tmp_path: Path) -> None:
    example = (REPO / "recorder" / "config.example.toml").read_text()
    conf = tmp_path / "r.toml"
    conf.write_text(example.replace("/var/lib/beffroi/recorder", str(tmp_path / "state"))
                    .replace("/srv/beffroi/video", str(tmp_path / "video")))
    res = cli("verify", "--config", str(conf))
    assert res.returncode == 1
    assert "signing key not found" in res.stderr and "recorder keygen" in res.stderr


def test_keygen_creates_owner_only_key_and_refuses_to_overwrite(tmp_path: Path) -> None:
    key = tmp_path / "k" / "signing.pem"
    res = cli("keygen", str(key))
    assert res.returncode == 0 and "SHA256:" in res.stdout
    assert key.stat().st_mode & 0o777 == 0o600
    assert cli("keygen", str(key)).returncode == 1


@pytest.mark.parametrize("unit", ["beffroi-recorder.service", "beffroi-recorder-relay.service"])
def test_systemd_unit_is_hardened(unit: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(_unit(unit))
    svc = parser["Service"]
    assert svc["User"] == "beffroi-recorder"
    assert svc["NoNewPrivileges"] == "yes" and svc["ProtectSystem"] == "strict"
    assert svc["PrivateTmp"] == "yes" and svc["CapabilityBoundingSet"] == ""
    writable = svc["ReadWritePaths"].split()
    assert "/var/lib/beffroi/recorder" in writable
    if unit == "beffroi-recorder.service":
        assert writable == ["/srv/beffroi/video", "/var/lib/beffroi/recorder",
                            "/var/lib/beffroi/checkpoints"]  # JRN-2: checkpoints apart
        assert svc["KillMode"] == "mixed"  # one clean SIGTERM to the service, not to ffmpeg
    else:
        assert "/srv/beffroi/video" in svc["InaccessiblePaths"]  # ACC-4: no recorded data


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("unit", ["beffroi-recorder.service", "beffroi-recorder-relay.service"])
def test_systemd_analyze_accepts_unit(unit: str, tmp_path: Path) -> None:
    text = _unit(unit).replace("/opt/beffroi/recorder/bin/recorder",
                               str(Path(sys.executable).parent / "recorder"))
    copy = tmp_path / unit
    copy.write_text(text)
    res = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                         text=True, check=False)
    assert res.returncode == 0, res.stderr
