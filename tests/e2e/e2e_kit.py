"""Shared names of the end-to-end tests (a module: several `conftest` modules exist)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import testinfra

from beffroi.inventory import Inventory
from beffroi.lab.topology import Topology

SLUG = "evrange"


@dataclass(frozen=True)
class Deployed:
    """The deployed lab commune and what the demo's checks said."""

    inventory: Path
    model: Inventory
    topo: Topology
    code: int
    checks: list[dict[str, Any]]
    out: Path

    def host(self, hostname: str) -> Any:
        """A testinfra host for a lab host by inventory name (podman backend: `podman exec`
        into its container, as root)."""
        return testinfra.get_host(f"podman://{self.topo.host(hostname).container}")
