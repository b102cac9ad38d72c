"""Safety of the lab: under the lab configuration, a play whose hosts are not lab hosts stops on
the controller before any connection (their addresses are the real inventory's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


@pytest.mark.parametrize(("playbook", "limit"), [("playbooks/site.yml", "commune_evrange"),
                                                 ("playbooks/crisis_cell.yml", "crisis_cell")])
def test_lab_configuration_without_a_lab_contacts_nothing(playbook: str, limit: str) -> None:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
           "BEFFROI_VAULT_PASSWORD_FILE": str(REPO / "lab" / "test-vault-password"),
           "ANSIBLE_NOCOLOR": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([str(PLAYBOOK), playbook, "-l", limit], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "is not a host of a running lab" in out and "Nothing was contacted" in out
    # the guard failed on the controller; no later play started (no fact gathering, no SSH)
    assert "Gathering Facts" not in out and "UNREACHABLE" not in out, out
