"""Lab fixtures: the image (built once, cached), a bystander that must survive, the lab itself.

The lab uses the model's real subnets, so one lab of a site at a time on a machine: these
tests call their lab `beffroi-test` and take it down at the end.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_kit import BYSTANDER, BYSTANDER_LABEL, LAB, Bystander, Lab, readdressed_moselle

from beffroi.inventory import Inventory, load_inventory
from beffroi.lab import podman
from beffroi.lab.image import IMAGE_NAME, ImageResult, ensure_image
from beffroi.lab.lifecycle import down, up
from beffroi.lab.topology import build_topology


def _quiet(_: str) -> None:
    """Progress sink for fixtures (pytest captures output anyway)."""


@pytest.fixture(scope="session")
def lab_image() -> ImageResult:
    """The lab image from the cache (a cold debootstrap only on a fresh machine)."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (make bootstrap)")
    return ensure_image(_quiet)


@pytest.fixture(scope="session")
def lab_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Moselle inventory moved to the test pools (see lab_kit.READDRESS)."""
    return readdressed_moselle(tmp_path_factory.mktemp("lab") / "moselle")


@pytest.fixture(scope="session")
def moselle_model(lab_inventory: Path) -> Inventory:
    """The test lab's model, read once."""
    return load_inventory(lab_inventory)


@pytest.fixture(scope="module")
def bystander(lab_image: ImageResult) -> Iterator[Bystander]:
    """Created before the lab, with another beffroi.lab value; removed by name afterwards."""
    podman.run(["rm", "-f", "-t", "0", "--ignore", BYSTANDER])
    if podman.network_exists(BYSTANDER):
        podman.run(["network", "rm", BYSTANDER])
    podman.run(["network", "create", "--internal", "--disable-dns", "--subnet",
                "198.18.250.0/24", "--label", BYSTANDER_LABEL, BYSTANDER])
    podman.run(["run", "-d", "--name", BYSTANDER, "--label", BYSTANDER_LABEL, "--network",
                BYSTANDER, IMAGE_NAME, "sleep", "infinity"])
    yield Bystander(BYSTANDER, BYSTANDER)
    podman.run(["rm", "-f", "-t", "0", "--ignore", BYSTANDER], check=False)
    podman.run(["network", "rm", BYSTANDER], check=False)


@pytest.fixture(scope="module")
def evrange_lab(lab_image: ImageResult, bystander: Bystander, lab_inventory: Path,
                moselle_model: Inventory) -> Iterator[Lab]:
    """`lab up` for Évrange (+ crisis cell); `lab down` afterwards even if a test failed."""
    topo = build_topology(moselle_model, LAB, ["evrange"])
    down(LAB, _quiet)  # a lab left over by an interrupted run
    result = up(topo, _quiet)
    yield Lab(topo, result, lab_inventory)
    down(LAB, _quiet)
