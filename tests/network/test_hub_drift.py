"""Drift of the crisis-cell hub (`beffroi drift --site crisis-cell`) and of the monitoring host
(`--site monitoring`) on throwaway podman systemd containers of the lab image, with no network
at all (`--network none`).

The container is converged as roles crisis_cell and common leave the hub: every file of the
hub's intent at its destination with its owner and mode (drift's own rendering, which
tests/unit checks against the renderer), the viewer's and the wall's accounts, the WireGuard hub
up (wireguard-go), chrony measuring only, the viewer's timer and the wall running. The wall's
venv is not built here (offline pip install of the bundled package): a stand-in program at its
path keeps the unit running. The monitoring host gets its files, its tunnels and chrony (the
lab image of main has no Prometheus: what is shown there is its files' and peers' drift).
pyinfra reaches them with its podman connector (`@podman/NAME`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_container import BOOTED, authorize, converged, reachable
from lab_container import image_exists as _image_exists
from lab_container import podman as _podman
from lab_container import sh as _sh
from network_kit import MOSELLE, REPO, write_endpoints

from beffroi.drift.department import HostIntent, host_intent
from beffroi.intent import SSHD
from beffroi.inventory import load_inventory
from beffroi.monitoring import daemon_args
from beffroi.render import CRISIS_CELL, MONITORING

ADMIN_GROUP = SSHD["admin_group"]  # the intent's NET-3 decision

pytestmark = [
    pytest.mark.lab, pytest.mark.slow,
    pytest.mark.skipif(not _image_exists(), reason="lab image not built (beffroi lab)"),
]


@pytest.fixture(scope="module")
def hub_intent() -> HostIntent:
    return host_intent(load_inventory(MOSELLE), CRISIS_CELL)


def _install(name: str, host: HostIntent) -> None:
    """Every file of the host's intent at its destination, with its owner and mode."""
    for out, text in host.files:
        _podman("exec", "-i", name, "sh", "-c",
                f"mkdir -p $(dirname {out.dest}) && cat > {out.dest} && "
                f"chown {out.owner}:{out.group} {out.dest} && chmod {out.mode} {out.dest}",
                stdin=text)


# wg-quick on wireguard-go (no kernel module in a container), chronyd measuring only
_USERSPACE_WG_AND_CHRONY = (
    "mkdir -p /etc/systemd/system/wg-quick@{wg}.service.d && "
    "printf '[Service]\\nEnvironment=WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go\\n'"
    " > /etc/systemd/system/wg-quick@{wg}.service.d/userspace.conf && "
    "echo 'DAEMON_OPTS=\"-F 1 -x\"' > /etc/default/chrony && "
    "mkdir -p /etc/systemd/system/chrony.service.d && printf "
    "'[Unit]\\nConditionCapability=\\n' > /etc/systemd/system/chrony.service.d/beffroi.conf && "
    "systemctl daemon-reload && systemctl restart chrony && systemctl start wg-quick@{wg}")


def _converge_like_the_crisis_cell_role(name: str, hub: HostIntent) -> None:
    ctx = hub.ctx
    users = [ctx["viewer"]["user"], *([ctx["wall"]["user"]] if ctx.get("wall") else [])]
    paths = ctx["paths"]
    _sh(name, BOOTED + "".join(f"useradd -r -M -s /usr/sbin/nologin {u}; " for u in users)
              + f"usermod -aG {ctx['viewer']['user']} {users[-1]}; "
              f"groupadd -r -f {ADMIN_GROUP}; mkdir -p /run/sshd "
              f"{paths['viewer_state_dir']} {paths['wall_state_dir']} {paths['wall_key_dir']}")
    _install(name, hub)
    _sh(name, f"printf '#!/bin/sh\\nexec sleep infinity\\n' > {paths['viewer_program']} && "
              f"chmod 0755 {paths['viewer_program']} && mkdir -p {paths['wall_venv']}/bin && "
              f"cp {paths['viewer_program']} {paths['wall_venv']}/bin/recorder && "
              + _USERSPACE_WG_AND_CHRONY.format(wg=ctx["interface"])
              + " && systemctl start beffroi-viewer.timer beffroi-wall")


@pytest.fixture
def hub(hub_intent: HostIntent) -> Iterator[str]:
    """A running container converged like the crisis-cell hub, with no network; removed after."""
    with converged("beffroi-drift-hub",
                   lambda name: _converge_like_the_crisis_cell_role(name, hub_intent)) as name:
        yield name


