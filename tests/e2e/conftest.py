"""The whole commune in the lab, once per session: `make demo`'s lab half with short durations.

Uses the lab tests' re-addressed Moselle (tests/lab/lab_kit.py, lab `beffroi-test`), so it runs
beside a developer's demo lab; `lab down` afterwards even if a test failed.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
from e2e_kit import SLUG, Deployed
from lab_kit import LAB, readdressed_moselle

from beffroi.demo_lab import Durations, run_lab_demo
from beffroi.inventory import load_inventory
from beffroi.lab.devices import ONVIF_PYTHON
from beffroi.lab.lifecycle import down
from beffroi.lab.topology import build_topology


def _quiet(_: str) -> None:
    """Progress sink (pytest captures output anyway)."""


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """lab up, deploy, the demo's checks (short durations); lab down at the end."""
    if shutil.which("podman") is None or not ONVIF_PYTHON.exists():
        pytest.skip("podman or the ONVIF simulator is missing (make bootstrap)")
    root = tmp_path_factory.mktemp("e2e")
    inventory = readdressed_moselle(root / "moselle")
    down(LAB, _quiet)  # a lab left over by an interrupted run
    out = root / "out"
    try:
        code = run_lab_demo(inventory, SLUG, out, Durations(live_frames=10, segment_wait=150),
                            lab=LAB)
        checks_file = out / "lab" / "checks.json"
        checks = json.loads(checks_file.read_text()) if checks_file.is_file() else []
        model = load_inventory(inventory)
        yield Deployed(inventory, model, build_topology(model, LAB, [SLUG]), code, checks, out)
    finally:
        down(LAB, _quiet)
