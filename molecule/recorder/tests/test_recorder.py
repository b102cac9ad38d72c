"""Role recorder: the shared deployment checks (molecule/shared/recorder_checks.py) and AUTH-1
(no recording without a prefectoral authorization)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from recorder_checks import *  # noqa: F403  (pytest collects the imported test_* functions)
from recorder_checks import NVR

SCENARIO = Path(__file__).resolve().parents[1]


def test_converge_refuses_recording_before_the_authorization_is_issued(lab: Any) -> None:
    """AUTH-1: with 'today' before the arrêté's issue date the role stops at its preflight."""
    # AUTH-1 is decided by the intent on Beffroi's "today", read when the inventory is built
    env = {**os.environ, "BEFFROI_TODAY": "2024-09-30"}
    # The same ansible.cfg Molecule generated for converge (roles path, inventory plugin, vault).
    env.setdefault("ANSIBLE_CONFIG", f"{env['MOLECULE_EPHEMERAL_DIRECTORY']}/ansible.cfg")
    res = subprocess.run(
        ["ansible-playbook", str(SCENARIO / "converge.yml"), "-i", env["MOLECULE_INVENTORY_FILE"],
         "-i", f"{env['MOLECULE_PROJECT_DIRECTORY']}/inventories/moselle", "--limit", NVR,
         "--tags", "preflight"],
        capture_output=True, text=True, timeout=300, check=False, env=env)
    assert res.returncode != 0
    output = " ".join((res.stdout + res.stderr).split())  # errors go to stderr, wrapped
    refusal = "AUTH-1 (CSI L252-1): evrange has no prefectoral authorization in force on 2024-09-30"
    assert refusal in output, output[-2000:]
    assert lab(NVR).service("beffroi-recorder").is_running, "a refused converge changes nothing"
