"""The loopback fault drills pass on real parts (RTSP cameras, recorder process, ffmpeg, a
tmpfs of our own); each reports what it did, checked and the measured recovery."""

from __future__ import annotations

import os

import pytest

from beffroi.drills.catalog import load_all
from beffroi.drills.runner import REGISTRY, run

load_all()


@pytest.mark.parametrize("name", ["camera-stream", "recorder-restart"])
def test_loopback_drill_passes_and_measures_its_recovery(name: str) -> None:
    report = run(name)
    assert report.passed, report.to_json()
    assert report.did and report.recovery
    assert all(v > 0 for v in report.recovery.values())


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting the drill's own tmpfs needs root")
def test_disk_full_drill_keeps_the_hold_and_registers_destructions() -> None:
    report = run("disk-full")
    assert report.passed, report.to_json()
    checked = {c.what for c in report.checks}
    assert "held segments kept (RET-2)" in checked
    assert "each destruction in the register (REG-1)" in checked


def test_lab_drills_are_registered_but_lab_only() -> None:
    lab = {n for n, d in REGISTRY.items() if d.level == "lab"}
    assert {"nvr-restart", "wan-cut", "crisis-cell-stopped"} <= lab


def test_a_failing_check_fails_the_drill() -> None:
    from beffroi.drills.runner import DrillReport

    report = DrillReport("x", "loopback")
    report.check("something held", True)
    report.check("something else held", False)
    assert not report.passed


@pytest.mark.skipif(os.geteuid() != 0, reason="NUT's daemons drop to user nut: started as root")
def test_ups_low_battery_drill_stops_the_recorder_cleanly() -> None:
    report = run("ups-low-battery")
    assert report.passed, report.to_json()
    assert "low battery → recorder stopped cleanly" in report.recovery


def test_clock_step_drill_marks_segments_invalid_alarms_and_recovers() -> None:
    report = run("clock-step")
    assert report.passed, report.to_json()
    assert {"clock step → segments marked not valid",
            "clock back → segments valid again"} <= set(report.recovery)


def test_lab_drill_without_a_deployed_lab_says_how_to_get_one() -> None:
    """No traceback, no silent pass: the drill fails and names the commands to run first."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    res = subprocess.run([str(Path(sys.executable).with_name("beffroi")), "drill", "nvr-restart",
                          "--name", "beffroi-no-such-lab", "-f", "json"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    [report] = json.loads(res.stdout)
    assert not report["passed"] and "Traceback" not in res.stderr
    assert "bring the lab up and deploy first" in report["error"], report
    assert "--name beffroi-no-such-lab" in report["error"], report


def test_text_output_ends_with_the_verdict_of_every_drill() -> None:
    """After pages of checks, the last line says how many drills passed and which failed."""
    import subprocess
    import sys
    from pathlib import Path

    res = subprocess.run([str(Path(sys.executable).with_name("beffroi")), "drill", "nvr-restart",
                          "--name", "beffroi-no-such-lab"],
                         capture_output=True, text=True, timeout=120, check=False,
                         env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.strip().splitlines()[-1] == "0 of 1 drill(s) passed; failed: nvr-restart"
