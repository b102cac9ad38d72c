"""Throwaway podman systemd containers of the lab image for the Linux-host drift tests: started
with no network (or one the test creates), converged by the test, always removed."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from network_kit import REPO

from beffroi.lab.image import IMAGE_NAME

IMAGE = IMAGE_NAME  # the lab image of this recipe (tagged by its hash)
ENV = {**os.environ, "CONTAINERS_CONF": str(REPO / "lab" / "containers.conf")}


def podman(*args: str, stdin: str | None = None, check: bool = True
           ) -> subprocess.CompletedProcess[str]:
    """`podman ARGS` with the lab's containers.conf."""
    return subprocess.run(["podman", *args], env=ENV, input=stdin, capture_output=True,
                          text=True, timeout=120, check=check)


# systemd has finished booting (running, or degraded: a unit of the image failed); bounded
BOOTED = ("for i in $(seq 300); do s=$(systemctl is-system-running 2>/dev/null); "
          "[ \"$s\" = running ] || [ \"$s\" = degraded ] && break; sleep 0.2; done; ")


def image_exists() -> bool:
    """True when the lab image is built (the tests skip otherwise)."""
    try:
        return podman("image", "exists", IMAGE, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def sh(name: str, script: str) -> str:
    """Run a shell script in the container; its stdout."""
    return podman("exec", name, "sh", "-c", script).stdout


def run_container(name: str, network: str) -> None:
    """Start a systemd container of the lab image (NET_ADMIN and tun for wireguard-go)."""
    podman("run", "-d", "--rm", "--name", name, "--label", "beffroi.test=drift",
           "--network", network, "--systemd=always", "--cap-add", "NET_ADMIN",
           "--device", "/dev/net/tun", IMAGE, "/lib/systemd/systemd")


@contextmanager
def converged(prefix: str, converge: Callable[[str], None]) -> Iterator[str]:
    """A container with no network, converged by `converge(name)`; removed afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    run_container(name, "none")
    try:
        converge(name)
        yield name
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


@dataclass(frozen=True)
class Reachable:
    """A container on an --internal network of its own, reached from the host by SSH."""

    name: str
    tag: str      # the random part of its names (a lab marker can reuse it)
    subnet: str   # its network, e.g. to declare as an admin network
    addr: str
    key: Path     # the private key `authorize` lets root in with


@contextmanager
def reachable(prefix: str, key_dir: Path) -> Iterator[Reachable]:
    """A container of the lab image on an --internal podman network this test creates (a /28 in
    10.254.254.0/24, away from the lab pools: no default route, nothing leaves it; the host
    reaches it by its bridge), and an SSH key pair in key_dir; both removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    net, name = f"beffroi-drift-net-{tag}", f"{prefix}-{tag}"
    octet = 16 * (int(tag[:2], 16) % 15 + 1)
    subnet, addr = f"10.254.254.{octet}/28", f"10.254.254.{octet + 2}"
    key = key_dir / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    podman("network", "create", "--internal", "--subnet", subnet, "--label",
           "beffroi.test=drift", net)
    try:
        run_container(name, f"{net}:ip={addr}")
        yield Reachable(name, tag, subnet, addr, key)
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)
        podman("network", "rm", "-f", net, check=False)


def authorize(box: Reachable) -> None:
    """Let root in with the box's key, once systemd has booted. sshd is restarted, not started:
    it may have come up at boot with another sshd_config, and reads it only when it starts."""
    podman("exec", "-i", box.name, "sh", "-c", BOOTED + "mkdir -p /root/.ssh && chmod 700 "
           "/root/.ssh && cat > /root/.ssh/authorized_keys && systemctl restart ssh",
           stdin=box.key.with_suffix(".pub").read_text())
