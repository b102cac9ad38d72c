"""Throwaway podman systemd containers of the lab image for the Linux-host drift tests: started
with no network (or one the test creates), converged by the test, always removed."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from network_kit import REPO

from beffroi.lab.image import IMAGE_NAME

IMAGE = IMAGE_NAME  # the lab image of this recipe (tagged by its hash)
ENV = {**os.environ, "CONTAINERS_CONF": str(REPO / "lab" / "containers.conf")}


def podman(*args: str, stdin: str | None = None, check: bool = True
           ) -> subprocess.CompletedProcess[str]:
    """`podman ARGS` with the lab's containers.conf."""
    return subprocess.run(["podman", *args], env=ENV, input=stdin, capture_output=True,
                          text=True, timeout=120, check=check)


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
