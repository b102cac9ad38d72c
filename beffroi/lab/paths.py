"""Where the lab keeps its cache (image tarball) and its state (keys, generated inventory)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """`${BEFFROI_CACHE:-~/.cache/beffroi}`: outside the checkout so a clean clone reuses it."""
    env = os.environ.get("BEFFROI_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "beffroi"


def state_dir(lab: str) -> Path:
    """Per-lab state (SSH key, Ansible inventory override, routes it added)."""
    return cache_dir() / "labs" / lab


def containers_conf() -> Path:
    """The project's containers.conf (runc, explicit ulimits); an exported one wins."""
    env = os.environ.get("CONTAINERS_CONF")
    return Path(env) if env else REPO_ROOT / "lab" / "containers.conf"
