"""Linux-host drift (pyinfra facts) on a throwaway podman systemd container of the lab image.

The container plays Évrange's firewall: it gets the rendered files at their destinations, its
nftables ruleset loaded, chrony running and the WireGuard spoke up (wireguard-go), as the
firewall role leaves it. It has no network at all (`--network none`): WireGuard's handshakes
cannot leave it. pyinfra reaches it with its podman connector (`@podman/NAME`, `podman exec`).
Skipped when the lab image (built by `beffroi lab`) is not there.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SiteUnderTest, write_endpoints

from beffroi.files import site_files
from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.lab.overrides import lab_variant
from beffroi.render import render_file, render_site

IMAGE = "localhost/beffroi-lab:bookworm"
ENV = {**os.environ, "CONTAINERS_CONF": str(REPO / "lab" / "containers.conf")}


def _podman(*args: str, stdin: str | None = None, check: bool = True
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], env=ENV, input=stdin, capture_output=True,
                          text=True, timeout=120, check=check)


def _image_exists() -> bool:
    try:
        return _podman("image", "exists", IMAGE, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [
    pytest.mark.lab, pytest.mark.slow,
    pytest.mark.skipif(not _image_exists(),
                       reason=f"lab image {IMAGE} not built (beffroi lab); nothing to run on"),
]


def _sh(name: str, script: str) -> str:
    return _podman("exec", name, "sh", "-c", script).stdout


def _lab_sshd_config(site: SiteUnderTest, host: str) -> str:
    """The sshd_config a lab host gets (root by key for a controller connecting as root)."""
    out = next(o for o in site_files(site.ctx) if o.relpath == f"{host}/sshd_config")
    variant = lab_variant(out)
    assert variant is not None
    return render_file(site.ctx, variant)


def _converge_like_the_firewall_role(name: str, site: SiteUnderTest, lab: bool = False) -> None:
    """Files at their destinations, ruleset loaded, chrony and the WireGuard spoke running."""
    fw = site.ctx["firewall"]["hostname"]
    wg = site.ctx["wireguard"]["interface"]
    for rel, dest in (("nftables.conf", "/etc/nftables.conf"),
                      ("chrony.conf", "/etc/chrony/chrony.conf"),
                      ("sshd_config", "/etc/ssh/sshd_config"),
                      (f"systemd/wg-quick@{wg}.service.d/beffroi.conf",
                       f"/etc/systemd/system/wg-quick@{wg}.service.d/beffroi.conf"),
                      ("wg-beffroi.conf", f"/etc/wireguard/{wg}.conf")):
        text = (_lab_sshd_config(site, fw) if lab and rel == "sshd_config"
                else site.files[f"{fw}/{rel}"])
        _podman("exec", "-i", name, "sh", "-c", f"mkdir -p $(dirname {dest}) && cat > {dest}",
                stdin=text)
    _sh(name, "until systemctl is-system-running --wait >/dev/null 2>&1 || "
              "[ $? -eq 1 ]; do sleep 0.2; done; "
              f"mkdir -p /etc/systemd/system/wg-quick@{wg}.service.d && printf "
              "'[Service]\\nEnvironment=WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go\\n' > "
              f"/etc/systemd/system/wg-quick@{wg}.service.d/userspace.conf && "
              # as role common does in containers: measure-only chronyd, no CAP_SYS_TIME
              "echo 'DAEMON_OPTS=\"-F 1 -x\"' > /etc/default/chrony && "
              "mkdir -p /etc/systemd/system/chrony.service.d && printf "
              "'[Unit]\\nConditionCapability=\\n' > "
              "/etc/systemd/system/chrony.service.d/beffroi.conf && "
              "systemctl daemon-reload && systemctl restart nftables chrony && "
              f"systemctl start wg-quick@{wg}")


def _run_container(name: str, network: str) -> None:
    _podman("run", "-d", "--rm", "--name", name, "--label", "beffroi.test=drift",
            "--network", network, "--systemd=always", "--cap-add", "NET_ADMIN",
            "--device", "/dev/net/tun", IMAGE, "/lib/systemd/systemd")


@pytest.fixture
def firewall(evrange: SiteUnderTest) -> Iterator[str]:
    """A running container converged like Évrange's firewall, with no network; removed after."""
    name = f"beffroi-drift-test-{uuid.uuid4().hex[:8]}"
    _run_container(name, "none")
    try:
        _converge_like_the_firewall_role(name, evrange)
        yield name
    finally:
        _podman("rm", "-f", "-t", "0", name, check=False)


