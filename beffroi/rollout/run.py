"""Run a rollout: pre-flight, then `ansible-playbook playbooks/essaimage.yml` with the plan's
waves, then per-commune results from the `beffroi_rollout` callback's JSON, kept in a state
file so that a rerun resumes with the communes that are not finished."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from beffroi.findings import BeffroiError
from beffroi.rollout.plan import Plan
from beffroi.vault import LAB_ANSIBLE_CONFIG, LAB_VAULT_PASSWORD_FILE, REPO_ROOT

PLAYBOOK = REPO_ROOT / "playbooks" / "essaimage.yml"
PRODUCTION_CONFIG = REPO_ROOT / "ansible.cfg"
LAB_OVERLAY = REPO_ROOT / "lab" / "inventory"
CALLBACKS = REPO_ROOT / "plugins" / "callback"
STRATEGIES = REPO_ROOT / "playbooks" / "strategy_plugins"  # beffroi_wave
BIN = Path(sys.executable).parent


@dataclass
class CommuneResult:
    """How one commune's deploy went."""

    commune: str
    wave: int
    result: str  # ok | failed | unreachable | refused | not started
    seconds: float | None = None
    hosts: dict[str, str] = field(default_factory=dict)
    failure: str = ""


@dataclass
class Target:
    """Where the rollout runs: the lab (its inventory override) or a real department."""

    inventory: Path
    lab_inventory: Path | None  # None: production (./ansible.cfg, no lab overlay)
    playbook: Path = PLAYBOOK
    extra_vars: dict[str, Any] = field(default_factory=dict)

    def command(self, plan: Plan) -> list[str]:
        """The ansible-playbook command line of this plan."""
        cmd = [str(BIN / "ansible-playbook"), "-i", str(self.inventory)]
        if self.lab_inventory is not None:
            cmd += ["-i", str(LAB_OVERLAY), "-i", str(self.lab_inventory)]
        variables = {"beffroi_rollout_hosts": plan.host_pattern(),
                     "beffroi_rollout_serial": plan.serial(), **self.extra_vars}
        return [*cmd, "-f", str(plan.forks()), "-e", json.dumps(variables), str(self.playbook)]

    def environment(self, events: Path) -> dict[str, str]:
        """Ansible's configuration (lab or production) and the results callback."""
        env = {**os.environ, "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
               "ANSIBLE_STRATEGY_PLUGINS": str(STRATEGIES),
               "ANSIBLE_CALLBACKS_ENABLED": "beffroi_rollout",
               "BEFFROI_ROLLOUT_EVENTS": str(events), "ANSIBLE_FORCE_COLOR": "0"}
        if self.lab_inventory is not None:
            env["ANSIBLE_CONFIG"] = str(LAB_ANSIBLE_CONFIG)
            env["BEFFROI_VAULT_PASSWORD_FILE"] = str(LAB_VAULT_PASSWORD_FILE)
        else:
            env["ANSIBLE_CONFIG"] = str(PRODUCTION_CONFIG)
        return env


def commune_results(plan: Plan, events: dict[str, Any]) -> list[CommuneResult]:
    """Per commune: its hosts' outcomes merged (a commune is ok only if every host is)."""
    hosts = events.get("hosts", {})
    refused = events.get("refused", {})
    out = []
    for wave in plan.waves:
        for commune in wave.communes:
            seen = {h: hosts[h] for h in plan.hosts[commune] if h in hosts}
            res = CommuneResult(commune, wave.number, "not started")
            stopped = [h for h in plan.hosts[commune] if h in refused]
            if stopped:  # failed before the waves (the lab guard): nothing was deployed
                res.result = "refused"
                first = refused[stopped[0]]
                res.failure = f"{stopped[0]}: {first['task']}: {first['message']}"
            elif seen:
                starts = [e["start"] for e in seen.values() if e["start"]]
                ends = [e["end"] for e in seen.values() if e["end"]]
                res.seconds = round(max(ends) - min(starts), 1) if starts and ends else None
                for name in plan.hosts[commune]:
                    e = seen.get(name)
                    res.hosts[name] = ("not started" if e is None else "unreachable"
                                       if e["unreachable"] else "failed" if e["failed"] else "ok")
                    if e and e["failure"] and not res.failure:
                        res.failure = f"{name}: {e['failure']['task']}: {e['failure']['message']}"
                states = set(res.hosts.values())
                res.result = ("unreachable" if "unreachable" in states else "failed"
                              if "failed" in states else "ok" if states == {"ok"}
                              else "failed")
                if res.result == "failed" and not res.failure:
                    res.failure = "stopped with its wave (a host did not finish)"
            out.append(res)
    return out


def load_state(path: Path) -> dict[str, Any]:
    """The state file: communes finished by earlier runs (empty when absent)."""
    if not path.exists():
        return {"finished": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BeffroiError(f"{path}: unreadable rollout state ({exc}); remove it to start "
                           "the rollout over (every commune is converged again)") from None
    if not isinstance(data, dict) or not isinstance(data.get("finished"), dict):
        raise BeffroiError(f"{path}: not a rollout state file (no 'finished' mapping); "
                           "remove it to start the rollout over")
    return data


def save_state(path: Path, state: dict[str, Any], results: list[CommuneResult]) -> None:
    """Add the communes that finished ok to the state file (atomically)."""
    for r in results:
        if r.result == "ok":
            state["finished"][r.commune] = {"seconds": r.seconds, "at": time.time()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


@dataclass
class Outcome:
    """A finished ansible-playbook run."""

    rc: int
    seconds: float
    results: list[CommuneResult]
    log: Path

    def to_json(self) -> dict[str, Any]:
        """The JSON report."""
        return {"ok": self.rc == 0 and all(r.result == "ok" for r in self.results),
                "ansible_rc": self.rc, "seconds": round(self.seconds, 1), "log": str(self.log),
                "communes": [asdict(r) for r in self.results]}


def run_plan(target: Target, plan: Plan, workdir: Path, echo: bool = False) -> Outcome:
    """Run ansible-playbook for the plan; output to workdir/ansible.log (and the screen)."""
    workdir.mkdir(parents=True, exist_ok=True)
    events, log = workdir / "events.json", workdir / "ansible.log"
    events.unlink(missing_ok=True)
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(target.command(plan), cwd=REPO_ROOT,
                                env=target.environment(events), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if echo:
                sys.stdout.write(line)
        rc = proc.wait()
    seconds = time.monotonic() - start
    data: dict[str, Any] = {}
    if events.exists():
        data = json.loads(events.read_text(encoding="utf-8"))
    return Outcome(rc, seconds, commune_results(plan, data), log)
