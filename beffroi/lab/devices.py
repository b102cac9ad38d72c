"""The commune's network devices in the lab: the switch and the cameras, played by simulators.

Each device gets a container that only holds a network namespace at the device's model address
on its VLAN (default route via the firewall, like the real device). Its simulators are host
processes started inside that namespace with `nsenter --net`, bound to the model address only:
- camera: ipycam (ONVIF, with the lab setters of peers/onvif_setters.py) on the camera's ONVIF
  port, and gst-rtsp-server looping a clip pre-encoded at the size and rate the site file
  declares (cameras[].recording) on RTSP 554 at the camera's rtsp_path;
- switch: fake-switches (Cisco IOS over SSH) on port 22, with the vaulted credentials.
Their pids are kept in the lab's state dir; `stop` kills those pids only, after checking that
each still runs one of these programs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from beffroi.inventory import Inventory
from beffroi.lab import podman
from beffroi.lab.clips import ensure_clip
from beffroi.lab.errors import LabError
from beffroi.lab.paths import REPO_ROOT, state_dir
from beffroi.lab.topology import DeviceSpec, Topology

Progress = Callable[[str], None]
RTSP_PORT = 554
SSH_PORT = 22
PEERS = "beffroi.lab.peers"  # every simulator's command line names it (checked before a kill)
ONVIF_PYTHON = REPO_ROOT / ".venv-onvif" / "bin" / "python"
GST_PYTHON = Path("/usr/bin/python3")  # the only Python whose gi (GStreamer) bindings import
FACTORY_LOGIN = ("admin", "admin")  # the camera role's default factory account (NET-3)
SWITCH_MODELS = {"ios": "cisco_generic"}


@dataclass(frozen=True)
class Simulator:
    """One simulator process of a device: its argv, where it listens, what it reads on stdin."""

    device: str
    role: str  # "onvif" | "rtsp" | "ssh"
    argv: list[str]
    ip: IPv4Address
    port: int
    stdin: str = ""


def _dir(lab: str) -> Path:
    return state_dir(lab) / "devices"


def ensure_containers(topo: Topology, image: str) -> list[str]:
    """A namespace-holder container per device at its model address; returns those created."""
    created: list[str] = []
    for dev in topo.devices:
        if not podman.container_exists(dev.container):
            podman.run(["run", "-d", "--name", dev.container, "--hostname", dev.hostname,
                        "--label", f"{podman.LABEL}={topo.lab}",
                        "--label", f"{podman.LABEL}.host={dev.hostname}",
                        "--label", f"{podman.LABEL}.kind={dev.kind}",
                        "--label", f"{podman.LABEL}.site={dev.site}",
                        "--label", f"{podman.LABEL}.ssh={dev.ip}",
                        "--cap-add", "NET_ADMIN", "--network", f"{dev.network}:ip={dev.ip}",
                        image, "sleep", "infinity"])
            created.append(dev.container)
        elif not (podman.inspect_container(dev.container).get("State") or {}).get("Running"):
            podman.run(["start", dev.container])
        podman.exec_in(dev.container, ["ip", "route", "replace", "default", "via",
                                       str(dev.route_via)])
    return created


def simulators(topo: Topology, inv: Inventory) -> list[Simulator]:
    """The simulator processes of every device of the lab, from the site model and its vault."""
    from beffroi.intent import site_intent

    sims: list[Simulator] = []
    for slug in topo.sites:
        site = inv.sites[slug]
        for dev in (d for d in topo.devices if d.site == slug):
            if dev.kind == "switch":
                if site.switch.platform not in SWITCH_MODELS:
                    raise LabError(f"the lab simulates only an IOS switch; {slug}'s is "
                                   f"{site.switch.platform} (sites/{slug}.yml switch.platform)")
                creds = site_intent(inv, slug, reveal_secrets=True).context()["switch"][
                    "credentials"]
                ports = site.switch.ports
                spec = (f"{SWITCH_MODELS[site.switch.platform]}@{ports.prefix}:{ports.first}:"
                        f"{ports.count}")
                secret = json.dumps({k: str(creds.get(k, "")) for k in
                                     ("username", "password", "enable_secret")})
                sims.append(Simulator(dev.hostname, "ssh", [
                    sys.executable, "-m", f"{PEERS}.fake_switch", str(dev.ip), str(SSH_PORT),
                    spec], dev.ip, SSH_PORT, secret + "\n"))
                continue
            cam = next(c for c in site.cameras if c.name == dev.camera)
            rec = cam.recording
            clip, _ = ensure_clip(rec.width, rec.height, rec.fps, rec.bitrate_kbps)
            sims.append(Simulator(dev.hostname, "rtsp", [
                str(GST_PYTHON), str(REPO_ROOT / "beffroi" / "lab" / "peers" / "rtsp_clip.py"),
                str(dev.ip), str(RTSP_PORT), cam.rtsp_path, str(clip), str(rec.fps)],
                dev.ip, RTSP_PORT))
            sims.append(Simulator(dev.hostname, "onvif", [
                str(ONVIF_PYTHON), "-m", f"{PEERS}.onvif_camera", str(dev.ip),
                str(cam.onvif_port), *FACTORY_LOGIN, f"{rec.width}x{rec.height}", str(rec.fps),
                str(rec.bitrate_kbps), "masks" if cam.privacy_masks else "nomasks",
                str(RTSP_PORT), cam.rtsp_path], dev.ip, cam.onvif_port))
    return sims


def _pid_file(lab: str, sim: Simulator) -> Path:
    return _dir(lab) / f"{sim.device}.{sim.role}.pid"


def _ours(pid: int) -> bool:
    """True when `pid` still runs one of the lab's simulator programs."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"beffroi/lab/peers" in cmdline or PEERS.encode() in cmdline


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _listening(ip: IPv4Address, port: int) -> bool:
    try:
        with socket.create_connection((str(ip), port), timeout=1):
            return True
    except OSError:
        return False


