"""Shared names of the lab tests (a module, since several `conftest` modules exist)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from beffroi.lab.lifecycle import UpResult
from beffroi.lab.topology import Topology

REPO = Path(__file__).resolve().parents[2]
LAB = "beffroi-test"
BYSTANDER = "beffroi-test-bystander"
BYSTANDER_LABEL = "beffroi.lab=someone-else"


@dataclass(frozen=True)
class Bystander:
    """A container and a network another tool owns, which `lab down` must not touch."""

    container: str
    network: str


@dataclass(frozen=True)
class Lab:
    """A running lab and how it was made."""

    topo: Topology
    first_up: UpResult
