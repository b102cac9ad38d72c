"""End to end (issue 12): a commune deployed by `beffroi deploy` in the lab, proven by the demo.

Real hosts (podman systemd containers), real device simulators at the model addresses, real
video; nothing here is mocked. The demo's checks are read from its checks.json.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from e2e_kit import SLUG, Deployed

from beffroi.deploy import lab_target, run_play
from beffroi.lab import podman
from beffroi.lab.lifecycle import status

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]
BIN = Path(sys.executable).parent


def _check(deployed: Deployed, prefix: str) -> list[dict[str, object]]:
    found = [c for c in deployed.checks if str(c["name"]).startswith(prefix)]
    assert found, f"no check named {prefix!r}: {[c['name'] for c in deployed.checks]}"
    return found


def test_demo_exits_zero_with_every_line_proven(deployed: Deployed) -> None:
    failed = [f"{c['name']}: {c['figure']}" for c in deployed.checks if not c["ok"]]
    assert deployed.checks and not failed, failed
    assert deployed.code == 0


def test_both_cameras_record_at_their_declared_size_and_rate(deployed: Deployed) -> None:
    site = deployed.model.sites[SLUG]
    for cam in site.cameras:
        [check] = _check(deployed, f"recording {cam.name}")
        rec = cam.recording
        assert check["ok"], check["figure"]
        assert f"{rec.codec} {rec.width}×{rec.height} @ {rec.fps} fps" in str(check["figure"])
    [coming] = _check(deployed, "segments keep coming")
    assert coming["ok"], coming["figure"]


def test_crisis_cell_sees_live_video_but_no_recording(deployed: Deployed) -> None:
    live = _check(deployed, "crisis cell decodes")
    assert len(live) == len(deployed.model.sites[SLUG].cameras)
    assert all(c["ok"] and "via wg-beffroi" in str(c["figure"]) for c in live), live
    [api] = _check(deployed, "crisis cell: recorder API")
    [relay] = _check(deployed, "crisis cell: relay serves no recorded range")
    assert api["ok"] and relay["ok"], (api, relay)


def test_drift_is_clean_on_all_six_devices_and_redeploy_changes_nothing(
        deployed: Deployed) -> None:
    # firewall, NVR, operator workstation, switch, two cameras
    [drift] = _check(deployed, "beffroi drift clean on all 6 devices")
    assert drift["ok"] and "skipped" not in str(drift["figure"]), drift["figure"]
    [again] = _check(deployed, "second deploy changes nothing")
    assert again["ok"] and "changed=0" in str(again["figure"]), again["figure"]


def test_a_stopped_stream_raises_camera_down_at_the_crisis_cell_then_camera_back(
        deployed: Deployed) -> None:
    """The department's crisis-cell route (RFC 5424 over TLS into the tunnel) takes the alert."""
    [alert] = _check(deployed, "alert travels")
    assert alert["ok"], alert["figure"]
    assert "camera_down received" in str(alert["figure"]), alert["figure"]
    assert "route cellule-de-crise" in str(alert["figure"]), alert["figure"]


def test_console_and_wall_answer_their_login_page_over_tls(deployed: Deployed) -> None:
    for name in ("commune console login over TLS", "crisis-cell wall login over TLS"):
        [page] = _check(deployed, name)
        assert page["ok"] and "login form" in str(page["figure"]), page["figure"]


def test_lab_status_shows_the_switch_and_cameras_simulators_running(
        deployed: Deployed) -> None:
    rows = {r.hostname: r for r in status(deployed.topo.lab)}
    for dev in deployed.topo.devices:
        assert "pid" in rows[dev.hostname].systemd, rows[dev.hostname]
        assert "stopped" not in rows[dev.hostname].systemd, rows[dev.hostname]


def test_deploy_removes_a_firewall_rule_added_by_hand(deployed: Deployed) -> None:
    """NET-1: the file did not change, the kernel did; the converge puts the kernel back."""
    fw = deployed.topo.host(deployed.model.sites[SLUG].firewall.hostname)
    podman.exec_in(fw.container, ["nft", "add", "rule", "inet", "beffroi", "input",
                                  "tcp", "dport", "4444", "accept"])
    podman.exec_in(fw.container, ["nft", "add", "table", "ip", "intruder"])
    target = lab_target(deployed.inventory, deployed.topo.lab, SLUG)
    base = [str(BIN / "ansible-playbook")]
    for inv in target.inventories:
        base += ["-i", str(inv)]
    log = deployed.out / "fw-repair.log"
    repaired = run_play("firewall", "playbooks/site.yml",
                        [*base, "playbooks/site.yml", "-l", fw.hostname], target.env, log,
                        lambda _: None)
    assert repaired.rc == 0, log.read_text()[-3000:]
    assert repaired.recap[fw.hostname].changed >= 1
    ruleset = podman.exec_in(fw.container, ["nft", "list", "ruleset"]).stdout
    assert "dport 4444" not in ruleset and "table ip intruder" not in ruleset
    again = run_play("firewall", "playbooks/site.yml",
                     [*base, "playbooks/site.yml", "-l", fw.hostname], target.env, log,
                     lambda _: None)
    assert again.rc == 0 and again.recap[fw.hostname].changed == 0, log.read_text()[-3000:]
    res = subprocess.run([str(BIN / "beffroi"), "drift", "--site", SLUG, "--inventory",
                          str(deployed.inventory), "--kind", "firewall", "--endpoints",
                          str(Path(target.inventories[-1]).parent / "endpoints.yml")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout[-2000:]
