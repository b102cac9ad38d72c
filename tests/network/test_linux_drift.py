"""Linux-host drift (pyinfra facts) on a throwaway podman systemd container of the lab image.

The container plays Évrange's firewall: it gets the rendered files at their destinations, its
nftables ruleset loaded, chrony running and the WireGuard spoke up (wireguard-go), as the
firewall role leaves it. It has no network at all (`--network none`): WireGuard's handshakes
cannot leave it. pyinfra reaches it with its podman connector (`@podman/NAME`, `podman exec`).
Skipped when the lab image (built by `beffroi lab`) is not there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import intruder
import pytest
from lab_container import IMAGE, authorize, converged, reachable
from lab_container import image_exists as _image_exists
from lab_container import podman as _podman
from lab_container import sh as _sh
from network_kit import SiteUnderTest, write_endpoints

from beffroi.drift import hostsec
from beffroi.files import site_files
from beffroi.intent import SSHD, site_intent
from beffroi.inventory import load_inventory
from beffroi.lab.overrides import lab_variant
from beffroi.render import render_file, render_site
from beffroi.secrets import vaulted_values

ADMIN_GROUP = SSHD["admin_group"]  # the intent's NET-3 decision


pytestmark = [
    pytest.mark.lab, pytest.mark.slow,
    pytest.mark.skipif(not _image_exists(),
                       reason=f"lab image {IMAGE} not built (beffroi lab); nothing to run on"),
]


def _lab_sshd_config(site: SiteUnderTest, host: str) -> str:
    """The sshd_config a lab host gets (root by key for a controller connecting as root)."""
    out = next(o for o in site_files(site.ctx) if o.relpath == f"{host}/sshd_config")
    variant = lab_variant(out)
    assert variant is not None
    return render_file(site.ctx, variant)


def _install_rendered(name: str, site: SiteUnderTest, host: str) -> None:
    """Every rendered file of `host` at its destination, with the intent's owner and mode."""
    for f in site_files(site.ctx):
        if f.host != host or not f.dest:
            continue
        _podman("exec", "-i", name, "sh", "-c",
                f"getent group {f.group} >/dev/null || groupadd -r {f.group}; "
                f"mkdir -p $(dirname {f.dest}) && cat > {f.dest} && "
                f"chown {f.owner}:{f.group} {f.dest} && chmod {f.mode} {f.dest}",
                stdin=site.files[f.relpath])


def _harden_like_role_common(name: str, sshd_config: str) -> None:
    """sshd_config and the administrators' group, as role common leaves them (its sudoers file
    is one of the intent's files: `_install_rendered` put it in place)."""
    _podman("exec", "-i", name, "sh", "-c",
            "mkdir -p /run/sshd && cat > /etc/ssh/sshd_config && chmod 0600 /etc/ssh/sshd_config",
            stdin=sshd_config)
    _podman("exec", name, "sh", "-c", f"groupadd -r -f {ADMIN_GROUP}")


def _converge_like_the_firewall_role(name: str, site: SiteUnderTest, lab: bool = False) -> None:
    """Files at their destinations, ruleset loaded, chrony and the WireGuard spoke running."""
    wg = site.ctx["wireguard"]["interface"]
    fw = site.ctx["firewall"]["hostname"]
    _install_rendered(name, site, fw)
    _harden_like_role_common(name, _lab_sshd_config(site, fw) if lab
                             else site.files[f"{fw}/sshd_config"])
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


@pytest.fixture
def firewall(evrange: SiteUnderTest) -> Iterator[str]:
    """A running container converged like Évrange's firewall, with no network; removed after."""
    with converged("beffroi-drift-test",
                   lambda name: _converge_like_the_firewall_role(name, evrange)) as name:
        yield name


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
    with reachable("beffroi-drift-ssh", tmp_path) as box:
        moselle.set("department.yml", ("defaults", "admin_networks"), [box.subnet])
        inv = load_inventory(moselle.root)
        site = SiteUnderTest("evrange", site_intent(inv, "evrange", True).context(),
                             {o.relpath: t for o, t in render_site(inv, "evrange", True).items()})
        _converge_like_the_firewall_role(box.name, site, lab=True)
        authorize(box)   # root logs in by key (the lab's sshd_config allows it)
        eps = write_endpoints(tmp_path / "endpoints.yml", {
            site.ctx["firewall"]["hostname"]: {
                "host": box.addr, "username": "root", "ssh_key": str(box.key),
                "check_host_key": False, "lab": True}})
        args = ["drift", "--inventory", str(moselle.root), "--site", site.slug, "--kind",
                "firewall", "--endpoints", str(eps), "--format", "json"]
        clean = cli(args)
        assert clean.exit_code == 0, clean.json()["devices"][0]["detail"]
        _sh(box.name, "nft add rule inet beffroi input tcp dport 23 accept")
        (dev,) = cli(args).json()["devices"]
        assert dev["status"] == "drifted" and "NET-1" in dev["rules"]


