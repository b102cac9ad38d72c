"""Test kit of the rollout: a department of 3 + 1 communes (the fourth made by `beffroi site
new`), a lab-like inventory override that runs every host on the controller, and a probe copy
of playbooks/essaimage.yml whose wave play keeps every keyword but deploys nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
BEFFROI = Path(sys.executable).with_name("beffroi")
LAB_ENV = {"ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
           "BEFFROI_VAULT_PASSWORD_FILE": str(REPO / "lab" / "test-vault-password"),
           "BEFFROI_TODAY": "2026-11-28"}
PROBE_TASKS = [
    {"name": "Probe | the commune's deploy takes a moment",
     "ansible.builtin.command": "sleep {{ probe_seconds | default(1) }}",
     "changed_when": False},
    {"name": "Probe | this commune fails",
     "ansible.builtin.fail": {"msg": "probe failure of {{ beffroi_site }}"},
     "when": "beffroi_site in (probe_fail | default([]))"},
]


def beffroi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `beffroi` console script."""
    import os

    return subprocess.run([str(BEFFROI), *args], capture_output=True, text=True, check=False,
                          cwd=REPO, env={**os.environ, **LAB_ENV, **(env or {})})


def department(root: Path, new_commune: str = "Kanfen") -> Path:
    """Copy Moselle (Évrange, Roussy-le-Village, Hettange-Grande) and add one commune with
    `beffroi site new`."""
    shutil.copytree(MOSELLE, root)
    made = beffroi("site", "new", new_commune, "-i", str(root), "--insee", "57357",
                   "--population", "1000")
    assert made.returncode == 0, made.stdout + made.stderr
    return root


def probe_playbook(where: Path) -> Path:
    """playbooks/essaimage.yml with the wave play's roles replaced by probe tasks (same hosts,
    serial, max_fail_percentage, strategy, order, guard); no crisis-cell play."""
    plays = yaml.safe_load((REPO / "playbooks" / "essaimage.yml").read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = []
    for play in plays:
        if "ansible.builtin.import_playbook" in play:
            continue
        if "roles" in play:
            play = {**play, "become": False, "tasks": PROBE_TASKS}  # the controller, no sudo
            del play["roles"]
        out.append(play)
    where.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "playbooks" / "tasks", where / "tasks", dirs_exist_ok=True)
    path = where / "probe.yml"
    path.write_text(yaml.safe_dump(out, sort_keys=False), encoding="utf-8")
    return path


def local_lab(path: Path, fail: list[str] | None = None, seconds: float = 1) -> Path:
    """A lab inventory override: every host is a lab host reached on the controller."""
    path.mkdir(parents=True, exist_ok=True)
    data = {"all": {"vars": {"beffroi_lab": True, "ansible_connection": "local",
                             "ansible_python_interpreter": sys.executable,
                             "probe_fail": fail or [], "probe_seconds": seconds}}}
    (path / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def rollout(inv: Path, lab: Path, playbook: Path, state: Path,
            *extra: str) -> tuple[int, dict[str, Any]]:
    """`beffroi rollout --format json` on the probe; (exit code, report)."""
    res = beffroi("rollout", "-i", str(inv), "--lab-inventory", str(lab), "--playbook",
                  str(playbook), "--state", str(state), "--no-crisis-cell", "-f", "json", *extra)
    try:
        return res.returncode, json.loads(res.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {res.returncode}):\n{res.stdout}\n{res.stderr}"
                             ) from None
