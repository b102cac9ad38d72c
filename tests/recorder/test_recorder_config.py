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


def _without_line(text: str, section_marker: str, key: str) -> str:
    """The example with the first `key = ...` line after section_marker removed."""
    head, sep, tail = text.partition(section_marker)
    assert sep, section_marker
    lines = tail.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.split("=")[0].strip() == key:
            del lines[i]
            return head + sep + "".join(lines)
    raise AssertionError(f"{key} not found after {section_marker!r}")


@pytest.mark.parametrize(
    ("marker", "key", "path"),
    [
        ("[recorder]", "site", "recorder.site"),
        ("[recorder]", "storage_root", "recorder.storage_root"),
        ("[recorder]", "state_dir", "recorder.state_dir"),
        ("[recorder]", "retention_days", "recorder.retention_days"),
        ("[recorder]", "signing_key", "recorder.signing_key"),
        ("[recorder]", "checkpoint_dir", "recorder.checkpoint_dir"),
        ("[[cameras]]", "id", "cameras[0].id"),
        ("[[cameras]]", "role", "cameras[0].role"),
        ("[[cameras]]", "rtsp_url", "cameras[0].rtsp_url"),
        ("[[cameras]]", "location", "cameras[0].location"),
        ("[[cameras]]", "expected_fps", "cameras[0].expected_fps"),
        ("[[cameras]]", "width", "cameras[0].width"),
        ("[[cameras]]", "height", "cameras[0].height"),
        ("[[users]]", "id", "users[0].id"),
        ("[[users]]", "name", "users[0].name"),
        ("[[users]]", "role", "users[0].role"),
        ("[[users]]", "password_hash", "users[0].password_hash"),
    ],
)
def test_every_required_key_missing_is_refused_and_named(tmp_path: Path, marker: str, key: str,
                                                         path: str) -> None:
    """CFG-1: a required key never defaults silently (an omitted retention_days once let the
    first purge destroy every segment)."""
    res = _check(tmp_path, _without_line(EXAMPLE.read_text(), marker, key))
    assert res.returncode == 1, res.stdout
    assert f"{path}: [CFG-1] missing required key" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_several_missing_keys_are_all_named(tmp_path: Path) -> None:
    text = _without_line(EXAMPLE.read_text(), "[recorder]", "retention_days")
    text = _without_line(text, "[[users]]", "password_hash")
    text = _without_line(text, "[[cameras]]", "location")
    res = _check(tmp_path, text)
    assert res.returncode == 1
    for path in ("recorder.retention_days", "users[0].password_hash", "cameras[0].location"):
        assert f"{path}: [CFG-1] missing required key" in res.stderr, res.stderr


