"""Every drill: importing the drill modules registers them in the runner's registry."""

from __future__ import annotations

from beffroi.drills import lab, loopback
from beffroi.drills.runner import REGISTRY, Drill

MODULES = (lab, loopback)  # imported for their registrations


def load_all() -> dict[str, Drill]:
    """The registry with every drill."""
    return REGISTRY
