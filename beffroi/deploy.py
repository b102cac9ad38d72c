"""`beffroi deploy`: a commune converged the way an engineer would, one play after the other.

The plays, in order (DEPLOY_ORDER): the Linux hosts (playbooks/site.yml: firewall and NVR), the
network devices (playbooks/network.yml: switch, then cameras), the operator workstation
(playbooks/workstation.yml: the kiosk at the NVR's console), the crisis cell
(playbooks/crisis_cell.yml: WireGuard hub and live viewer), the department's monitoring host
(playbooks/monitoring.yml: Prometheus through its own tunnels to the firewalls, which
site.yml has given its peer). Each is `ansible-playbook` run as a
subprocess, its output to a log file while a spinner shows the current task; its PLAY RECAP is
read back per host. The first play that fails stops the deploy.

Lab or production: by default the run targets the lab (`beffroi lab up`'s inventory override,
lab/ansible.cfg, the published test vault password) and refuses when the lab is not up, so a
typo never reaches a real address. `production=True` uses ./ansible.cfg and the inventory alone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from beffroi.ansible_inventory import group_name
from beffroi.vault import LAB_ANSIBLE_CONFIG, LAB_VAULT_PASSWORD_FILE, REPO_ROOT

BIN = Path(sys.executable).parent
LAB_OVERLAY = REPO_ROOT / "lab" / "inventory"  # lab overrides (group_vars), lab only
PRODUCTION_CONFIG = REPO_ROOT / "ansible.cfg"
# (name, playbook, limited to the commune's group): the commune's own hosts first (the kiosk
# after the NVR it shows), then the department's hosts that reach it through its firewall
DEPLOY_ORDER: tuple[tuple[str, str, bool], ...] = (
    ("Linux hosts (firewall, NVR)", "playbooks/site.yml", True),
    ("switch and cameras", "playbooks/network.yml", True),
    ("operator workstation", "playbooks/workstation.yml", True),
    ("crisis cell", "playbooks/crisis_cell.yml", False),
    ("department monitoring", "playbooks/monitoring.yml", False),
)
_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                    r"(?:\s+skipped=(\d+))?")


class DeployRefused(Exception):
    """Deploy would contact what it must not (no lab up, unknown site): nothing was run."""


@dataclass(frozen=True)
class HostRecap:
    """One host's PLAY RECAP counters."""

    ok: int
    changed: int
    unreachable: int
    failed: int
    skipped: int = 0


@dataclass
class PlayRun:
    """One ansible-playbook run and what it reported."""

    name: str
    playbook: str
    rc: int
    seconds: float
    log: Path
    recap: dict[str, HostRecap] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        """Tasks changed on every host of the play."""
        return sum(r.changed for r in self.recap.values())


@dataclass(frozen=True)
class Target:
    """Where and how the plays run: inventories and the environment Ansible gets."""

    inventories: tuple[Path, ...]
    env: dict[str, str]
    lab: str | None


def lab_target(inventory: Path, lab: str, slug: str) -> Target:
    """The lab's target; DeployRefused when the commune's hosts of that lab are not up."""
    from beffroi.lab.lifecycle import inventory_path
    from beffroi.lab.lifecycle import status as lab_status

    rows = {r.hostname: r for r in lab_status(lab)}
    slug_rows = [r for r in rows.values() if r.site == slug]
    if not slug_rows or any(r.state != "running" for r in slug_rows) or not inventory_path(
            lab).is_dir():
        raise DeployRefused(
            f"the lab {lab} is not up for {slug}: nothing was contacted. Bring it up with "
            f"`beffroi lab up --site {slug}` (then `beffroi deploy --site {slug}`), or deploy "
            "a real department with --production")
    env = {"ANSIBLE_CONFIG": str(LAB_ANSIBLE_CONFIG),
           "BEFFROI_VAULT_PASSWORD_FILE": str(LAB_VAULT_PASSWORD_FILE),
           "CONTAINERS_CONF": str(REPO_ROOT / "lab" / "containers.conf")}
    return Target((inventory, LAB_OVERLAY, inventory_path(lab)), env, lab)


def production_target(inventory: Path) -> Target:
    """A real department: ./ansible.cfg, the inventory alone, its own vault password."""
    return Target((inventory,), {"ANSIBLE_CONFIG": str(PRODUCTION_CONFIG)}, None)


Status = Callable[[str], None]


def run_play(name: str, playbook: str, cmd: list[str], env: dict[str, str], log: Path,
             status: Status) -> PlayRun:
    """Run one ansible-playbook command; its output to `log`, each task name to `status`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    recap: dict[str, HostRecap] = {}
    start = time.monotonic()
    full_env = {**os.environ, **env, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1",
                "PY_COLORS": "0"}
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=full_env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(f"[{time.monotonic() - start:6.1f}s] {line}")  # where the time goes
            if line.startswith("TASK ["):
                status(line.strip().rstrip("*").strip()[:90])
            match = _RECAP.match(line)
            if match:
                recap[match[1]] = HostRecap(int(match[2]), int(match[3]), int(match[4]),
                                            int(match[5]), int(match[6] or 0))
        rc = proc.wait()
    return PlayRun(name, playbook, rc, time.monotonic() - start, log, recap)


def deploy(slug: str, target: Target, logs: Path, console: Console,
           label: str = "deploy") -> list[PlayRun]:
    """Run the plays of DEPLOY_ORDER for `slug`; stops at the first failing one."""
    runs: list[PlayRun] = []
    base = [str(BIN / "ansible-playbook")]
    for inv in target.inventories:
        base += ["-i", str(inv)]
    for index, (name, playbook, limited) in enumerate(DEPLOY_ORDER, 1):
        cmd = [*base, playbook, *(["-l", group_name(slug)] if limited else [])]
        title = f"{label} {index}/{len(DEPLOY_ORDER)} {name}"
        log = logs / f"{index}-{Path(playbook).stem}.log"
        with console.status(title) as spinner:
            def show(task: str, title: str = title) -> None:
                spinner.update(f"{title}: {task}")
            run = run_play(name, playbook, cmd, target.env, log, show)
        runs.append(run)
        if run.rc != 0:
            break
    return runs
