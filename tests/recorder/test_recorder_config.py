"""check-config: the Ansible role's validate step; every refusal names the key and the rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from recorder import config

EXAMPLE = Path(__file__).resolve().parents[2] / "recorder" / "config.example.toml"


def _check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "recorder.toml"
    path.write_text(text)
    return subprocess.run([sys.executable, "-m", "recorder.cli", "check-config", str(path)],
                          capture_output=True, text=True, check=False)


def test_example_config_is_valid(tmp_path: Path) -> None:
    res = _check(tmp_path, EXAMPLE.read_text())
    assert res.returncode == 0, res.stderr
    assert "valid" in res.stdout


@pytest.mark.parametrize(
    ("old", "new", "key", "rule"),
    [
        ("retention_days = 15", "retention_days = 31", "recorder.retention_days", "RET-1"),
        ("retention_days = 15", "retention_days = 0", "recorder.retention_days", "RET-1"),
        ("journal_retention_days = 365", "journal_retention_days = 30",
         "recorder.journal_retention_days", "JRN-2"),
        ('state_dir = "/var/lib/beffroi/recorder"', 'state_dir = "/srv/beffroi/video/state"',
         "recorder.state_dir", "JRN-2"),
        ('id = "tmichel"', 'id = "guest"', "users[0].id", "ACC-1"),
        ('name = "Claire Weber"', 'name = "Thierry Michel"', "users[1].name", "ACC-1"),
        ('name = "Claire Weber"', 'name = "SDIS"', "users[1].name", "ACC-1"),
        ('role = "narrow"', 'role = "narrow"\nexpected_fps_typo = 1',
         "cameras[0].expected_fps_typo", "CFG-1"),
        ("expected_fps = 15\nwidth = 1920", "expected_fps = 10\nwidth = 1920",
         "cameras[0].expected_fps", "CAM-3"),
        ("width = 1920\nheight = 1080\n\n[[cameras]]", "width = 640\nheight = 480\n\n[[cameras]]",
         "cameras[0].width", "CAM-1"),
        ('sync_check = "chrony"', 'sync_check = "ntpdate"', "time.sync_check", "TIME-1"),
        ('listen = "127.0.0.1:8443"', 'listen = "0.0.0.0:8443"', "api.listen", "NET-1"),
        ("cameras = []", 'cameras = ["*"]', "users[2].cameras", "ACC-4"),
    ],
)
def test_check_config_rejects_and_names_key_and_rule(tmp_path: Path, old: str, new: str,
                                                     key: str, rule: str) -> None:
    text = EXAMPLE.read_text()
    assert old in text
    res = _check(tmp_path, text.replace(old, new, 1))
    assert res.returncode == 1
    assert f"{key}: [{rule}]" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_password_hash_must_be_argon2id(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("$argon2id$", "$2b$12$", 1)
    res = _check(tmp_path, text)
    assert res.returncode == 1
    assert "users[0].password_hash: [ACC-5]" in res.stderr


def test_unreadable_toml_is_a_clear_error(tmp_path: Path) -> None:
    res = _check(tmp_path, "[recorder\nsite=")
    assert res.returncode == 1
    assert "not valid TOML" in res.stderr and "Traceback" not in res.stderr


def test_hash_password_output_is_accepted_by_the_config() -> None:
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "hash-password"],
                         input="correct horse battery\n", capture_output=True, text=True,
                         check=True)
    encoded = res.stdout.strip()
    assert encoded.startswith("$argon2id$")
    from recorder.passwords import check_password
    assert check_password(encoded, "correct horse battery")
    assert not check_password(encoded, "wrong horse battery")


def test_hash_password_refuses_short_password() -> None:
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "hash-password"],
                         input="short\n", capture_output=True, text=True, check=False)
    assert res.returncode == 1 and "ACC-5" in res.stderr


def test_parse_builds_typed_config() -> None:
    conf = config.load(EXAMPLE)
    assert conf.retention_days == 15 and conf.journal_retention_days == 365
    assert conf.camera("cam-mairie-narrow").role == "narrow"
    assert conf.api_listen == ("127.0.0.1", 8443)
    admin = conf.user("admin-jmartin")
    assert admin is not None and not admin.may_see("cam-mairie-narrow")
