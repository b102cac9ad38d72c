"""The lab half of `make demo`: Évrange for real — lab up, deploy, then proven line by line.

Each step is the command a Moselle Fibre engineer would type (`beffroi lab up`, `beffroi
deploy --site evrange`, `beffroi drift`); then the checks of beffroi/demo_checks.py prove the
product's job, each as a line with its figure: both cameras recorded at their declared size and
rate (CAM-1..3), live video decoded by the crisis cell through WireGuard (ACC-4, NET-2), no
recording reachable from it (ACC-4), `recorder verify` (REG-1, JRN-1/2), drift clean on the
commune's six devices (firewall, NVR, workstation, switch, two cameras), a second deploy
changing nothing, the commune console and the crisis-cell wall
answering their login page over TLS (NET-2), and one alert travelling: a camera's stream stops,
its camera_down reaches the crisis cell's syslog route (beffroi/demo_alert.py). Any failing
line makes the exit non-zero.
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
from beffroi.demo_alert import Collector, alert_check, spooled
from beffroi.deploy import DEPLOY_ORDER, PlayRun, deploy, lab_target
from beffroi.intent import WG_INTERFACE, site_intent
from beffroi.inventory import load_inventory
from beffroi.lab import devices
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
    spool_wait: float = 320     # the route's backoff is capped at 300 s (recorder/schema.py)


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
    _logins(inv, slug, inventory, ctx_of(inv, slug))
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
    route = next(r for r in ctx["events"]["routes"] if r["partner_kind"] == "crisis_cell"
                 and r["channel"]["type"] == "syslog")
    # listening from now on, the collector takes what the route spooled while nobody listened
    collector = Collector(cell, nvr, key, route["channel"]["host"], route["channel"]["port"])
    collecting = collector.start()
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
    with console.status("beffroi drift on the commune's devices"):
        # firewall, NVR, workstation, switch and the cameras
        checks.append(dc.drift_check(slug, inventory, state_dir(lab) / ENDPOINTS_FILE,
                                     3 + 1 + len(cams)))
    second = deploy(slug, lab_target(inventory, lab, slug), logs / "deploy-2", console,
                    label="second beffroi deploy")
    changed = sum(r.changed for r in second)
    where = ", ".join(f"{h} {r.changed}" for run in second for h, r in sorted(run.recap.items())
                      if r.changed)
    checks.append(dc.Check(
        "second deploy changes nothing (idempotence)",
        all(r.rc == 0 for r in second) and changed == 0 and len(second) == len(DEPLOY_ORDER),
        f"changed={changed} over {len(second)} plays in "
        f"{sum(r.seconds for r in second):.0f} s" + (f" ({where})" if where else "")))
    last: dict[str, Any] = {}

    def grew() -> bool:
        last.update(dc.segments(nvr, key, storage, cams))
        return all(int(last.get(c, {}).get("count", 0)) > int(before.get(c, {}).get("count", 0))
                   for c in cams)

    _wait("waiting for new segments on both cameras", durations.segment_wait, grew)
    checks.append(dc.segments_keep_coming(before, last, cams, time.monotonic() - t0))
    checks += _web_checks(inv, slug, ctx)
    try:
        checks.append(_alert(inv, topo, nvr, key, ctx, route, collector, collecting, durations))
    finally:
        collector.stop()
    return checks


def _web_checks(inv: Any, slug: str, ctx: dict[str, Any]) -> list[dc.Check]:
    """The commune console (NVR, management side) and the crisis-cell wall answer their login
    page over TLS, each certificate pinned from its vault (NET-2)."""
    from beffroi.vault import read_vault

    site_tls = read_vault(inv.vault_file(slug))["recorder_tls"]["certificate"]
    out = [dc.login_page_check("commune console login over TLS (NET-2)", _console_url(ctx),
                               str(site_tls))]
    wall = inv.crisis_cell.wall
    if wall is not None:
        cell_tls = read_vault(inv.vault_file("crisis-cell"))["wall_tls"]["certificate"]
        out.append(dc.login_page_check("crisis-cell wall login over TLS (ACC-3, NET-2)",
                                       _wall_url(inv), str(cell_tls)))
    return out


def _console_url(ctx: dict[str, Any]) -> str:
    return f"https://{ctx['site']['nvr']['ip']}:{ctx['ports']['recorder_api']}/"


def _wall_url(inv: Any) -> str:
    wall = inv.crisis_cell.wall
    return f"https://{wall.address}:{wall.port}/"


def _alert(inv: Any, topo: Any, nvr: Any, key: Path, ctx: dict[str, Any], route: dict[str, Any],
           collector: Collector, collecting: bool, durations: Durations) -> dc.Check:
    """One camera's stream stops in the lab; its camera_down reaches the crisis cell."""
    if not collecting:
        return dc.Check("alert travels: camera_down to the crisis cell", False, collector.error)
    spool = f"{ctx['paths']['recorder_state_dir']}/events/spool/{route['id']}"
    _wait(f"route {route['id']}: the NVR delivering what it spooled", durations.spool_wait,
          lambda: spooled(nvr, key, spool) == 0)
    cam = ctx["cameras"][0]["name"]
    dev = next(d for d in topo.devices if d.camera == cam)
    with console.status(f"{cam}: stream stopped, waiting for camera_down at the crisis cell"):
        return alert_check(collector, cam, route["id"],
                           lambda: devices.stop_one(topo.lab, dev.hostname, "rtsp"),
                           lambda: devices.start(topo, inv, lambda _: None))


def ctx_of(inv: Any, slug: str) -> dict[str, Any]:
    """The commune's intent (no secrets revealed)."""
    return site_intent(inv, slug).context()


def _logins(inv: Any, slug: str, inventory: Path, ctx: dict[str, Any]) -> None:
    """Where the console and the wall are, and where their first passwords are (never shown)."""
    from beffroi.secrets import INITIAL_PASSWORD, RECORDER_USERS, WALL_RECIPIENTS

    site = inv.sites[slug]
    people = ", ".join(h.id for h in site.habilitations)
    console.print(f"Commune console: [bold]{_console_url(ctx)}[/] (from the management side) — "
                  f"accounts {people}; first passwords: ansible-vault view "
                  f"{inv.vault_file(slug)} → {RECORDER_USERS}.<account>.{INITIAL_PASSWORD}",
                  soft_wrap=True)
    wall = inv.crisis_cell.wall
    if wall is not None:
        who = ", ".join(r.id for r in wall.recipients)
        console.print(f"Crisis-cell wall: [bold]{_wall_url(inv)}[/] (recorder wall on "
                      f"{inv.crisis_cell.hostname}) — accounts {who}; first passwords: "
                      f"ansible-vault view {inv.vault_file('crisis-cell')} → "
                      f"{WALL_RECIPIENTS}.<account>.{INITIAL_PASSWORD}", soft_wrap=True)


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
            "crisis_cell": "WireGuard hub, live viewer (timer), the wall (recorder wall)",
            "workstation": "kiosk: chromium under cage at the console (headless in the lab)",
            "monitoring": "Prometheus, Alertmanager, node exporter (loopback), WireGuard",
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
