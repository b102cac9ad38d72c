"""The lab half of `make demo`: Évrange for real — lab up, deploy, then proven line by line.

Each step is the command a Moselle Fibre engineer would type (`beffroi lab up`, `beffroi
deploy --site evrange`, `beffroi drift`); then the checks of beffroi/demo_checks.py prove the
product's job, each as a line with its figure: both cameras recorded at their declared size and
rate (CAM-1..3), live video decoded by the crisis cell through WireGuard (ACC-4, NET-2), no
recording reachable from it (ACC-4), `recorder verify` (REG-1, JRN-1/2), drift clean on the
five devices, a second deploy changing nothing. Any failing line makes the exit non-zero.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from beffroi import demo_checks as dc
from beffroi.deploy import PlayRun, deploy, lab_target
from beffroi.intent import WG_INTERFACE, site_intent
from beffroi.inventory import load_inventory
from beffroi.lab.access import ENDPOINTS_FILE, KEY_NAME
from beffroi.lab.paths import state_dir
from beffroi.lab.topology import DEFAULT_LAB, build_topology
from beffroi.vault import LAB_ANSIBLE_CONFIG, LAB_VAULT_PASSWORD_FILE, REPO_ROOT

console = Console(highlight=False)
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Durations:
    """How long the demo looks (the end-to-end test uses shorter ones)."""

    live_frames: int = 50       # frames the crisis cell decodes per camera
    segment_wait: float = 200   # seconds to wait for new segments at most


def _lab_up(slug: str, inventory: Path, log: Path, lab: str) -> tuple[int, float]:
    """`beffroi lab up` as the user types it, its output to `log`, a spinner meanwhile."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(LAB_ANSIBLE_CONFIG),
           "BEFFROI_VAULT_PASSWORD_FILE": str(LAB_VAULT_PASSWORD_FILE),
           "CONTAINERS_CONF": str(REPO_ROOT / "lab" / "containers.conf")}
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out, console.status(
            f"beffroi lab up --site {slug} (hosts, switch and camera simulators)"):
        rc = subprocess.run([str(BIN / "beffroi"), "lab", "up", "--site", slug, "--inventory",
                             str(inventory), "--name", lab], cwd=REPO_ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, check=False).returncode
    return rc, time.monotonic() - start


