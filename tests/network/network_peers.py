"""Harness for the network test peers (see ../shared/PEERS.md): everything on 127.0.0.1.

Each peer is a subprocess this harness starts and stops by its own PID; nothing else is killed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def free_ports(n: int) -> list[int]:
    """n TCP ports free on 127.0.0.1 right now (held open together so they are distinct)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _wait_ready(proc: subprocess.Popen[str], what: str, timeout: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY"):
            return
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{what} did not start (exit {proc.poll()})")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass(frozen=True)
class SwitchPeer:
    """fake-switches servers started for one test (one TCP port per switch)."""

    ports: list[int]
    username: str
    password: str
    enable: str


@contextmanager
def fake_switches(creds: dict[str, Any], port_names: list[str], count: int = 1,
                  model: str = "cisco_generic") -> Iterator[SwitchPeer]:
    """Start `count` fresh fake switches (Cisco IOS CLI, or `juniper_generic` NETCONF)."""
    prefix = port_names[0].rstrip("0123456789")
    first = int(port_names[0][len(prefix):])
    ports = free_ports(count)
    cmd = [sys.executable, str(HERE / "fake_switch_server.py"), creds["username"],
           creds["password"], creds["enable_secret"],
           f"{model}@{prefix}:{first}:{len(port_names)}",
           *map(str, ports)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        _wait_ready(proc, "fake-switches", 30)
        yield SwitchPeer(ports, creds["username"], creds["password"], creds["enable_secret"])
    finally:
        _stop(proc)


ONVIF_PYTHON = REPO / ".venv-onvif" / "bin" / "python"


@dataclass(frozen=True)
class CameraPeer:
    """One ipycam virtual ONVIF camera (with the test-code setters of onvif_sim_ext.py)."""

    port: int
    factory_user: str
    factory_password: str


@contextmanager
def onvif_camera(width: int, height: int, fps: int, kbps: int, masks: bool,
                 factory: tuple[str, str] = ("admin", "admin")) -> Iterator[CameraPeer]:
    """Start a factory-fresh virtual camera on 127.0.0.1 (needs scripts/install-onvif-sim.sh)."""
    onvif_port, rtsp_port = free_ports(2)
    cmd = [str(ONVIF_PYTHON), str(HERE / "onvif_camera_server.py"), str(onvif_port),
           str(rtsp_port), factory[0], factory[1], f"{width}x{height}", str(fps), str(kbps),
           "masks" if masks else "nomasks"]
    proc = subprocess.Popen(cmd, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        _wait_ready(proc, "ipycam", 60)
        yield CameraPeer(onvif_port, *factory)
    finally:
        _stop(proc)


async def set_fps_by_hand(port: int, user: str, password: str, fps: int) -> None:
    """An installer lowers a simulated camera's frame rate from outside Beffroi (plain ONVIF)."""
    from onvif import ONVIFCamera

    cam = ONVIFCamera("127.0.0.1", port, user, password)
    try:
        await cam.update_xaddrs()
        media = await cam.create_media_service()
        vec = (await media.GetVideoEncoderConfigurations())[0]
        vec.RateControl.FrameRateLimit = fps
        await media.SetVideoEncoderConfiguration({"Configuration": vec,
                                                  "ForcePersistence": True})
    finally:
        await cam.close()
