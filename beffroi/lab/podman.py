"""A thin typed wrapper over the podman CLI, always with the project's containers.conf."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from beffroi.lab.errors import LabError
from beffroi.lab.paths import containers_conf

LABEL = "beffroi.lab"


def podman_env() -> dict[str, str]:
    """The environment every podman call gets (CONTAINERS_CONF → runc, ulimits, subnet pool)."""
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = str(containers_conf())
    return env


def require_podman() -> str:
    """Path to podman, or a clear error telling how to install it."""
    path = shutil.which("podman")
    if path is None:
        raise LabError("podman is not installed: run `make bootstrap` "
                       "(scripts/apt-packages.txt lists podman and runc)")
    return path


@dataclass(frozen=True)
class Result:
    """What a podman call returned."""

    returncode: int
    stdout: str
    stderr: str


def run(args: Sequence[str], *, check: bool = True, input_text: str | None = None,
        timeout: float = 600) -> Result:
    """Run `podman ARGS`; with check, a non-zero exit becomes a LabError quoting stderr."""
    cmd = [require_podman(), *args]
    try:
        proc = subprocess.run(cmd, env=podman_env(), capture_output=True, text=True,
                              input=input_text, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`podman {' '.join(args)}` timed out after {timeout:.0f} s") from exc
    res = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and res.returncode != 0:
        raise LabError(f"`podman {' '.join(args)}` failed (exit {res.returncode}): "
                       f"{res.stderr.strip() or res.stdout.strip()}")
    return res


def image_exists(name: str) -> bool:
    """True when the image is in podman's local store."""
    return run(["image", "exists", name], check=False).returncode == 0


def network_exists(name: str) -> bool:
    """True when a podman network of that name exists."""
    return run(["network", "exists", name], check=False).returncode == 0


def container_exists(name: str) -> bool:
    """True when a container of that name exists (running or not)."""
    return run(["container", "exists", name], check=False).returncode == 0


def _json(args: Sequence[str]) -> list[dict[str, Any]]:
    out = run(args).stdout.strip()
    data: Any = json.loads(out) if out else []
    return list(data) if isinstance(data, list) else []


def containers_with_label(label: str, value: str) -> list[dict[str, Any]]:
    """`podman ps -a` entries carrying label=value."""
    return _json(["ps", "-a", "--filter", f"label={label}={value}", "--format", "json"])


def networks() -> list[dict[str, Any]]:
    """Every podman network (name, subnets, labels)."""
    return _json(["network", "ls", "--format", "json"])


def networks_with_label(label: str, value: str) -> list[str]:
    """Names of the networks carrying label=value."""
    out = run(["network", "ls", "--filter", f"label={label}={value}",
               "--format", "{{.Name}}"]).stdout
    return [line for line in out.splitlines() if line.strip()]


def inspect_container(name: str) -> dict[str, Any]:
    """`podman container inspect NAME` as a dict."""
    data = _json(["container", "inspect", name])
    if not data:
        raise LabError(f"container {name} not found")
    return data[0]


def inspect_network(name: str) -> dict[str, Any]:
    """`podman network inspect NAME` as a dict."""
    data = _json(["network", "inspect", name])
    if not data:
        raise LabError(f"network {name} not found")
    return data[0]


def exec_in(name: str, argv: Sequence[str], *, input_text: str | None = None,
            check: bool = True, timeout: float = 120) -> Result:
    """`podman exec -i NAME ARGV` (stdin fed from input_text)."""
    return run(["exec", "-i", name, *argv], input_text=input_text, check=check,
               timeout=timeout)
