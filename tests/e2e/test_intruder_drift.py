"""Drift sees what an intruder does (issue 12), on the commune the demo deployed in the lab.

The catalogue is h12drift's (tests/network/intruder.py): the same injections its container tests
make, here on the deployed lab hosts and simulated cameras, found by `beffroi drift` through
the lab's endpoints. Runs after test_demo_lab.py (the lab is left dirty; the session's fixture
takes it down). Switch lines (snmp-server community, username, enable password, vty) cannot be
injected here: fake-switches refuses those commands, so h12drift tests them on the configuration
comparison only.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_kit import SLUG, Deployed

from beffroi.intent import site_intent
from beffroi.lab import podman
from beffroi.lab.access import ENDPOINTS_FILE
from beffroi.lab.paths import state_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "network"))
import intruder

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]
BIN = Path(sys.executable).parent


def _drift(deployed: Deployed, kind: str) -> list[dict[str, Any]]:
    res = subprocess.run([str(BIN / "beffroi"), "drift", "--site", SLUG, "--inventory",
                          str(deployed.inventory), "--kind", kind, "--format", "json",
                          "--endpoints", str(state_dir(deployed.topo.lab) / ENDPOINTS_FILE)],
                         capture_output=True, text=True, timeout=300, check=False)
    devices: list[dict[str, Any]] = json.loads(res.stdout)["devices"]
    return devices


def _inject(deployed: Deployed, hostname: str, script: str) -> None:
    host = deployed.topo.host(hostname)
    podman.exec_in(host.container, ["sh", "-c", script], timeout=60)


@pytest.mark.parametrize("name", sorted({**intruder.FIREWALL, **intruder.LINUX}))
def test_intrusion_on_the_lab_firewall_is_reported_by_drift(deployed: Deployed,
                                                            name: str) -> None:
    script, rule, words = {**intruder.FIREWALL, **intruder.LINUX}[name]
    fw = deployed.model.sites[SLUG].firewall.hostname
    for _attempt in range(4):
        _inject(deployed, fw, script)
        [dev] = _drift(deployed, "firewall")
        if words in dev["detail"] or not _roamed_back(deployed, fw, name):
            break
    assert dev["status"] == "drifted" and rule in dev["rules"], dev
    assert words in dev["detail"], dev["detail"]


def _roamed_back(deployed: Deployed, hostname: str, name: str) -> bool:
    """True when WireGuard itself undid the injection before drift read it: a moved endpoint
    lasts only until the hub's next packet, which makes the spoke roam back to the hub's real
    address (WireGuard's roaming). Drift then rightly sees the intended endpoint, so the test
    injects again; an endpoint still moved after drift read it is a miss, never retried."""
    if name != "wg-endpoint-moved":
        return False
    host = deployed.topo.host(hostname)
    shown = podman.exec_in(host.container, ["wg", "show", "wg-beffroi", "endpoints"],
                           timeout=30)
    return intruder.MOVED_ENDPOINT not in shown.stdout


@pytest.mark.parametrize("name", sorted({**intruder.NVR, **intruder.LINUX}))
def test_intrusion_on_the_lab_nvr_is_reported_by_drift(deployed: Deployed, name: str) -> None:
    script, rule, words = {**intruder.NVR, **intruder.LINUX}[name]
    nvr = deployed.model.sites[SLUG].nvr.hostname
    _inject(deployed, nvr, script)
    [dev] = _drift(deployed, "nvr")
    assert dev["status"] == "drifted" and rule in dev["rules"], dev
    assert words in dev["detail"], dev["detail"]


def test_demoted_camera_account_is_reported_by_drift_on_net_3(deployed: Deployed) -> None:
    site = deployed.model.sites[SLUG]
    ctx = site_intent(deployed.model, SLUG, reveal_secrets=True).context()
    cam = ctx["cameras"][0]
    acct = cam["account"]
    creds = (str(acct["username"]), str(acct["password"]))
    ip = str(next(c.ip for c in site.cameras if c.name == cam["name"]))
    asyncio.run(intruder.camera_set_level(ip, cam["onvif_port"], creds, creds[0], "User"))
    devices = {d["device"]: d for d in _drift(deployed, "camera")}
    dev = devices[f"{SLUG}-{cam['name']}"]
    assert dev["status"] == "drifted" and "NET-3" in dev["rules"], dev
    assert f"-accounts: {creds[0]} (User)" in dev["diff"], dev["diff"]
    assert creds[1] not in json.dumps(devices)  # the secret is never printed


# Empties the kiosk browser's blocklist (the policy file is JSON: rewritten, not sed-edited).
WIDEN_KIOSK_POLICY = ("python3 -c 'import json, sys; p = sys.argv[1]; d = json.load(open(p)); "
                      'd["URLBlocklist"] = []; open(p, "w").write(json.dumps(d, indent=2))\'')


def test_a_widened_kiosk_policy_on_the_lab_workstation_is_reported_by_drift(
        deployed: Deployed) -> None:
    # the kiosk's browser limited to the console (ACC-2): an allowlist of "*" is an intrusion
    ws = deployed.model.sites[SLUG].workstation.hostname
    [clean] = _drift(deployed, "workstation")
    assert clean["status"] == "ok", clean
    policy = "/etc/chromium/policies/managed/beffroi-kiosk.json"
    _inject(deployed, ws, f"{WIDEN_KIOSK_POLICY} {policy}")
    [dev] = _drift(deployed, "workstation")
    assert dev["device"] == ws and dev["status"] == "drifted" and "ACC-2" in dev["rules"], dev
    assert f"{policy} differs" in dev["detail"], dev["detail"]