def _drift(cli: Any, tmp_path: Path, host: HostIntent, container: str
           ) -> tuple[Any, dict[str, Any]]:
    eps = write_endpoints(tmp_path / "endpoints.yml", {host.host: {"host": f"@podman/{container}"}})
    res = cli(["drift", "--site", host.site, "--endpoints", str(eps), "--format", "json",
               "--inventory", str(MOSELLE)])
    (dev,) = res.json()["devices"]
    return res, dict(dev)


def test_converged_hub_has_no_drift(hub_intent: HostIntent, hub: str, cli: Any,
                                    tmp_path: Path) -> None:
    res, dev = _drift(cli, tmp_path, hub_intent, hub)
    assert res.exit_code == 0, (dev["detail"], dev["diff"])
    assert dev["site"] == "crisis-cell" and dev["kind"] == "crisis_cell"
    assert dev["status"] == "ok" and "peers" in dev["detail"]


def test_edited_viewer_config_is_drift_on_acc_4_and_relay_passwords_stay_masked(
        hub_intent: HostIntent, hub: str, cli: Any, tmp_path: Path) -> None:
    """A changed timeout and a relay password replaced by a new value: drift, and neither the
    vaulted nor the new live password is printed."""
    config, new = hub_intent.ctx["paths"]["viewer_config"], "N3wLiveRelaySecret42"
    first = hub_intent.ctx["peers"][0]["relay_password"]
    _sh(hub, f"sed -i 's/\"timeout\": [0-9]*/\"timeout\": 99/; s/{first}/{new}/' {config}")
    res, dev = _drift(cli, tmp_path, hub_intent, hub)
    assert res.exit_code == 1 and "ACC-4" in dev["rules"], dev["detail"]
    assert f"{config} differs" in dev["detail"]
    assert '-  "timeout": 99,' in dev["diff"] and "<vault>" in dev["diff"]
    assert new not in res.stdout
    for peer in hub_intent.ctx["peers"]:
        assert peer["relay_password"] not in res.stdout


def test_extra_wireguard_peer_on_the_hub_is_drift_on_net_2_without_its_key(
        hub_intent: HostIntent, hub: str, cli: Any, tmp_path: Path) -> None:
    key = _sh(hub, "wg genkey | wg pubkey").strip()
    _sh(hub, f"wg set {hub_intent.ctx['interface']} peer {key} allowed-ips 10.57.0.64/27 "
             "endpoint 203.0.113.8:51820")
    res, dev = _drift(cli, tmp_path, hub_intent, hub)
    assert res.exit_code == 1 and "NET-2" in dev["rules"], dev["detail"]
    assert ("extra WireGuard peer (not a commune's spoke the intent declares), allowed IPs "
            "10.57.0.64/27") in dev["detail"]
    assert key not in json.dumps(dev) and hub_intent.ctx["private_key"] not in res.stdout


def test_a_commune_spoke_removed_from_the_hub_is_drift_on_net_2(
        hub_intent: HostIntent, hub: str, cli: Any, tmp_path: Path) -> None:
    peer = hub_intent.ctx["peers"][0]
    _sh(hub, f"wg set {hub_intent.ctx['interface']} peer {peer['public_key']} remove")
    res, dev = _drift(cli, tmp_path, hub_intent, hub)
    assert res.exit_code == 1 and "NET-2" in dev["rules"]
    assert f"the spoke of {peer['slug']} is not a WireGuard peer" in dev["detail"]


def test_stopped_wall_is_drift_on_acc_4(hub_intent: HostIntent, hub: str, cli: Any,
                                        tmp_path: Path) -> None:
    _sh(hub, "systemctl stop beffroi-wall")
    res, dev = _drift(cli, tmp_path, hub_intent, hub)
    assert res.exit_code == 1 and "ACC-4" in dev["rules"]
    assert "service beffroi-wall is inactive" in dev["detail"]


# --- the monitoring host ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def monitoring_intent() -> HostIntent:
    return host_intent(load_inventory(MOSELLE), MONITORING)


@pytest.fixture
def monitoring(monitoring_intent: HostIntent) -> Iterator[str]:
    """A container holding the monitoring host's files, its tunnels up and chrony running."""
    def converge(name: str) -> None:
        _sh(name, BOOTED + f"groupadd -r -f {ADMIN_GROUP}; mkdir -p /run/sshd")
        _install(name, monitoring_intent)
        _sh(name, _USERSPACE_WG_AND_CHRONY.format(
            wg=monitoring_intent.ctx["wireguard"]["interface"]))

    with converged("beffroi-drift-mon", converge) as name:
        yield name


