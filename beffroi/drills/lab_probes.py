"""What the lab drills look at, each read where it happens: the NVR's segment files and register
(podman exec, so a probe works while the network is cut), one live frame decoded at the crisis
cell through the tunnel, and the host side of a container's network cable (its veth)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from beffroi.lab import podman
from beffroi.lab.topology import HostSpec

_SEGMENTS = r"""
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
out = {}
for cam in sys.argv[2:]:
    segs = sorted((root / cam).glob("*.ts"))  # names sort by start time
    tail = []
    for p in segs[-8:]:
        try:
            tail.append([p.name, p.stat().st_size])
        except FileNotFoundError:  # purged between the listing and the stat
            pass
    out[cam] = {"count": len(segs), "newest": tail[-1][0] if tail else "",
                "newest_bytes": tail[-1][1] if tail else 0, "tail": tail}
print(json.dumps(out))
"""

_REGISTER = r"""
import json, pathlib, sys
out = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.jsonl")):
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a torn final write: the recorder repairs it, verify judges it
        out.append([entry["seq"], entry["hash"], entry["kind"]])
print(json.dumps(out))
"""

_LIVE_FRAME = r"""
import json, subprocess, sys, urllib.parse
conf = json.loads(sys.stdin.readline())  # the viewer's password comes on stdin, never argv
q = lambda s: urllib.parse.quote(s, safe="")
url = f"rtsp://{q(conf['user'])}:{q(conf['password'])}@{conf['relay']}/{conf['camera']}"
cmd = ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-timeout",
       str(int(conf["timeout"] * 1e6)), "-i", url, "-frames:v", "1", "-f", "framemd5", "-"]
try:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=conf["timeout"] + 5)
    frames = [l for l in res.stdout.splitlines() if l and not l.startswith("#")]
    err = (res.stderr.strip().splitlines() or [""])[-1] if not frames else ""
except subprocess.TimeoutExpired:
    frames, err = [], f"no frame in {conf['timeout'] + 5} s"
err = err.replace(q(conf["password"]), "***").replace(conf["password"], "***")
print(json.dumps({"frames": len(frames), "error": err}))
"""


def _python(container: str, script: str, *args: str, stdin: str = "",
            timeout: float = 60) -> Any:
    """Run a Python script inside a lab container (podman exec); its JSON output."""
    res = podman.exec_in(container, ["python3", "-c", script, *args], input_text=stdin,
                         check=False, timeout=timeout)
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"probe on {container} failed (exit {res.returncode}): "
                           f"{(res.stderr or res.stdout).strip()[-300:]}") from None


def segments(nvr: HostSpec, storage: str, cameras: list[str]) -> dict[str, dict[str, Any]]:
    """Per camera: how many segment files, the newest one (name, bytes) and the last few."""
    data: dict[str, dict[str, Any]] = _python(nvr.container, _SEGMENTS, storage, *cameras)
    return data


def register(nvr: HostSpec, state_dir: str) -> list[tuple[int, str, str]]:
    """Every register entry (REG-1) as (seq, hash, kind), in order."""
    return [(int(s), str(h), str(k)) for s, h, k in
            _python(nvr.container, _REGISTER, f"{state_dir}/register")]


def live_frame(cell: HostSpec, relay: str, camera: str, user: str, password: str,
               timeout: float = 5) -> tuple[bool, str]:
    """Does the crisis cell decode one live frame of `camera` from the relay (ACC-4)?"""
    conf = json.dumps({"relay": relay, "camera": camera, "user": user, "password": password,
                       "timeout": timeout})
    data = _python(cell.container, _LIVE_FRAME, stdin=conf + "\n", timeout=timeout + 30)
    return int(data["frames"]) > 0, str(data["error"])


def unit_active(host: HostSpec, unit: str) -> bool:
    """`systemctl is-active UNIT` says active (False while the container is down)."""
    res = podman.exec_in(host.container, ["systemctl", "is-active", unit], check=False,
                         timeout=30)
    return res.stdout.strip() == "active"


def booted(host: HostSpec) -> bool:
    """systemd in the container finished booting (running, or degraded by a lab-only unit)."""
    res = podman.exec_in(host.container, ["systemctl", "is-system-running"], check=False,
                         timeout=30)
    return res.stdout.strip() in ("running", "degraded")


def host_veth(host: HostSpec, ip: str) -> str:
    """The host end of the veth carrying `ip` in the container: pulling it is pulling the
    cable (the container sees no carrier, keeps its addresses and routes)."""
    res = podman.exec_in(host.container, ["sh", "-c",
                                          "for i in /sys/class/net/*; do n=${i##*/}; "
                                          f"ip -o -4 addr show dev $n | grep -q ' {ip}/' && "
                                          "cat $i/iflink; done; true"], timeout=30)
    index = res.stdout.strip()
    if not index.isdigit():
        raise RuntimeError(f"no interface with {ip} in {host.container}")
    for link in Path("/sys/class/net").iterdir():
        idx = link / "ifindex"
        if idx.is_file() and idx.read_text().strip() == index:
            return link.name
    raise RuntimeError(f"no host interface with index {index} (the veth of {host.container})")


def set_link(name: str, up: bool) -> None:
    """`ip link set dev NAME up|down` on the host (a lab bridge's port)."""
    subprocess.run(["ip", "link", "set", "dev", name, "up" if up else "down"], check=True,
                   capture_output=True, text=True, timeout=30)