def test_parse_without_retention_days_raises() -> None:
    """No code path builds a Config whose retention was not read from the file (RET-1)."""
    import tomllib

    data = tomllib.loads(_without_line(EXAMPLE.read_text(), "[recorder]", "retention_days"))
    with pytest.raises(config.ConfigError, match=r"recorder\.retention_days: \[CFG-1\]"):
        config.parse(data)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("retention_days = 15", 'retention_days = "15"', "recorder.retention_days"),
        ("retention_days = 15", "retention_days = true", "recorder.retention_days"),
        ("width = 1920", 'width = "1920"', "cameras[0].width"),
        ('cameras = ["*"]', 'cameras = "*"', "users[0].cameras"),
    ],
)
def test_wrong_type_is_refused_and_named(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = EXAMPLE.read_text()
    assert old in text
    res = _check(tmp_path, text.replace(old, new, 1))
    assert res.returncode == 1
    assert f"{key}: [CFG-1]" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_non_utf8_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "recorder.toml"
    path.write_bytes(EXAMPLE.read_bytes().replace("Mât".encode(), b"M\xe2t"))  # Latin-1
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "check-config", str(path)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 1
    assert "[CFG-0]" in res.stderr and "UTF-8" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_max_purge_share_has_a_safe_default_and_bounds(tmp_path: Path) -> None:
    conf = config.load(EXAMPLE)
    assert conf.recorder.max_purge_share == 0.5
    text = EXAMPLE.read_text().replace("retention_days = 15",
                                       "retention_days = 15\nmax_purge_share = 1.5", 1)
    res = _check(tmp_path, text)
    assert res.returncode == 1 and "recorder.max_purge_share: [RET-1]" in res.stderr, res.stderr


@pytest.mark.parametrize("where", ["state/signing.pem", "video/keys/signing.pem",
                                   "checkpoints/signing.pem"])
def test_signing_key_beside_what_it_signs_is_refused(tmp_path: Path, where: str) -> None:
    """JRN-2: the key is not stored in state_dir, storage_root or checkpoint_dir."""
    text = EXAMPLE.read_text()
    text = text.replace('storage_root = "/srv/beffroi/video"', f'storage_root = "{tmp_path}/video"')
    text = text.replace('state_dir = "/var/lib/beffroi/recorder"',
                        f'state_dir = "{tmp_path}/state"')
    text = text.replace('checkpoint_dir = "/var/lib/beffroi/checkpoints"',
                        f'checkpoint_dir = "{tmp_path}/checkpoints"')
    text = text.replace('signing_key = "/var/lib/beffroi/recorder-key/signing.pem"',
                        f'signing_key = "{tmp_path}/{where}"')
    res = _check(tmp_path, text)
    assert res.returncode == 1
    assert "recorder.signing_key: [JRN-2]" in res.stderr, res.stderr


def test_checkpoint_dir_inside_state_is_refused(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('checkpoint_dir = "/var/lib/beffroi/checkpoints"',
                                       'checkpoint_dir = "/var/lib/beffroi/recorder/cp"')
    res = _check(tmp_path, text)
    assert res.returncode == 1 and "recorder.checkpoint_dir: [JRN-2]" in res.stderr, res.stderr


@pytest.mark.parametrize(("dir_mode", "file_mode"), [(0o700, 0o640), (0o700, 0o604),
                                                     (0o750, 0o600), (0o705, 0o600)])
def test_signing_key_readable_by_others_is_refused(tmp_path: Path, dir_mode: int,
                                                   file_mode: int) -> None:
    """JRN-2: 0700 directory, 0600 file: check-config and start refuse anything looser."""
    from recorder_harness import make_config

    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")])
    key = tmp_path / "keys" / "signing.pem"
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "check-config", str(path)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    key.chmod(file_mode)
    key.parent.chmod(dir_mode)
    for args in (["check-config", str(path)], ["verify", "--config", str(path)]):
        res = subprocess.run([sys.executable, "-m", "recorder.cli", *args],
                             capture_output=True, text=True, check=False)
        assert res.returncode == 1, res.stdout
        assert "JRN-2" in res.stderr and "chmod" in res.stderr and "Traceback" not in res.stderr


def test_keygen_makes_a_private_directory_and_file(tmp_path: Path) -> None:
    key = tmp_path / "recorder-key" / "signing.pem"
    res = subprocess.run([sys.executable, "-m", "recorder.cli", "keygen", str(key)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(("old", "new", "key"), [
    ('site = "evrange"', 'site = "evrange\\n"', "recorder.site"),
    ('listen = "127.0.0.1:8443"', 'listen = "127.0.0.1:8443\\n"', "api.listen"),
    ('listen = "127.0.0.1:8443"', 'listen = "127.0.0.1:\u0668\u0664\u0664\u0663"', "api.listen"),
])
def test_a_trailing_newline_or_foreign_digits_never_pass_a_pattern(
        tmp_path: Path, old: str, new: str, key: str) -> None:
    """Python's `$` accepts a trailing "\\n" and `\\d` any script's digits: patterns refuse both."""
    text = EXAMPLE.read_text()
    assert old in text
    res = _check(tmp_path, text.replace(old, new, 1))
    assert res.returncode == 1 and f"{key}: [CFG-2]" in res.stderr, res.stderr