def test_monitoring_host_files_and_peers_match_but_a_missing_prometheus_is_drift(
        monitoring_intent: HostIntent, monitoring: str, cli: Any, tmp_path: Path) -> None:
    """Files, modes, sshd, accounts and the tunnels as intended. The handshakes' timer is the
    role's own file, not installed here, nor is Prometheus' stack in main's lab image (started
    where the image has it): those services (and only they) are drift, each on its rule."""
    stack = list(daemon_args())
    present = _sh(monitoring, f"for u in {' '.join(stack)}; do systemctl cat $u.service "
                              ">/dev/null 2>&1 && systemctl restart $u && echo $u; done; "
                              "true").split()
    res, dev = _drift(cli, tmp_path, monitoring_intent, monitoring)
    assert res.exit_code == 1 and dev["site"] == "monitoring" and dev["kind"] == "monitoring"
    absent = ["beffroi-wg-handshakes.timer", *(u for u in stack if u not in present)]
    assert set(dev["detail"].split("; ")) == {f"service {u} is inactive" for u in absent}, \
        dev["detail"]
    assert dev["rules"] == sorted({"NET-2", *(["ENG-MONITORING"] if len(present) < len(stack)
                                             else [])}) and dev["diff"] == ""


def test_edited_prometheus_config_and_extra_peer_on_the_monitoring_host_are_drift(
        monitoring_intent: HostIntent, monitoring: str, cli: Any, tmp_path: Path) -> None:
    conf = monitoring_intent.ctx["paths"]["prometheus_conf"]
    wg = monitoring_intent.ctx["wireguard"]
    key = _sh(monitoring, "wg genkey | wg pubkey").strip()
    _sh(monitoring, f"echo '# scrape elsewhere' >> {conf} && wg set {wg['interface']} peer "
                    f"{key} allowed-ips 10.57.0.64/27")
    res, dev = _drift(cli, tmp_path, monitoring_intent, monitoring)
    assert {"ENG-MONITORING", "NET-2"} <= set(dev["rules"]), dev["detail"]
    assert f"{conf} differs" in dev["detail"] and "-# scrape elsewhere" in dev["diff"]
    assert "extra WireGuard peer (not a commune's spoke the intent declares), allowed IPs " \
        "10.57.0.64/27" in dev["detail"]
    assert key not in json.dumps(dev) and wg["private_key"] not in res.stdout


# --- role common itself on the department's hosts ---------------------------------------------

@pytest.mark.parametrize("site", [CRISIS_CELL, MONITORING])
def test_role_common_leaves_on_a_department_host_the_bytes_drift_expects(
        site: str, cli: Any, tmp_path: Path) -> None:
    """Role common, run by Ansible through the real inventory plugin and vault against a
    throwaway container (an --internal podman network of this test: nothing leaves it), writes
    the host's sshd_config, chrony.conf, journald, apt and sudoers files byte for byte as drift
    renders them (a host with no commune: role common's own context), with their modes."""
    host = host_intent(load_inventory(MOSELLE), site)
    with reachable("beffroi-drift-common", tmp_path) as box:
        authorize(box)
        play = tmp_path / "common.yml"
        play.write_text(json.dumps([{"hosts": host.host, "roles": ["common"]}]),
                        encoding="utf-8")
        env = {**{k: v for k, v in os.environ.items() if k != "ANSIBLE_VAULT_PASSWORD_FILE"},
               "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
               "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [str(Path(sys.executable).with_name("ansible-playbook")), str(play), "-l", host.host,
             "-e", json.dumps({"ansible_host": box.addr, "ansible_user": "root",
                               "ansible_ssh_private_key_file": str(box.key),
                               "beffroi_lab": f"ddrift-{box.tag}"})],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        eps = write_endpoints(tmp_path / "endpoints.yml", {host.host: {
            "host": box.addr, "username": "root", "ssh_key": str(box.key),
            "check_host_key": False, "lab": True}})
        res = cli(["drift", "--site", site, "--endpoints", str(eps), "--format", "json",
                   "--inventory", str(MOSELLE)])
        (dev,) = res.json()["devices"]
        for out, _ in host.files:
            if out.role == "common":
                assert not any(w in dev["detail"] for w in (
                    f"{out.dest} differs", f"{out.dest} missing", f"{out.dest} is ")), \
                    dev["detail"]
        assert "sshd " not in dev["detail"] and "account " not in dev["detail"], dev["detail"]
        assert "service chrony" not in dev["detail"]
