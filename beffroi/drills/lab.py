"""Lab drills: faults on the hosts of a deployed `beffroi lab` (podman systemd containers, named
from the model as `beffroi lab up` names them), each measured by what the commune and the
crisis cell actually do: segment files growing on the NVR, the register (REG-1), `recorder
verify`, a live frame decoded at the crisis cell through the tunnel (ACC-4, NET-2).

`beffroi drill --lab` runs them on the default lab; the e2e lab tests on theirs (use()).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from beffroi.drills import lab_probes as probe
from beffroi.drills.runner import DrillReport, drill
from beffroi.lab import podman
from beffroi.lab.topology import DEFAULT_LAB, HostSpec, build_topology

RECORDER_UNIT = "beffroi-recorder"


@dataclass(frozen=True)
class LabTarget:
    """Which deployed lab commune the drills act on, and how long a fault is held."""

    inventory: Path = Path("inventories/moselle")
    lab: str = DEFAULT_LAB
    site: str = "evrange"
    hold: float = 15  # seconds a fault lasts before recording is judged
    recover: float = 180  # seconds a recovery may take at most


_TARGET: list[LabTarget] = [LabTarget()]


def use(target: LabTarget) -> None:
    """Point the lab drills at another lab (name, inventory, commune)."""
    _TARGET[0] = target


class Lab:
    """The deployed commune's hosts and what the drills need to know about them."""

    def __init__(self, target: LabTarget) -> None:
        from beffroi.demo_lab import _live_viewer
        from beffroi.intent import site_intent
        from beffroi.inventory import load_inventory

        self.t = target
        self.inv = load_inventory(target.inventory)
        self.ctx: dict[str, Any] = site_intent(self.inv, target.site).context()
        self.topo = build_topology(self.inv, target.lab, [target.site])
        site = self.inv.sites[target.site]
        self.nvr = self.topo.host(site.nvr.hostname)
        self.fw = self.topo.host(site.firewall.hostname)
        assert self.inv.crisis_cell is not None  # build_topology refused otherwise
        self.cell = self.topo.host(self.inv.crisis_cell.hostname)
        self.wan_ip = str(site.network.wan_address.ip)
        self.cams = [c["name"] for c in self.ctx["cameras"]]
        self.storage = str(self.ctx["site"]["nvr"]["storage"]["mount"])
        self.viewer = _live_viewer(self.inv, target.site)
        self.relay = f"{self.ctx['site']['nvr']['ip']}:{self.ctx['ports']['live_relay']}"
        for host in (self.nvr, self.fw, self.cell):
            if not podman.container_exists(host.container):
                raise RuntimeError(
                    f"no container {host.container}: bring the lab up and deploy first "
                    f"(beffroi lab up --site {target.site} --name {target.lab}; beffroi deploy "
                    f"--site {target.site} --lab {target.lab})")

    def segments(self) -> dict[str, dict[str, Any]]:
        """Per camera: segment files and their bytes on the NVR."""
        return probe.segments(self.nvr, self.storage, self.cams)

    def since(self, before: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
        """Per camera since `before`: (new segment files, bytes written). Counted from the
        newest segment then, so a purge of old ones (disk pressure, retention) changes nothing."""
        now = self.segments()
        out = {}
        for c in self.cams:
            last, size = before[c]["newest"], int(before[c]["newest_bytes"])
            later = [(n, b) for n, b in now[c]["tail"] if n >= last]
            out[c] = (sum(1 for n, _ in later if n > last), sum(b for _, b in later) - size)
        return out

    def register(self) -> list[tuple[int, str, str]]:
        """The register's entries (seq, hash, kind)."""
        return probe.register(self.nvr, str(self.ctx["paths"]["recorder_state_dir"]))

    def live(self) -> tuple[bool, str]:
        """One live frame of the first camera at the crisis cell."""
        return probe.live_frame(self.cell, self.relay, self.cams[0], self.viewer.user,
                                self.viewer.password)

    def verify(self) -> tuple[bool, str]:
        """`recorder verify` on the NVR as the recorder's user."""
        venv, config = self.ctx["paths"]["recorder_venv"], self.ctx["paths"]["recorder_config"]
        res = podman.exec_in(self.nvr.container, ["runuser", "-u", self.ctx["recorder"]["user"],
                                                  "--", f"{venv}/bin/recorder", "verify",
                                                  "--config", config],
                             check=False, timeout=600)
        lines = (res.stdout.strip() or res.stderr.strip()).splitlines()
        return res.returncode == 0, lines[-1] if lines else f"exit {res.returncode}"

    @cached_property
    def wan_veth(self) -> str:
        """The host end of the firewall's WAN cable."""
        return probe.host_veth(self.fw, self.wan_ip)


def _wait(pred: Callable[[], bool], timeout: float, step: float = 1) -> float | None:
    """Seconds until pred() holds (polled every `step`), None at timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return round(time.monotonic() - start, 1)
        time.sleep(step)
    return None


def _replug(host: HostSpec) -> None:
    """A restarted container gets its lab routes back, as `beffroi lab up` sets them (a real
    host keeps its own in its network configuration; podman's do not survive a restart)."""
    for route in host.routes:
        podman.exec_in(host.container, ["ip", "route", "replace", route.dst, "via",
                                        str(route.via)], check=False)


def _recording_check(r: DrillReport, lab: Lab, before: dict[str, dict[str, Any]],
                     what: str) -> None:
    grown = {c: written for c, (_, written) in lab.since(before).items()}
    r.check(f"{what}: every camera's segments grew", all(n > 0 for n in grown.values()),
            ", ".join(f"{c} +{n // 1024} KiB" for c, n in grown.items()))


def _live_back(r: DrillReport, lab: Lab, label: str, since: float) -> None:
    """Time from `since` (monotonic) to the first live frame decoded at the crisis cell."""
    ok = _wait(lambda: lab.live()[0], lab.t.recover)
    r.check("crisis cell decodes live again", ok is not None, lab.live()[1] if ok is None else "")
    if ok is not None:
        r.recovery[label] = round(time.monotonic() - since, 1)


@drill("nvr-restart", "lab", "NVR container restarted: recorder back, recording resumes, no "
       "register entry lost, verify passes")
def nvr_restart(r: DrillReport) -> None:
    lab = Lab(_TARGET[0])
    r.check("recorder active before", probe.unit_active(lab.nvr, RECORDER_UNIT))
    entries = lab.register()
    before = lab.segments()
    start = time.monotonic()
    podman.run(["restart", lab.nvr.container])
    r.did.append(f"podman restart {lab.nvr.container} ({len(entries)} register entries before)")
    _replug(lab.nvr)
    back = _wait(lambda: probe.unit_active(lab.nvr, RECORDER_UNIT), lab.t.recover)
    r.check("recorder unit active again", back is not None)
    if back is not None:
        r.recovery["recorder back after the restart"] = round(time.monotonic() - start, 1)
    first = _wait(lambda: all(new > 0 for new, _ in lab.since(before).values()),
                  lab.t.recover)
    r.check("a new segment on every camera", first is not None,
            ", ".join(f"{c} {s['count']} files" for c, s in lab.segments().items()))
    if first is not None:
        r.recovery["first new segment after the restart"] = round(time.monotonic() - start, 1)
    after = lab.register()
    lost = set(entries) - set(after)
    r.check("no register entry lost (REG-1)", not lost and after[:len(entries)] == entries,
            f"{len(entries)} before, {len(after)} after, {len(lost)} missing")
    ok, line = lab.verify()
    r.check("recorder verify passes (REG-1, JRN-1/2)", ok, line)


@drill("wan-cut", "lab", "WAN cut at the commune's firewall: the crisis cell loses live, "
       "recording unaffected, live again once the WAN is back")
def wan_cut(r: DrillReport) -> None:
    lab = Lab(_TARGET[0])
    r.check("crisis cell decodes live before the cut", lab.live()[0])
    veth = lab.wan_veth
    before = lab.segments()
    probe.set_link(veth, up=False)
    r.did.append(f"pulled {lab.fw.container}'s WAN cable (host veth {veth} down, "
                 f"{lab.wan_ip} keeps its address)")
    try:
        time.sleep(2)
        live, why = lab.live()
        r.check("crisis cell loses live during the cut", not live, why)
        time.sleep(max(0.0, lab.t.hold - 7))
        _recording_check(r, lab, before, f"recording unaffected during a {lab.t.hold:.0f} s cut")
        r.check("recorder still active", probe.unit_active(lab.nvr, RECORDER_UNIT))
    finally:
        probe.set_link(veth, up=True)
        back = time.monotonic()
    r.did.append(f"plugged the WAN cable back ({veth} up)")
    _live_back(r, lab, "first live frame at the crisis cell after the WAN is back", back)


@drill("crisis-cell-stopped", "lab", "crisis cell stopped: communes record on, unaffected; live "
       "again once it is back")
def crisis_cell_stopped(r: DrillReport) -> None:
    lab = Lab(_TARGET[0])
    before = lab.segments()
    podman.run(["stop", "-t", "10", lab.cell.container])
    r.did.append(f"podman stop {lab.cell.container}")
    try:
        time.sleep(lab.t.hold)
        _recording_check(r, lab, before, f"commune unaffected over {lab.t.hold:.0f} s")
        r.check("recorder still active", probe.unit_active(lab.nvr, RECORDER_UNIT))
    finally:
        start = time.monotonic()
        podman.run(["start", lab.cell.container])
        _replug(lab.cell)
    r.did.append(f"podman start {lab.cell.container}")
    up = _wait(lambda: probe.booted(lab.cell), lab.t.recover)
    r.check("crisis cell booted again", up is not None)
    if up is not None:
        r.recovery["crisis cell booted again"] = round(time.monotonic() - start, 1)
    _live_back(r, lab, "first live frame at the crisis cell after its start", start)
    ok, line = lab.verify()
    r.check("recorder verify passes (REG-1, JRN-1/2)", ok, line)