def _deploy_table(title: str, runs: list[PlayRun]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("play", "time", "result", "changed per host", "log"):
        table.add_column(col)
    for run in runs:
        changed = ", ".join(f"{h}={r.changed}" for h, r in sorted(run.recap.items()))
        result = "[green]ok[/]" if run.rc == 0 else f"[red]exit {run.rc}[/]"
        table.add_row(run.name, f"{run.seconds:.0f} s", result, changed, str(run.log))
    return table


def _wait(what: str, seconds: float, done: Callable[[], bool]) -> float:
    """Poll `done` every few seconds under a spinner, up to `seconds`; returns the time spent."""
    start = time.monotonic()
    with console.status(what) as status:
        while not done() and time.monotonic() - start < seconds:
            status.update(f"{what} ({time.monotonic() - start:.0f} s)")
            time.sleep(5)
    return time.monotonic() - start


def run_lab_demo(inventory: Path, slug: str, out: Path, durations: Durations = Durations(),
                 lab: str = DEFAULT_LAB) -> int:
    """Bring the lab up for `slug`, deploy it, prove it; 0 only when every check holds.

    The checks are also written to OUT/lab/checks.json (name, ok, figure) for tests and CI.
    """
    logs = out / "lab"
    rc, seconds = _lab_up(slug, inventory, logs / "lab-up.log", lab)
    console.print(("[green]✔[/]" if rc == 0 else "[red]✘[/]")
                  + f" beffroi lab up --site {slug} ({seconds:.0f} s, log {logs / 'lab-up.log'})")
    if rc != 0:
        return 1
    inv = load_inventory(inventory)
    topo = build_topology(inv, lab, [slug])
    target = lab_target(inventory, lab, slug)
    first = deploy(slug, target, logs / "deploy-1", console, label="beffroi deploy")
    console.print(_deploy_table(f"beffroi deploy --site {slug}", first))
    if any(r.rc for r in first):
        console.print("[red]the deploy failed: see the log of the failing play[/]")
        return 1
    checks = _prove(inv, slug, topo, inventory, logs, durations)
    table = Table(title=f"{slug}: what the lab proves", title_justify="left")
    for col in ("", "check", "figure"):
        table.add_column(col, overflow="fold")
    for check in checks:
        table.add_row("[green]✔[/]" if check.ok else "[red]✘[/]", check.name, check.figure)
    console.print(table)
    (logs / "checks.json").write_text(json.dumps([dataclasses.asdict(c) for c in checks],
                                                 ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    _where(topo, slug)
    failed = [c for c in checks if not c.ok]
    if failed:
        console.print(f"[red]{len(failed)} check(s) failed: "
                      f"{', '.join(c.name for c in failed)}[/]")
        return 1
    console.print(f"[green]every check passed ({len(checks)})[/]")
    return 0


def _prove(inv: Any, slug: str, topo: Any, inventory: Path, logs: Path,
           durations: Durations) -> list[dc.Check]:
    ctx = site_intent(inv, slug).context()
    lab = topo.lab
    key = state_dir(lab) / KEY_NAME
    nvr = topo.host(ctx["site"]["nvr"]["hostname"])
    cell = topo.host(inv.crisis_cell.hostname)
    cams = [c["name"] for c in ctx["cameras"]]
    storage = ctx["site"]["nvr"]["storage"]["mount"]
    checks: list[dc.Check] = []

    def enough() -> bool:  # a closed segment on every camera (the newest may be open)
        probe = dc.segments(nvr, key, storage, cams)
        return all(int(probe.get(c, {}).get("count", 0)) >= 2 for c in cams)

    _wait("waiting for each camera's first closed segment on the NVR", durations.segment_wait,
          enough)
    t0 = time.monotonic()
    before = dc.segments(nvr, key, storage, cams)
    checks += dc.recording_checks(before, ctx["cameras"])
    viewer = _live_viewer(inv, slug)
    nvr_ip = str(ctx["site"]["nvr"]["ip"])
    relay = f"{nvr_ip}:{ctx['ports']['live_relay']}"
    with console.status(f"crisis cell: {viewer.user} decoding live frames through WireGuard"):
        checks += dc.live_checks(cell, key, relay, cams, viewer, WG_INTERFACE,
                                 durations.live_frames)
    with console.status("crisis cell: recorder API and relay ranges"):
        checks += dc.no_recordings_checks(cell, key, nvr_ip, ctx["ports"]["recorder_api"],
                                          ctx["ports"]["live_relay"], cams[0], viewer)
    with console.status("recorder verify on the NVR (every segment's SHA-256)"):
        checks.append(dc.verify_check(nvr, key, ctx["paths"]["recorder_venv"],
                                      ctx["paths"]["recorder_config"], ctx["recorder"]["user"]))
    with console.status("beffroi drift on the five devices"):
        checks.append(dc.drift_check(slug, inventory, state_dir(lab) / ENDPOINTS_FILE,
                                     2 + 1 + len(cams)))
    second = deploy(slug, lab_target(inventory, lab, slug), logs / "deploy-2", console,
                    label="second beffroi deploy")
    changed = sum(r.changed for r in second)
    where = ", ".join(f"{h} {r.changed}" for run in second for h, r in sorted(run.recap.items())
                      if r.changed)
    checks.append(dc.Check(
        "second deploy changes nothing (idempotence)",
        all(r.rc == 0 for r in second) and changed == 0 and len(second) == 3,
        f"changed={changed} over {len(second)} plays in "
        f"{sum(r.seconds for r in second):.0f} s" + (f" ({where})" if where else "")))
    last: dict[str, Any] = {}

    def grew() -> bool:
        last.update(dc.segments(nvr, key, storage, cams))
        return all(int(last.get(c, {}).get("count", 0)) > int(before.get(c, {}).get("count", 0))
                   for c in cams)

    _wait("waiting for new segments on both cameras", durations.segment_wait, grew)
    checks.append(dc.segments_keep_coming(before, last, cams, time.monotonic() - t0))
    return checks


def _live_viewer(inv: Any, slug: str) -> dc.Viewer:
    """A lawful live-only recipient of the commune (e.g. the SDIS operator at the crisis cell),
    with the initial password the vault holds for them (ACC-3: their own account)."""
    from beffroi.secrets import INITIAL_PASSWORD, RECORDER_USERS
    from beffroi.vault import read_vault

    site = inv.sites[slug]
    person = next(h for h in site.habilitations if list(h.rights) == ["live"])
    secrets = read_vault(inv.vault_file(slug))
    password = str(secrets[RECORDER_USERS][person.id][INITIAL_PASSWORD])
    return dc.Viewer(person.id, password)


def _where(topo: Any, slug: str) -> None:
    """What runs where, how to log in, how to tear down."""
    table = Table(title=f"What runs where (lab {topo.lab})", title_justify="left")
    for col in ("host / device", "address", "what runs"):
        table.add_column(col)
    runs = {"firewall": "nftables, WireGuard spoke, chrony",
            "nvr": "recorder (ffmpeg per camera, API), live relay, chrony, NUT",
            "crisis_cell": "WireGuard hub, live viewer (timer)",
            "camhost": "camera-VLAN test host (isolation checks)"}
    for host in topo.hosts:
        table.add_row(host.hostname, str(host.ssh_ip), runs.get(host.kind, host.kind))
    for dev in topo.devices:
        what = ("fake-switches (Cisco IOS over SSH, port 22)" if dev.kind == "switch"
                else "ipycam ONVIF (port 80) + gst-rtsp-server clip (rtsp :554)")
        table.add_row(dev.hostname, str(dev.ip), what)
    console.print(table)
    key = state_dir(topo.lab) / KEY_NAME
    console.print(f"Log in: ssh -i {key} root@<address> (Linux hosts; `beffroi lab status` "
                  "lists them); the switch answers `ssh <user>@<address>` with the vaulted "
                  f"account. Audit: beffroi drift --site {slug} --endpoints "
                  f"{state_dir(topo.lab) / ENDPOINTS_FILE}", soft_wrap=True)
    down = "beffroi lab down" + ("" if topo.lab == DEFAULT_LAB else f" --name {topo.lab}")
    console.print(f"Tear down: [bold]{down}[/] (containers, networks, simulators, "
                  "host routes of this lab only).")
