"""Drift audits the operator workstation like the commune's other Linux hosts: the files of its
intent (kiosk unit, browser policy, site CA, sshd_config, chrony.conf), sshd and accounts
(issue 14 §4). The department's monitoring host has no site intent: drift does not plan it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from beffroi.drift import audit
from beffroi.drift.report import DeviceDrift, Status
from beffroi.inventory import load_inventory
from beffroi.lab.access import write_endpoints
from beffroi.lab.topology import build_topology
from network.endpoints import load_endpoints

REPO = Path(__file__).resolve().parents[2]


def _record(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    calls: list[tuple[str, str, Any]] = []

    def connector(kind: str) -> Any:
        def connect(site: str, device: str, endpoint: Any, **kw: Any) -> DeviceDrift:
            calls.append((device, kind, (endpoint, [o.template for o, _ in kw["files"]])))
            return DeviceDrift(site, device, kind, Status.OK, "recorded")
        return connect
    monkeypatch.setattr(audit, "CONNECTORS", {k: connector(k) for k in audit.KINDS})
    return calls


def test_drift_reaches_the_workstation_at_its_inventory_address_with_its_files(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record(monkeypatch)
    inv = load_inventory(REPO / "inventories" / "moselle")
    ws = inv.sites["evrange"].workstation
    audit.run(audit.plan(inv, ["evrange"], None))
    [(kind, (endpoint, templates))] = [(k, e) for d, k, e in calls if d == ws.hostname]
    assert kind == "workstation" and endpoint.host == str(ws.ip)
    assert set(templates) == {"workstation/site-ca.crt.j2", "workstation/chromium-policy.json.j2",
                              "workstation/beffroi-kiosk.service.j2", "common/chrony.conf.j2",
                              "common/sshd_config.j2", "common/journald.conf.j2",
                              "common/auto-upgrades.j2", "common/unattended-upgrades.j2",
                              "common/sudoers.j2"}
    assert inv.department is not None and inv.department.monitoring is not None
    assert inv.department.monitoring.hostname not in {d for d, _, _ in calls}


def test_the_labs_endpoints_name_the_workstation_as_a_lab_host(tmp_path: Path) -> None:
    inv = load_inventory(REPO / "inventories" / "moselle")
    ws = inv.sites["evrange"].workstation
    topo = build_topology(inv, "t", ["evrange"])
    endpoints = load_endpoints(write_endpoints(topo, tmp_path, tmp_path / "id_ed25519"))
    assert endpoints[ws.hostname].host == str(ws.ip) and endpoints[ws.hostname].lab
