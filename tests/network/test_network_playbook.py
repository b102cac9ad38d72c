"""playbooks/network.yml (roles switch + camera) against the loopback simulators.

Same peers as test_switch.py / test_camera.py (fake-switches; ipycam with the test-code setters
of onvif_sim_ext.py). The play is limited (-l) to the devices the endpoints file lists.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from network_kit import REPO, SiteUnderTest, write_endpoints
from network_peers import ONVIF_PYTHON, fake_switches, onvif_camera

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ONVIF_PYTHON.exists(),
                       reason="ONVIF peer not installed: run scripts/install-onvif-sim.sh"),
]
PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))


def _play(endpoints: Path, hosts: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BEFFROI_ENDPOINTS": str(endpoints),
           "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run([PLAYBOOK, "playbooks/network.yml", "-l", hosts, *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def _recap(out: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host."""
    rows = re.findall(r"^(\S+)\s+:\s+(.*)$", out.split("PLAY RECAP", 1)[1], re.M)
    return {host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
            for host, counts in rows}


def test_network_play_converges_then_is_idempotent_and_check_diff_shows_hand_drift(
        evrange: SiteUnderTest, tmp_path: Path) -> None:
    sw = evrange.ctx["switch"]
    cam = f"{evrange.slug}-cam-mairie-narrow"
    hosts = f"{sw['hostname']},{cam}"
    with fake_switches(sw["credentials"], [p["name"] for p in sw["ports"]]) as switch, \
            onvif_camera(1280, 720, 10, 2048, masks=True) as camera:
        eps = write_endpoints(tmp_path / "endpoints.yml", {
            sw["hostname"]: {"host": "127.0.0.1", "port": switch.ports[0],
                             "profile": "fake-switches"},
            cam: {"host": "127.0.0.1", "port": camera.port}})
        first = _play(eps, hosts)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
        recap = _recap(first.stdout)
        assert recap[sw["hostname"]]["changed"] == 1 and recap[cam]["changed"] == 1

        second = _play(eps, hosts)
        assert second.returncode == 0
        assert all(r["changed"] == 0 and r["failed"] == 0
                   for r in _recap(second.stdout).values()), second.stdout[-3000:]

        from netmiko import ConnectHandler
        conn = ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=switch.ports[0],
                              username=switch.username, password=switch.password,
                              secret=switch.enable, fast_cli=True)
        conn.enable()
        conn.send_config_set(["vlan 666", " name ROGUE", " exit"], exit_config_mode=False)
        conn.disconnect()
        check = _play(eps, hosts, "--check", "--diff")
        assert check.returncode == 0
        assert _recap(check.stdout)[sw["hostname"]]["changed"] == 1
        assert "-vlan 666" in check.stdout


def test_device_missing_from_the_endpoints_file_is_refused_not_contacted(
        evrange: SiteUnderTest, tmp_path: Path) -> None:
    eps = write_endpoints(tmp_path / "endpoints.yml", {"some-other-host": {"host": "127.0.0.1"}})
    res = _play(eps, evrange.ctx["switch"]["hostname"])
    assert res.returncode != 0
    assert "not in the endpoints file" in res.stdout
