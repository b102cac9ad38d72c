"""Lab drills: against the hosts of a running `beffroi lab` (podman systemd containers),
named from the model as `beffroi lab up` names them. The lab's owner runs them
(`beffroi drill --lab`); they never run in CI."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from beffroi.drills.runner import DrillReport, drill
from beffroi.lab.topology import DEFAULT_LAB, container_name

SITE = "evrange"
INVENTORY = Path("inventories/moselle")
RECORDER = "/opt/beffroi/recorder/bin/recorder"


@dataclass(frozen=True)
class LabHosts:
    """The containers and WAN network of SITE in the default lab."""

    firewall: str
    nvr: str
    hub: str
    wan: str
    firewall_wan_ip: str
    recorder_config: str  # where the recorder role installs recorder.toml (the intent says)


def _hosts() -> LabHosts:
    from beffroi.intent import site_intent
    from beffroi.inventory import load_inventory

    inv = load_inventory(INVENTORY)
    site = inv.site(SITE)
    assert inv.crisis_cell is not None
    config = next(f.dest for f in site_intent(inv, SITE).files
                  if f.template == "nvr/recorder.toml.j2")
    return LabHosts(container_name(DEFAULT_LAB, site.firewall.hostname),
                    container_name(DEFAULT_LAB, site.nvr.hostname),
                    container_name(DEFAULT_LAB, inv.crisis_cell.hostname),
                    f"{DEFAULT_LAB}-wan", str(site.network.wan_address.ip), config)


def _podman(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False,
                          timeout=120)


def _recording(nvr: str) -> bool:
    res = _podman("exec", nvr, "systemctl", "is-active", "beffroi-recorder")
    return res.stdout.strip() == "active"


def _segments(nvr: str) -> int:
    res = _podman("exec", nvr, "sh", "-c", "find /srv/beffroi/video -name '*.ts' | wc -l")
    return int(res.stdout.strip() or 0)


def _wait(pred: Callable[[], bool], timeout: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return round(time.monotonic() - start, 1)
        time.sleep(1)
    return None


def _handshake_age(fw: str) -> float | None:
    res = _podman("exec", fw, "wg", "show", "all", "latest-handshakes")
    stamps = [int(p.split()[-1]) for p in res.stdout.splitlines() if p.split()]
    return time.time() - max(stamps) if stamps and max(stamps) > 0 else None


@drill("nvr-restart", "lab", "NVR container restarted: recorder back, no register entry "
       "lost, verify passes")
def nvr_restart(r: DrillReport) -> None:
    h = _hosts()
    r.check("recorder active before", _recording(h.nvr))
    _podman("restart", h.nvr)
    r.did.append(f"podman restart {h.nvr}")
    count = _segments(h.nvr)
    back = _wait(lambda: _recording(h.nvr) and _segments(h.nvr) > count, 180)
    r.check("recorder back and recording", back is not None)
    if back is not None:
        r.recovery["first new segment after the container restart"] = back
    res = _podman("exec", h.nvr, RECORDER, "verify", "--config", h.recorder_config)
    r.check("recorder verify passes (no register entry lost)", res.returncode == 0,
            res.stdout[-300:])


@drill("wan-cut", "lab", "WAN cut: the crisis cell loses the tunnel, recording unaffected, "
       "the tunnel comes back")
def wan_cut(r: DrillReport) -> None:
    h = _hosts()
    count = _segments(h.nvr)
    _podman("network", "disconnect", h.wan, h.firewall)
    r.did.append(f"disconnected {h.firewall} from {h.wan}")
    time.sleep(20)
    r.check("recording unaffected during the cut", _recording(h.nvr)
            and _segments(h.nvr) > count)
    _podman("network", "connect", "--ip", h.firewall_wan_ip, h.wan, h.firewall)
    r.did.append(f"reconnected {h.firewall} to {h.wan} ({h.firewall_wan_ip})")
    start = time.time()
    back = _wait(lambda: (age := _handshake_age(h.firewall)) is not None
                 and time.time() - age >= start - 1, 300)
    r.check("tunnel back (a new WireGuard handshake)", back is not None)
    if back is not None:
        r.recovery["tunnel handshake after the WAN is back"] = back


@drill("crisis-cell-stopped", "lab", "crisis cell stopped: communes unaffected")
def crisis_cell_stopped(r: DrillReport) -> None:
    h = _hosts()
    count = _segments(h.nvr)
    _podman("stop", h.hub)
    r.did.append(f"podman stop {h.hub}")
    time.sleep(20)
    r.check("commune recording unaffected", _recording(h.nvr) and _segments(h.nvr) > count)
    _podman("start", h.hub)
    r.did.append(f"podman start {h.hub}")
    back = _wait(lambda: _podman("exec", h.hub, "systemctl", "is-system-running").stdout
                 .strip() in ("running", "degraded"), 120)
    r.check("crisis cell back", back is not None)
    if back is not None:
        r.recovery["crisis cell up again"] = back