@pytest.fixture
def nvr(evrange: SiteUnderTest) -> Iterator[str]:
    """A container holding Évrange's rendered NVR files at their destinations."""
    nvr_host = evrange.ctx["nvr"]["hostname"]

    def converge(name: str) -> None:
        _install_rendered(name, evrange, nvr_host)
        _harden_like_role_common(name, evrange.files[f"{nvr_host}/sshd_config"])

    with converged("beffroi-drift-nvr", converge) as name:
        yield name


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


# --- what an intruder would do (issue 12): each must be drift, with its rule id -------------

def _drifted(cli: Any, tmp_path: Path, site: SiteUnderTest, container: str) -> dict[str, Any]:
    res = _drift(cli, tmp_path, site, container)
    (dev,) = res.json()["devices"]
    assert res.exit_code == 1 and dev["status"] == "drifted", dev["detail"]
    return dict(dev)


@pytest.mark.parametrize("table, script", [
    ("ip copycat", "nft add table ip copycat && nft add chain ip copycat pre "
                   "'{ type filter hook prerouting priority -300; }' && nft add rule ip copycat "
                   "pre ip saddr 10.57.0.64/27 dup to 203.0.113.9"),
    ("ip portfwd", "nft add table ip portfwd && nft add chain ip portfwd pre "
                   "'{ type nat hook prerouting priority -100; }' && nft add rule ip portfwd pre "
                   "tcp dport 2222 dnat to 10.57.0.99:22"),
    ("netdev tap", "nft add table netdev tap"),
])
def test_extra_nftables_table_is_drift_on_net_1(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path, table: str,
        script: str) -> None:
    """The whole loaded ruleset is compared, not only the rendered tables."""
    _sh(firewall, script)
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert "NET-1" in dev["rules"]
    assert f"extra nftables table {table}, not in the rendered ruleset" in dev["detail"]
    assert f"-table {table} {{" in dev["diff"]


@pytest.mark.parametrize("change, words", [
    ("allowed-ips 0.0.0.0/0", "hub peer allowed ips is 0.0.0.0/0, intended 10.58.0.1/32"),
    ("endpoint 203.0.113.7:51820", "hub peer endpoint is 203.0.113.7:51820, intended"),
    ("persistent-keepalive 0", "hub peer keepalive is off, intended 25"),
    ("preshared-key /tmp/psk", "hub peer preshared key differs"),
])
def test_changed_wireguard_hub_peer_field_is_drift_on_net_2_without_keys(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path, change: str,
        words: str) -> None:
    wg = evrange.ctx["wireguard"]
    psk = _sh(firewall, "wg genpsk | tee /tmp/psk").strip()
    _sh(firewall, f"wg set {wg['interface']} peer {wg['hub']['public_key']} {change}")
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert "NET-2" in dev["rules"] and words in dev["detail"], dev["detail"]
    assert psk not in json.dumps(dev) and wg["private_key"] not in json.dumps(dev)


def test_extra_wireguard_peer_is_drift_on_net_2_without_its_key(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path) -> None:
    wg = evrange.ctx["wireguard"]
    key = _sh(firewall, "wg genkey | wg pubkey").strip()
    _sh(firewall, f"wg set {wg['interface']} peer {key} allowed-ips 10.57.0.64/27 "
                  "endpoint 203.0.113.8:51820")
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert "NET-2" in dev["rules"]
    assert ("extra WireGuard peer (neither the crisis-cell hub nor a monitoring host the intent "
            "declares), allowed IPs 10.57.0.64/27") in dev["detail"]
    assert key not in json.dumps(dev)


@pytest.mark.parametrize("script, words", [
    ("sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config",
     "sshd permitrootlogin is yes, intended no"),
    ("sed -i '1i PasswordAuthentication yes' /etc/ssh/sshd_config",
     "sshd passwordauthentication is yes, intended no"),
    ("sed -i 's/^AllowTcpForwarding .*/AllowTcpForwarding yes/' /etc/ssh/sshd_config",
     "sshd allowtcpforwarding is yes, intended no"),
])
def test_changed_effective_sshd_setting_is_drift_on_net_3(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path, script: str,
        words: str) -> None:
    _sh(firewall, script)
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert "NET-3" in dev["rules"] and words in dev["detail"], dev["detail"]


