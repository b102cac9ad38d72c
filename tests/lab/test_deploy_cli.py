"""`beffroi deploy`: the plays in order, and nothing contacted when the lab is not up."""

from __future__ import annotations

import os
import subprocess

from lab_kit import REPO

from beffroi.deploy import DEPLOY_ORDER

BEFFROI = REPO / ".venv" / "bin" / "beffroi"


def test_deploy_runs_the_communes_hosts_then_the_departments() -> None:
    assert [p for _, p, _ in DEPLOY_ORDER] == [
        "playbooks/site.yml", "playbooks/network.yml", "playbooks/workstation.yml",
        "playbooks/crisis_cell.yml", "playbooks/monitoring.yml"]
    assert all((REPO / p).is_file() for _, p, _ in DEPLOY_ORDER)
    # a commune's deploy touches only its own hosts, and the department's shared ones
    limited = {p: lim for _, p, lim in DEPLOY_ORDER}
    assert limited == {"playbooks/site.yml": True, "playbooks/network.yml": True,
                       "playbooks/workstation.yml": True, "playbooks/crisis_cell.yml": False,
                       "playbooks/monitoring.yml": False}


def test_every_host_playbook_is_deployed() -> None:
    # a playbook of playbooks/ that converges hosts and that deploy never runs is a host kind
    # `beffroi deploy` silently leaves unconfigured
    plays = {str(p.relative_to(REPO)) for p in (REPO / "playbooks").glob("*.yml")}
    assert {p for _, p, _ in DEPLOY_ORDER} == plays - {"playbooks/essaimage.yml"}


def _deploy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": str(REPO / "lab" / "containers.conf")}
    return subprocess.run([str(BEFFROI), "deploy", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120, check=False)


def test_deploy_refuses_when_the_lab_is_not_up_and_contacts_nothing() -> None:
    res = _deploy("--site", "evrange", "--lab", "beffroi-never-up")
    assert res.returncode == 2
    assert "is not up" in res.stderr and "--production" in res.stderr
    assert "nothing was contacted" in res.stderr
    assert "PLAY" not in res.stdout and "Traceback" not in res.stderr + res.stdout


def test_deploy_of_an_unknown_commune_names_the_known_ones() -> None:
    res = _deploy("--site", "nowhere")
    assert res.returncode == 2
    assert "unknown commune nowhere" in res.stderr and "evrange" in res.stderr
