"""Shared names of the lab tests (a module, since several `conftest` modules exist)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from beffroi.lab.lifecycle import UpResult
from beffroi.lab.topology import Topology

REPO = Path(__file__).resolve().parents[2]
LAB = "beffroi-test"
BYSTANDER = "beffroi-test-bystander"
BYSTANDER_LABEL = "beffroi.lab=someone-else"
# The test lab's copy of Moselle moves every pool (department 10.57/16 → 10.157/16, WAN
# 100.64/16 → 100.65/16, VPN 10.58/22 → 10.158/22): a lab holds its model's subnets on the
# machine, and this lets the tests run beside a developer's or Molecule's Évrange lab.
READDRESS = ((r"\b10\.57\.", "10.157."), (r"\b100\.64\.", "100.65."), (r"\b10\.58\.", "10.158."))


def readdressed_moselle(dst: Path) -> Path:
    """Copy the Moselle inventory to dst with every address moved to the test pools."""
    shutil.copytree(REPO / "inventories" / "moselle", dst)
    for path in dst.rglob("*.yml"):
        if "vault" in path.parts:
            continue  # ciphertext: secrets only, no addresses
        text = path.read_text(encoding="utf-8")
        for pattern, repl in READDRESS:
            text = re.sub(pattern, repl, text)
        path.write_text(text, encoding="utf-8")
    return dst


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
    inventory: Path  # the model the lab was built from (a re-addressed Moselle copy)
