"""The lab's device simulators without podman: what they are given, what may be killed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from beffroi.inventory import Inventory
from beffroi.lab import devices
from beffroi.lab.access import write_endpoints, write_inventory
from beffroi.lab.topology import build_topology


def test_lab_endpoints_list_every_audited_device_with_the_switch_simulator_profile(
        moselle_model: Inventory, tmp_path: Path) -> None:
    site = moselle_model.sites["evrange"]
    topo = build_topology(moselle_model, "t", ["evrange"])
    key = tmp_path / "id_ed25519"
    data = yaml.safe_load(write_endpoints(topo, tmp_path, key).read_text())
    # the department's own hosts too (`beffroi drift --site crisis-cell / monitoring`)
    department = {h.hostname for h in topo.hosts if h.kind in ("crisis_cell", "monitoring")}
    assert moselle_model.crisis_cell is not None
    assert moselle_model.crisis_cell.hostname in department
    assert set(data) == {site.firewall.hostname, site.nvr.hostname, site.switch.hostname,
                         site.workstation.hostname,
                         *(f"evrange-{c.name}" for c in site.cameras), *department}
    assert data[moselle_model.crisis_cell.hostname]["lab"] is True  # its lab's sshd, no other
    assert data[site.switch.hostname] == {"host": str(site.switch.ip), "port": 22,
                                          "profile": "fake-switches"}
    assert data[site.nvr.hostname]["ssh_key"] == str(key)


def test_device_host_vars_mark_the_lab_but_keep_the_model_address(
        moselle_model: Inventory, tmp_path: Path) -> None:
    topo = build_topology(moselle_model, "t", ["evrange"])
    inv_dir = write_inventory(topo, tmp_path, tmp_path / "id_ed25519")
    sw = yaml.safe_load((inv_dir / "host_vars" / "evrange-sw.yml").read_text())
    assert sw["beffroi_lab"] == "t" and sw["switch_profile"] == "fake-switches"
    assert "ansible_host" not in sw  # reached at the inventory's (model) address


def test_switch_credentials_go_on_stdin_never_on_the_command_line(
        moselle_model: Inventory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BEFFROI_CACHE", str(tmp_path))
    monkeypatch.setattr(devices, "ensure_clip", lambda *a: (tmp_path / "clip.h264", False))
    topo = build_topology(moselle_model, "t", ["evrange"])
    sims = devices.simulators(topo, moselle_model)
    [switch] = [s for s in sims if s.role == "ssh"]
    assert '"password"' in switch.stdin
    password = switch.stdin.split('"password": "')[1].split('"')[0]
    assert password and not any(password in arg for s in sims for arg in s.argv)


def test_cameras_serve_the_declared_size_and_rate_at_their_model_address(
        moselle_model: Inventory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clips: list[tuple[int, ...]] = []

    def fake_clip(*args: int) -> tuple[Path, bool]:
        clips.append(args)
        return tmp_path / "clip.h264", False
    monkeypatch.setattr(devices, "ensure_clip", fake_clip)
    site = moselle_model.sites["evrange"]
    topo = build_topology(moselle_model, "t", ["evrange"])
    sims = devices.simulators(topo, moselle_model)
    for cam in site.cameras:
        rec = cam.recording
        assert (rec.width, rec.height, rec.fps, rec.bitrate_kbps) in clips
        onvif = next(s for s in sims if s.device == f"evrange-{cam.name}" and s.role == "onvif")
        assert str(cam.ip) in onvif.argv and f"{rec.width}x{rec.height}" in onvif.argv
        assert onvif.port == cam.onvif_port
        rtsp = next(s for s in sims if s.device == f"evrange-{cam.name}" and s.role == "rtsp")
        assert (rtsp.ip, rtsp.port) == (cam.ip, 554) and cam.rtsp_path in rtsp.argv


def test_stop_kills_only_processes_running_a_lab_simulator(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BEFFROI_CACHE", str(tmp_path))
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        folder = tmp_path / "labs" / "t" / "devices"
        folder.mkdir(parents=True)
        (folder / "evrange-sw.ssh.pid").write_text(f"{bystander.pid}\n")
        assert devices.stop("t") == []
        assert bystander.poll() is None  # a recycled pid is never killed
        assert not list(folder.glob("*.pid"))
    finally:
        bystander.kill()
        bystander.wait()