def _drift(cli: Any, tmp_path: Path, site: SiteUnderTest, container: str, *args: str) -> Any:
    eps = write_endpoints(tmp_path / "endpoints.yml", {
        site.ctx["firewall"]["hostname"]: {"host": f"@podman/{container}"}})
    return cli(["drift", "--site", site.slug, "--kind", "firewall", "--endpoints", str(eps),
                "--format", "json", *args])


def test_converged_firewall_has_no_drift(evrange: SiteUnderTest, firewall: str, cli: Any,
                                         tmp_path: Path) -> None:
    res = _drift(cli, tmp_path, evrange, firewall)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 0, (dev["detail"], dev["diff"])
    assert dev["status"] == "ok" and dev["unverifiable"] == []


def test_rule_added_to_the_live_ruleset_is_drift_on_net_1(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path) -> None:
    _sh(firewall, "nft add rule inet beffroi input tcp dport 23 accept")
    res = _drift(cli, tmp_path, evrange, firewall)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 1 and dev["status"] == "drifted" and "NET-1" in dev["rules"]
    assert "loaded nftables table inet beffroi differs" in dev["detail"]
    assert "-\t\ttcp dport 23 accept\n" in dev["diff"]
    assert "/etc/nftables.conf" not in dev["detail"]   # the file is intact: only the live set


def test_edited_wireguard_file_is_drift_and_the_diff_never_shows_the_private_key(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path) -> None:
    wg = evrange.ctx["wireguard"]
    _sh(firewall, "sed -i 's/^ListenPort = .*/ListenPort = 51999/' "
                  f"/etc/wireguard/{wg['interface']}.conf")
    res = _drift(cli, tmp_path, evrange, firewall)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 1 and "NET-2" in dev["rules"]
    assert f"/etc/wireguard/{wg['interface']}.conf differs" in dev["detail"]
    assert "-ListenPort = 51999" in dev["diff"]
    assert wg["private_key"] not in res.stdout and "<vault>" in dev["diff"]


def test_root_login_allowed_in_sshd_config_is_drift_on_net_3(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path) -> None:
    """sshd_config is one of the intent's files: an intruder's `PermitRootLogin yes` (or any
    other edit) is drift, and the production host gets no lab exception."""
    _sh(firewall, "sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config")
    res = _drift(cli, tmp_path, evrange, firewall)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 1 and "NET-3" in dev["rules"], dev["detail"]
    assert "/etc/ssh/sshd_config differs" in dev["detail"]
    assert "-PermitRootLogin yes\n" in dev["diff"] and "+PermitRootLogin no\n" in dev["diff"]


def test_stopped_time_service_is_drift_on_time_1(evrange: SiteUnderTest, firewall: str,
                                                 cli: Any, tmp_path: Path) -> None:
    _sh(firewall, "systemctl stop chrony")
    res = _drift(cli, tmp_path, evrange, firewall)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 1 and "TIME-1" in dev["rules"]
    assert "service chrony is inactive" in dev["detail"]