@pytest.mark.parametrize("script, words", [
    ("useradd -o -u 0 -M toor", "account toor has uid 0 (only root may)"),
    ("useradd -M intruder && usermod -aG sudo intruder",
     "account intruder is a member of group sudo"),
    (f"useradd -M intruder && usermod -aG {ADMIN_GROUP} intruder",
     f"account intruder is a member of group {ADMIN_GROUP}"),
    ("echo 'intruder ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/90-intruder",
     "/etc/sudoers.d/90-intruder is not Beffroi's"),
    ("echo 'ALL ALL=(ALL) NOPASSWD: ALL' >> /etc/sudoers",
     "/etc/sudoers grants more than Debian's defaults: ALL ALL=(ALL) NOPASSWD: ALL"),
    (f"echo 'ALL ALL=(ALL) NOPASSWD: ALL' >> /etc/sudoers.d/{hostsec.SUDOERS_FILE}",
     f"/etc/sudoers.d/{hostsec.SUDOERS_FILE} grants more than role common's line"),
])
def test_extra_root_or_sudo_account_is_drift_on_net_3(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path, script: str,
        words: str) -> None:
    _sh(firewall, script)
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert "NET-3" in dev["rules"] and words in dev["detail"], dev["detail"]


def test_loosened_mode_or_owner_of_a_rendered_file_is_drift_on_its_rule(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path) -> None:
    wg = evrange.ctx["wireguard"]["interface"]
    _sh(firewall, f"chmod 0644 /etc/wireguard/{wg}.conf && chown nobody /etc/nftables.conf")
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert {"NET-1", "NET-2"} <= set(dev["rules"])
    assert f"/etc/wireguard/{wg}.conf is root:root 0644, intended root:root 0600" \
        in dev["detail"]
    assert "/etc/nftables.conf is nobody:root 0600, intended root:root 0600" in dev["detail"]


def _nvr_args(evrange: SiteUnderTest, nvr: str, tmp_path: Path) -> list[str]:
    eps = write_endpoints(tmp_path / "endpoints.yml", {
        evrange.ctx["nvr"]["hostname"]: {"host": f"@podman/{nvr}"}})
    return ["drift", "--site", evrange.slug, "--kind", "nvr", "--endpoints", str(eps)]


def test_world_readable_recorder_config_is_drift(evrange: SiteUnderTest, nvr: str, cli: Any,
                                                 tmp_path: Path) -> None:
    _sh(nvr, "chmod o+r /etc/beffroi/recorder.toml")
    (dev,) = cli([*_nvr_args(evrange, nvr, tmp_path), "--format", "json"]).json()["devices"]
    assert dev["status"] == "drifted" and "RET-1" in dev["rules"]
    assert "/etc/beffroi/recorder.toml is root:beffroi-recorder 0644, intended " \
           "root:beffroi-recorder 0640" in dev["detail"]


@pytest.mark.parametrize("fmt", [["--format", "json"], ["--format", "text", "--diff"],
                                 ["--format", "text"]])
def test_a_changed_secret_is_never_printed_not_even_its_new_live_value(
        evrange: SiteUnderTest, nvr: str, cli: Any, tmp_path: Path, fmt: list[str]) -> None:
    """Camera passwords in recorder.toml and the NUT password replaced by new values: every
    output format masks the old (vaulted) and the new (live) value alike."""
    new = "N3wLiveSecretValue42"
    _sh(nvr, f"sed -i 's#rtsp://\\([^:]*\\):[^@]*@#rtsp://\\1:{new}@#' /etc/beffroi/recorder.toml"
             f" && sed -i 's/^\\(MONITOR \\S* \\S* \\S*\\) \\S*/\\1 {new}/' /etc/nut/upsmon.conf"
             f" && sed -i 's/password = .*/password = {new}/' /etc/nut/upsd.users")
    res = cli([*_nvr_args(evrange, nvr, tmp_path), *fmt])
    assert res.exit_code == 1
    out = res.stdout
    assert "recorder.toml" in out and new not in out
    for value in vaulted_values(evrange.ctx):
        assert value not in out
    if "--diff" in fmt or "json" in fmt:
        assert "<vault>" in out and "upsmon.conf" in out


@pytest.mark.parametrize("name", sorted({**intruder.FIREWALL, **intruder.LINUX}))
def test_every_intrusion_of_the_lab_catalogue_is_found_on_the_firewall(
        evrange: SiteUnderTest, firewall: str, cli: Any, tmp_path: Path, name: str) -> None:
    """The catalogue the lab's end-to-end test injects (tests/network/intruder.py)."""
    script, rule, words = {**intruder.FIREWALL, **intruder.LINUX}[name]
    _sh(firewall, script)
    dev = _drifted(cli, tmp_path, evrange, firewall)
    assert rule in dev["rules"] and words in dev["detail"], dev["detail"]


@pytest.mark.parametrize("name", sorted({**intruder.NVR, **intruder.LINUX}))
def test_every_intrusion_of_the_lab_catalogue_is_found_on_the_nvr(
        evrange: SiteUnderTest, nvr: str, cli: Any, tmp_path: Path, name: str) -> None:
    script, rule, words = {**intruder.NVR, **intruder.LINUX}[name]
    _sh(nvr, script)
    res = cli([*_nvr_args(evrange, nvr, tmp_path), "--format", "json"])
    (dev,) = res.json()["devices"]
    assert dev["status"] == "drifted" and rule in dev["rules"] and words in dev["detail"], \
        dev["detail"]
