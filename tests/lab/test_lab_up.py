"""`beffroi lab up` for Évrange: real systemd hosts, addressed from the model, reached by SSH.

Before any role runs: what these tests prove is the lab's own shape (networks, addresses,
routes, isolation of --internal networks), not the firewall (the firewall role's tests do).
"""

from __future__ import annotations

import json
import os
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from lab_kit import LAB, Bystander, Lab

from beffroi.inventory import Inventory
from beffroi.lab import hostroutes, podman
from beffroi.lab.access import ssh_command
from beffroi.lab.lifecycle import down, status, up
from beffroi.lab.topology import HostSpec

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]


def _sh(container: str, script: str, timeout: float = 60) -> podman.Result:
    return podman.exec_in(container, ["sh", "-c", script], check=False, timeout=timeout)


def _can_connect(src: str, dst: IPv4Address, port: int = 22) -> bool:
    """TCP connect from inside a container (netcat, 2 s timeout)."""
    return _sh(src, f"nc -z -w 2 {dst} {port}").returncode == 0


def test_every_host_boots_systemd_as_pid_1(evrange_lab: Lab) -> None:
    for host in evrange_lab.topo.hosts:
        res = _sh(host.container, "timeout 60 systemctl is-system-running --wait")
        state = res.stdout.strip()
        failed = _sh(host.container, "systemctl --failed --no-legend --plain").stdout
        assert state in ("running", "degraded"), f"{host.container}: {state!r}; failed: {failed}"
        assert _sh(host.container, "cat /proc/1/comm").stdout.strip() == "systemd"


CAP_SYS_TIME = 25  # linux/capability.h


def test_chrony_runs_but_no_host_can_set_the_clock(evrange_lab: Lab) -> None:
    """Time is not namespaced: a lab host must never steer the machine's clock."""
    for host in evrange_lab.topo.hosts:
        cap_bnd = _sh(host.container, "awk '/^CapBnd/ {print $2}' /proc/1/status").stdout
        assert not int(cap_bnd, 16) & (1 << CAP_SYS_TIME), host.container
        assert _sh(host.container, "systemctl is-active chrony").stdout.strip() == "active"
        cmdline = _sh(host.container, "cat /proc/$(pidof chronyd | cut -d' ' -f1)/cmdline")
        assert "-x" in cmdline.stdout.split("\0"), host.container


def test_lab_key_opens_ssh_as_root_on_every_host(evrange_lab: Lab) -> None:
    key = evrange_lab.first_up.key
    for host in evrange_lab.topo.hosts:
        res = subprocess.run([*ssh_command(host, key), "hostname"], capture_output=True,
                             text=True, timeout=30, check=False)
        assert res.returncode == 0, f"{host.container}: {res.stderr}"
        assert res.stdout.strip() == host.hostname


def test_ssh_logins_start_no_user_manager(evrange_lab: Lab) -> None:
    """A login must not start user@0: here its stop is never seen, stalling the next login."""
    host = evrange_lab.topo.host("evrange-nvr")
    subprocess.run([*ssh_command(host, evrange_lab.first_up.key), "true"], timeout=60,
                   check=True)
    units = _sh(host.container, "systemctl list-units --all --no-legend --plain 'user@*'")
    assert units.stdout.strip() == ""


def _addresses(container: str) -> set[str]:
    out = _sh(container, "ip -4 -o addr show scope global").stdout
    return {line.split()[3].split("/")[0] for line in out.splitlines()}


def test_addresses_are_the_model_addresses(evrange_lab: Lab, moselle_model: Inventory) -> None:
    site = moselle_model.sites["evrange"]
    cc = moselle_model.crisis_cell
    assert cc is not None
    expected = {
        f"{LAB}-{site.firewall.hostname}": {str(site.firewall.camera_ip),
                                             str(site.firewall.management_ip),
                                             str(site.network.wan_address.ip)},
        f"{LAB}-{site.nvr.hostname}": {str(site.nvr.ip)},
        f"{LAB}-{cc.hostname}": {str(cc.wan_address.ip)},
        f"{LAB}-{site.workstation.hostname}": {str(site.workstation.ip)},
    }
    dept = moselle_model.department
    assert dept is not None and dept.monitoring is not None
    expected[f"{LAB}-{dept.monitoring.hostname}"] = {str(dept.monitoring.wan_address.ip)}
    for container, addrs in expected.items():
        assert _addresses(container) == addrs, container
    camhost = _addresses(f"{LAB}-evrange-camhost")
    assert len(camhost) == 1
    assert IPv4Address(camhost.pop()) in site.network.camera_vlan.subnet