def start(topo: Topology, inv: Inventory, progress: Progress, timeout: float = 90) -> list[str]:
    """Start every simulator not already running; returns the ones started now."""
    if topo.devices and not ONVIF_PYTHON.exists():
        raise LabError(f"the ONVIF camera simulator is not installed ({ONVIF_PYTHON}): run "
                       "`make bootstrap` (scripts/install-onvif-sim.sh)")
    folder = _dir(topo.lab)
    folder.mkdir(parents=True, exist_ok=True)
    started: list[tuple[Simulator, subprocess.Popen[str]]] = []
    progress("clips and simulators of the switch and cameras")
    for sim in simulators(topo, inv):
        pid_file = _pid_file(topo.lab, sim)
        pid = _read_pid(pid_file)
        if pid is not None and _ours(pid):
            continue
        dev = next(d for d in topo.devices if d.hostname == sim.device)
        netns = f"/proc/{_container_pid(dev)}/ns/net"
        progress(f"{sim.role} simulator of {sim.device} at {sim.ip}:{sim.port}")
        log = (folder / f"{sim.device}.{sim.role}.log").open("w", encoding="utf-8")
        proc = subprocess.Popen(["nsenter", f"--net={netns}", "--", *sim.argv], cwd=REPO_ROOT,
                                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        log.close()
        assert proc.stdin is not None
        proc.stdin.write(sim.stdin)
        proc.stdin.close()
        pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
        started.append((sim, proc))
    deadline = time.monotonic() + timeout
    for sim, proc in started:
        progress(f"waiting for {sim.device} ({sim.role}) on {sim.ip}:{sim.port}")
        while not _listening(sim.ip, sim.port):
            if proc.poll() is not None or time.monotonic() > deadline:
                log_path = _dir(topo.lab) / f"{sim.device}.{sim.role}.log"
                tail = log_path.read_text(encoding="utf-8", errors="replace")[-800:]
                raise LabError(f"the {sim.role} simulator of {sim.device} did not listen on "
                               f"{sim.ip}:{sim.port} (exit {proc.poll()}); {log_path}: {tail}")
            time.sleep(0.3)
    return [f"{s.device}/{s.role}" for s, _ in started]


def _container_pid(dev: DeviceSpec) -> int:
    pid = int((podman.inspect_container(dev.container).get("State") or {}).get("Pid") or 0)
    if pid <= 0:
        raise LabError(f"container {dev.container} is not running: `beffroi lab up` again")
    return pid


def stop(lab: str) -> list[int]:
    """Kill the simulators this lab started (by their recorded pids only); returns the pids."""
    folder = _dir(lab)
    if not folder.is_dir():
        return []
    pids = [(f, _read_pid(f)) for f in sorted(folder.glob("*.pid"))]
    live = [pid for _, pid in pids if pid is not None and _ours(pid)]
    for pid in live:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while any(_ours(p) for p in live) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in live:
        if _ours(pid):
            os.kill(pid, signal.SIGKILL)
    for file, _ in pids:
        file.unlink(missing_ok=True)
    return live


def stop_one(lab: str, device: str, role: str) -> int | None:
    """Kill one simulator of a device (a camera losing its stream); `start` brings it back."""
    pid_file = _dir(lab) / f"{device}.{role}.pid"
    pid = _read_pid(pid_file)
    if pid is None or not _ours(pid):
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while _ours(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _ours(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid


def running(lab: str) -> dict[str, list[str]]:
    """device → its simulators as `role pid N` (or `role stopped`), from the state dir."""
    out: dict[str, list[str]] = {}
    for file in sorted(_dir(lab).glob("*.pid")) if _dir(lab).is_dir() else []:
        device, role = file.stem.rsplit(".", 1)
        pid = _read_pid(file)
        state = f"pid {pid}" if pid is not None and _ours(pid) else "stopped"
        out.setdefault(device, []).append(f"{role} {state}")
    return out
