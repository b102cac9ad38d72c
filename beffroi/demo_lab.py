"""The lab half of `make demo`: Évrange on real hosts — lab up, converge, idempotence, drift.

Each step is the command a Moselle Fibre engineer would type (`beffroi lab up`,
`ansible-playbook playbooks/site.yml -l commune_<slug>`, `beffroi drift`), run in turn; long
Ansible runs go to log files under the demo's output folder while a spinner shows the task.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from beffroi.ansible_inventory import group_name
from beffroi.lab.lifecycle import inventory_path
from beffroi.lab.topology import DEFAULT_LAB
from beffroi.vault import LAB_ANSIBLE_CONFIG, LAB_VAULT_PASSWORD_FILE, REPO_ROOT

console = Console(highlight=False)
LAB_INVENTORY = REPO_ROOT / "lab" / "inventory"  # lab overrides (group_vars), lab only
BIN = Path(sys.executable).parent
_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@dataclass(frozen=True)
class Step:
    """One command of the demo and what it produced."""

    name: str
    seconds: float
    rc: int
    recap: dict[str, tuple[int, int]]  # host → (changed, failed+unreachable)
    log: Path


def _run(name: str, cmd: list[str], log: Path) -> Step:
    """Run `cmd`, its output to `log`, a spinner showing the current Ansible task."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(LAB_ANSIBLE_CONFIG),
           "BEFFROI_VAULT_PASSWORD_FILE": str(LAB_VAULT_PASSWORD_FILE),
           "CONTAINERS_CONF": str(REPO_ROOT / "lab" / "containers.conf"),
           "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0"}
    log.parent.mkdir(parents=True, exist_ok=True)
    recap: dict[str, tuple[int, int]] = {}
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out, console.status(name) as status:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if line.startswith("TASK ["):
                task = line.strip().rstrip("*").strip()
                status.update(f"{name}: {task[:90]}")
            match = _RECAP.match(line)
            if match:
                recap[match[1]] = (int(match[3]), int(match[4]) + int(match[5]))
        rc = proc.wait()
    return Step(name, time.monotonic() - start, rc, recap, log)


def run_lab_demo(inventory: Path, slug: str, out: Path) -> int:
    """Bring the lab up for `slug`, converge it twice and the crisis cell, then audit drift."""
    lab_inv = str(inventory_path(DEFAULT_LAB))
    # the department, the lab's overrides (lab/inventory) and this lab's SSH host_vars
    playbook = [str(BIN / "ansible-playbook"), "-i", str(inventory),
                "-i", str(LAB_INVENTORY), "-i", lab_inv]
    logs = out / "lab"
    steps = [_run("lab up", [str(BIN / "beffroi"), "lab", "up", "--site", slug,
                             "--inventory", str(inventory)], logs / "lab-up.log")]
    plan = [
        ("converge", [*playbook, "playbooks/site.yml", "-l", group_name(slug)], "site-1"),
        ("crisis cell", [*playbook, "playbooks/crisis_cell.yml"], "crisis-cell"),
        ("idempotence", [*playbook, "playbooks/site.yml", "-l", group_name(slug)], "site-2"),
        ("drift", [str(BIN / "beffroi"), "drift", "--site", slug, "--inventory", str(inventory),
                   "--endpoints", lab_inv], "drift"),
    ]
    for name, cmd, log_name in plan:
        if steps[-1].rc != 0:
            break
        steps.append(_run(name, cmd, logs / f"{log_name}.log"))
    table = Table(title=f"{slug} in the lab (podman systemd containers)")
    for col in ("step", "time", "result", "log"):
        table.add_column(col)
    for step in steps:
        changed = ", ".join(f"{h} changed={c}" for h, (c, _f) in sorted(step.recap.items()))
        result = ("[green]ok[/]" if step.rc == 0 else f"[red]exit {step.rc}[/]") + (
            f" ({changed})" if changed else "")
        table.add_row(step.name, f"{step.seconds:.0f} s", result, str(step.log))
    console.print(table)
    if any(step.rc for step in steps):
        console.print("[red]the lab demo stopped at the first failing step: see its log[/]")
        return 1
    console.print(f"Explore: ssh -i ~/.cache/beffroi/labs/{DEFAULT_LAB}/id_ed25519 "
                  f"root@<address from `beffroi lab status`>; "
                  "remove everything with `beffroi lab down`.")
    return 0
