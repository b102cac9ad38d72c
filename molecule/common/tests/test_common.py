"""Role common: keys-only SSH without root, chrony with ≥ 2 sources (TIME-1), persistent
journal, security-only unattended upgrades, and the local fact."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from conftest import host_address_and_key

HOSTS = ["evrange-nvr", "cdc57-hub"]
SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=5", "-o", "BatchMode=yes", "-o", "ControlMaster=no"]


def ssh_as(name: str, user: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Try to log in from the controller and run `true`."""
    address, key = host_address_and_key(name)
    return subprocess.run(["ssh", "-i", key, *SSH_OPTS, *extra, f"{user}@{address}", "true"],
                          capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("name", HOSTS)
def test_sshd_effective_config_refuses_passwords_and_root(lab: Any, name: str) -> None:
    host = lab(name)
    with host.sudo():
        effective = host.check_output("sshd -T")
    assert "permitrootlogin no" in effective
    assert "passwordauthentication no" in effective
    assert "kbdinteractiveauthentication no" in effective
    assert "authenticationmethods publickey" in effective


@pytest.mark.parametrize("name", HOSTS)
def test_root_is_refused_even_with_the_authorized_key(name: str) -> None:
    res = ssh_as(name, "root")
    assert res.returncode == 255 and "Permission denied" in res.stderr, res.stderr


@pytest.mark.parametrize("name", HOSTS)
def test_password_authentication_is_not_offered(name: str) -> None:
    res = ssh_as(name, "beffroi-admin", "-o", "PubkeyAuthentication=no",
                 "-o", "PreferredAuthentications=password,keyboard-interactive")
    assert res.returncode == 255
    assert "Permission denied (publickey)" in res.stderr, res.stderr


@pytest.mark.parametrize("name", HOSTS)
def test_administrator_logs_in_with_the_key_and_has_no_password(lab: Any, name: str) -> None:
    assert ssh_as(name, "beffroi-admin").returncode == 0
    host = lab(name)
    with host.sudo():
        shadow = host.check_output("getent shadow beffroi-admin").split(":")
    assert shadow[1].startswith("!"), "the administrator's password must be locked"


@pytest.mark.parametrize("name", HOSTS)
def test_chrony_runs_with_at_least_two_sources(lab: Any, name: str) -> None:
    host = lab(name)
    assert host.service("chrony").is_running
    sources = [line for line in host.check_output("chronyc -n sources").splitlines()
               if line.startswith("^")]
    assert len(sources) >= 2, sources
    assert {s.split()[1] for s in sources} >= {"100.64.0.123", "100.64.0.124"}


def test_only_the_nvr_serves_time_to_the_camera_vlan(lab: Any) -> None:
    """Without chrony_serve_cameras the generic hosts allow no NTP clients."""
    conf = lab("cdc57-hub").file("/etc/chrony/chrony.conf").content_string
    assert "\nallow " not in conf


@pytest.mark.parametrize("name", HOSTS)
def test_journal_is_persistent(lab: Any, name: str) -> None:
    host = lab(name)
    conf = host.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert "Storage=persistent" in conf
    with host.sudo():
        assert host.run("ls /var/log/journal/*/system.journal").rc == 0


@pytest.mark.parametrize("name", HOSTS)
def test_unattended_upgrades_take_security_only(lab: Any, name: str) -> None:
    dump = lab(name).check_output("apt-config dump Unattended-Upgrade")
    patterns = [line for line in dump.splitlines() if "Origins-Pattern::" in line]
    assert patterns and all("Debian-Security" in p for p in patterns), patterns
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in dump


@pytest.mark.parametrize("name", HOSTS)
def test_local_fact_records_version_and_inventory_commit(lab: Any, name: str) -> None:
    fact = json.loads(lab(name).file("/etc/ansible/facts.d/beffroi.fact").content_string)
    assert fact["version"] == "0.1.0"
    assert fact["inventory_commit"] not in ("", "unknown")