def test_nvr_and_camera_host_route_through_the_firewall(evrange_lab: Lab,
                                                        moselle_model: Inventory) -> None:
    fw = moselle_model.sites["evrange"].firewall
    nvr_route = _sh(f"{LAB}-evrange-nvr", "ip -4 route show default").stdout
    cam_route = _sh(f"{LAB}-evrange-camhost", "ip -4 route show default").stdout
    assert f"via {fw.management_ip}" in nvr_route
    assert f"via {fw.camera_ip}" in cam_route
    assert _sh(f"{LAB}-evrange-fw", "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"


def test_camera_host_cannot_reach_the_crisis_cell(evrange_lab: Lab,
                                                  moselle_model: Inventory) -> None:
    """NET-1 baseline: no path from the camera VLAN to the WAN, even before the firewall role."""
    cc = moselle_model.crisis_cell
    assert cc is not None
    fw = f"{LAB}-evrange-fw"
    # Control: the crisis cell's sshd answers on the WAN (so a refusal below means something).
    assert _can_connect(fw, cc.wan_address.ip)
    assert not _can_connect(f"{LAB}-evrange-camhost", cc.wan_address.ip)
    assert _sh(f"{LAB}-evrange-camhost", f"ping -c 1 -W 2 {cc.wan_address.ip}").returncode != 0


def test_host_does_not_route_between_internal_networks(evrange_lab: Lab,
                                                       moselle_model: Inventory) -> None:
    """The host's bridge address is no way out: --internal networks are not forwarded."""
    cc = moselle_model.crisis_cell
    assert cc is not None
    camhost = f"{LAB}-evrange-camhost"
    bridge = evrange_lab.topo.network("camera", "evrange").gateway
    _sh(camhost, f"ip route replace {cc.wan_address.ip}/32 via {bridge}")
    try:
        assert not _can_connect(camhost, cc.wan_address.ip)
    finally:
        _sh(camhost, f"ip route del {cc.wan_address.ip}/32")


def test_pools_are_blackholed_on_the_host_while_up(evrange_lab: Lab) -> None:
    for pool in evrange_lab.topo.blackholes:
        assert hostroutes.present(pool), pool


def _lab_env() -> dict[str, str]:
    """The lab's Ansible configuration (test vault password), selected explicitly."""
    return {**os.environ, "ANSIBLE_CONFIG": str(Path("lab/ansible.cfg").resolve())}


def test_ansible_inventory_override_points_at_the_lab(evrange_lab: Lab) -> None:
    inv = evrange_lab.first_up.inventory
    res = subprocess.run([".venv/bin/ansible-inventory", "-i", str(evrange_lab.inventory),
                          "-i", str(inv), "--host", "evrange-nvr"], capture_output=True, text=True,
                         timeout=120, check=True, env=_lab_env())
    hostvars = json.loads(res.stdout)
    assert hostvars["ansible_host"] == str(evrange_lab.topo.host("evrange-nvr").ssh_ip)
    assert hostvars["ansible_user"] == "root"
    assert hostvars["beffroi_site"] == "evrange"  # still the model's own variables


def test_ansible_pings_the_commune_and_crisis_cell_over_ssh(evrange_lab: Lab) -> None:
    inv = evrange_lab.first_up.inventory
    res = subprocess.run([".venv/bin/ansible", "-i", str(evrange_lab.inventory), "-i", str(inv),
                          "firewall:nvr:workstation:crisis_cell:monitoring",
                          "-l", "commune_evrange:crisis_cell:monitoring",
                          "-m", "ansible.builtin.ping", "-o"], capture_output=True, text=True,
                         timeout=180, check=False, env=_lab_env())
    assert res.returncode == 0, res.stdout + res.stderr
    # the workstation and the monitoring host by their groups (playbooks/workstation.yml and
    # monitoring.yml target them), reached at their lab addresses
    for host in ("evrange-fw", "evrange-nvr", "evrange-ws", "cdc57-hub", "mf57-supervision"):
        assert f"{host} | SUCCESS" in res.stdout


def test_second_up_creates_nothing_and_keeps_the_containers(evrange_lab: Lab) -> None:
    before = {h.container: podman.inspect_container(h.container)["Id"]
              for h in evrange_lab.topo.hosts}
    again = up(evrange_lab.topo, lambda _: None)
    assert again.created == []
    after = {h: podman.inspect_container(h)["Id"] for h in before}
    assert after == before
    assert len(status(LAB)) == len(evrange_lab.topo.hosts)


def _remaining(host: HostSpec) -> bool:
    return podman.container_exists(host.container)


def test_down_removes_the_lab_and_nothing_else(evrange_lab: Lab, bystander: Bystander) -> None:
    topo = evrange_lab.topo
    res = down(LAB, lambda _: None)
    assert sorted(res.containers) == sorted(h.container for h in topo.hosts)
    assert sorted(res.networks) == sorted(n.name for n in topo.networks)
    assert not any(_remaining(h) for h in topo.hosts)
    assert not any(podman.network_exists(n.name) for n in topo.networks)
    assert podman.inspect_container(bystander.container)["State"]["Running"]
    assert podman.network_exists(bystander.network)
    still_needed = {p for p in topo.blackholes if hostroutes.present(p)}
    assert still_needed <= set(_routes_of_other_labs())
    assert status(LAB) == []


def _routes_of_other_labs() -> list[object]:
    from beffroi.lab.paths import cache_dir

    root = cache_dir() / "labs"
    return [n for d in root.iterdir() if d.is_dir() and d.name != LAB
            for n in hostroutes.recorded(d)] if root.is_dir() else []