def test_drift_reaches_the_firewall_over_ssh_as_in_production(
        moselle: Any, cli: Any, tmp_path: Path) -> None:
    """pyinfra's SSH connector (the production path), on an --internal podman network this
    test creates: no default route, nothing leaves it; the host reaches it by its bridge. The
    firewall only lets SSH in from the management VLAN and the department's admin networks, so
    this test's network is declared as an admin network in a copy of the inventory."""
    tag = uuid.uuid4().hex[:8]
    net, name = f"beffroi-drift-net-{tag}", f"beffroi-drift-ssh-{tag}"
    octet = 16 * (int(tag[:2], 16) % 15 + 1)   # a /28 in 10.254.254.0/24, away from lab pools
    subnet, addr = f"10.254.254.{octet}/28", f"10.254.254.{octet + 2}"
    moselle.set("department.yml", ("defaults", "admin_networks"), [subnet])
    inv = load_inventory(moselle.root)
    site = SiteUnderTest("evrange", site_intent(inv, "evrange", True).context(),
                         {o.relpath: t for o, t in render_site(inv, "evrange", True).items()})
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    _podman("network", "create", "--internal", "--subnet", subnet, "--label",
            "beffroi.test=drift", net)
    try:
        _run_container(name, f"{net}:ip={addr}")
        _converge_like_the_firewall_role(name, site, lab=True)
        _podman("exec", "-i", name, "sh", "-c", "mkdir -p /root/.ssh && chmod 700 /root/.ssh && "
                "cat > /root/.ssh/authorized_keys && systemctl start ssh",
                stdin=key.with_suffix(".pub").read_text())
        eps = write_endpoints(tmp_path / "endpoints.yml", {
            site.ctx["firewall"]["hostname"]: {
                "host": addr, "username": "root", "ssh_key": str(key),
                "check_host_key": False, "lab": True}})
        args = ["drift", "--inventory", str(moselle.root), "--site", site.slug, "--kind",
                "firewall", "--endpoints", str(eps), "--format", "json"]
        clean = cli(args)
        assert clean.exit_code == 0, clean.json()["devices"][0]["detail"]
        _sh(name, "nft add rule inet beffroi input tcp dport 23 accept")
        (dev,) = cli(args).json()["devices"]
        assert dev["status"] == "drifted" and "NET-1" in dev["rules"]
    finally:
        _podman("rm", "-f", "-t", "0", name, check=False)
        _podman("network", "rm", "-f", net, check=False)


@pytest.fixture
def nvr(evrange: SiteUnderTest) -> Iterator[str]:
    """A container holding Évrange's rendered NVR files at their destinations."""
    name = f"beffroi-drift-nvr-{uuid.uuid4().hex[:8]}"
    _run_container(name, "none")
    try:
        for rel, text in evrange.files.items():
            if rel.startswith(evrange.ctx["nvr"]["hostname"] + "/"):
                dest = {"recorder.toml": "/etc/beffroi/recorder.toml",
                        "chrony.conf": "/etc/chrony/chrony.conf",
                        "sshd_config": "/etc/ssh/sshd_config"}.get(
                    rel.rsplit("/", 1)[1], "/etc/nut/" + rel.rsplit("/", 1)[1])
                _podman("exec", "-i", name, "sh", "-c",
                        f"mkdir -p $(dirname {dest}) && cat > {dest}", stdin=text)
        yield name
    finally:
        _podman("rm", "-f", "-t", "0", name, check=False)


def test_edited_recorder_config_is_drift_and_camera_passwords_stay_masked(
        evrange: SiteUnderTest, nvr: str, cli: Any, tmp_path: Path) -> None:
    """The recorder itself is not installed in this container (its unit shows as inactive
    either way); what is checked is the rendered recorder.toml on the NVR."""
    eps = write_endpoints(tmp_path / "endpoints.yml", {
        evrange.ctx["nvr"]["hostname"]: {"host": f"@podman/{nvr}"}})
    args = ["drift", "--site", evrange.slug, "--kind", "nvr", "--endpoints", str(eps),
            "--format", "json"]
    (before,) = cli(args).json()["devices"]
    assert "recorder.toml" not in before["detail"] and before["diff"] == ""
    _sh(nvr, "sed -i 's/^retention_days = .*/retention_days = 45/' /etc/beffroi/recorder.toml")
    res = cli(args)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 1 and "RET-1" in dev["rules"], dev["detail"]
    assert "/etc/beffroi/recorder.toml differs" in dev["detail"]
    assert "-retention_days = 45\n" in dev["diff"]
    for cam in evrange.ctx["cameras"]:
        assert cam["account"]["password"] not in res.stdout
