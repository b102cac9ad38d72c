"""The lab fault drills (issue 13) on the commune the session's demo deployed: NVR restarted,
WAN cut at the firewall, crisis cell stopped — each passes and measures its recovery.

Runs after test_demo_lab.py (whose checks read the demo's own figures) and before
test_intruder_drift.py; every drill puts the lab back as it found it (cable plugged, hosts up).
"""

from __future__ import annotations

import pytest
from e2e_kit import SLUG, Deployed

from beffroi.drills import lab as lab_drills
from beffroi.drills.catalog import load_all
from beffroi.drills.runner import run

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]

RECOVERIES = {
    "nvr-restart": {"recorder back after the restart", "first new segment after the restart"},
    "wan-cut": {"first live frame at the crisis cell after the WAN is back"},
    "crisis-cell-stopped": {"crisis cell booted again",
                            "first live frame at the crisis cell after its start"},
}


@pytest.fixture()
def on_the_deployed_lab(deployed: Deployed) -> None:
    """The drills act on the session's lab (re-addressed Moselle, lab beffroi-test)."""
    load_all()
    lab_drills.use(lab_drills.LabTarget(deployed.inventory, deployed.topo.lab, SLUG, hold=10))


@pytest.mark.parametrize("name", sorted(RECOVERIES))
def test_lab_drill_passes_and_measures_its_recovery(on_the_deployed_lab: None,
                                                    name: str) -> None:
    report = run(name)
    print(report.to_json())
    assert report.passed, report.to_json()
    assert set(report.recovery) == RECOVERIES[name], report.recovery
    assert all(v > 0 for v in report.recovery.values()), report.recovery
