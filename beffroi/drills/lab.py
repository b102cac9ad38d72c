"""Lab drills: against the hosts of a running `beffroi lab` (podman systemd containers).
The lab's owner runs them (`beffroi drill --lab`); they are never run in CI."""

from __future__ import annotations

import subprocess
import time

from beffroi.drills.runner import DrillReport, drill
from beffroi.lab.topology import DEFAULT_LAB

SITE = "evrange"


def _podman(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False,
                          timeout=120)


def _container(kind: str) -> str:
    return f"{DEFAULT_LAB}-{SITE}-{kind}" if kind != "crisis-cell" else f"{DEFAULT_LAB}-hub"


def _recording(container: str) -> bool:
    res = _podman("exec", container, "systemctl", "is-active", "beffroi-recorder")
    return res.stdout.strip() == "active"


def _wait(pred: object, timeout: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if callable(pred) and pred():
            return round(time.monotonic() - start, 1)
        time.sleep(1)
    return None


@drill("nvr-restart", "lab", "NVR container restarted: recorder back, no register entry "
       "lost, verify passes")
def nvr_restart(r: DrillReport) -> None:
    nvr = _container("nvr")
    r.check("recorder active before", _recording(nvr))
    _podman("restart", nvr)
    r.did.append(f"podman restart {nvr}")
    back = _wait(lambda: _recording(nvr), 120)
    r.check("recorder active again", back is not None)
    if back is not None:
        r.recovery["recorder active after restart"] = back
    res = _podman("exec", nvr, "/opt/beffroi/recorder/bin/recorder", "verify", "--config",
                  "/etc/beffroi/recorder.toml")
    r.check("recorder verify passes", res.returncode == 0, res.stdout[-300:])


@drill("wan-cut", "lab", "WAN cut: the crisis cell loses live, recording unaffected, the "
       "tunnel comes back")
def wan_cut(r: DrillReport) -> None:
    fw = _container("fw")
    wan = f"{DEFAULT_LAB}-wan"
    _podman("network", "disconnect", wan, fw)
    r.did.append(f"disconnected {fw} from {wan}")
    time.sleep(10)
    r.check("recording unaffected", _recording(_container("nvr")))
    _podman("network", "connect", wan, fw)
    r.did.append(f"reconnected {fw} to {wan}")
    back = _wait(lambda: "latest handshake" in _podman("exec", fw, "wg", "show").stdout, 180)
    r.check("tunnel back", back is not None)
    if back is not None:
        r.recovery["tunnel handshake after reconnect"] = back


@drill("crisis-cell-stopped", "lab", "crisis cell stopped: communes unaffected")
def crisis_cell_stopped(r: DrillReport) -> None:
    hub = _container("crisis-cell")
    _podman("stop", hub)
    r.did.append(f"podman stop {hub}")
    time.sleep(10)
    r.check("commune recording unaffected", _recording(_container("nvr")))
    _podman("start", hub)
    r.did.append(f"podman start {hub}")
