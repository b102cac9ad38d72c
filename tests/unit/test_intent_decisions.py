"""Issue 11's required test, for decisions as well as paths: one edit of the intent
(beffroi/intent.py) changes what the roles deploy (the inventory's `beffroi_files`, which they
render) and what drift checks (the files and bytes its plan hands each host's check), with no
other edit. The path case of chrony is tests/ansible_inventory/test_files_from_intent.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from beffroi import intent
from beffroi.ansible_inventory import build
from beffroi.drift import audit
from beffroi.drift.report import DeviceDrift, Status
from beffroi.inventory import load_inventory
from network.endpoints import Endpoint

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "moselle"
LINUX = {"evrange-fw": "firewall", "evrange-nvr": "nvr"}



def _drift(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    """Per Linux host of Évrange: destination → the bytes drift compares it with."""
    seen: dict[str, dict[str, str]] = {}

    def record(site: str, device: str, endpoint: Endpoint, **kw: Any) -> DeviceDrift:
        seen[device] = {out.dest: text for out, text in kw["files"] if out.dest}
        return DeviceDrift(site, device, kw["kind"], Status.OK)

    for kind in set(LINUX.values()):
        monkeypatch.setitem(audit.CONNECTORS, kind, record)
    targets = audit.plan(load_inventory(INVENTORY), ["evrange"],
                         {h: Endpoint("127.0.0.1", 1) for h in LINUX}, tuple(set(LINUX.values())))
    audit.run(targets)
    return seen


def _deployed(template: str) -> dict[str, list[dict[str, Any]]]:
    """Per Linux host: the items of `template` the roles loop over."""
    hostvars = build(INVENTORY).hostvars
    return {h: [f for f in hostvars[h]["beffroi_files"] if f["template"] == template]
            for h in LINUX}


def test_changing_the_journal_decision_changes_the_role_and_drift(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """JRN-1: keep the system journal two years instead of one — one edit of intent.JOURNALD."""
    monkeypatch.setitem(intent.JOURNALD, "max_retention", "2year")
    for host, items in _deployed("common/journald.conf.j2").items():
        assert [i["variables"]["journald"]["max_retention"] for i in items] == ["2year"], host
    for host, files in _drift(monkeypatch).items():
        assert "MaxRetentionSec=2year\n" in files[intent.PATHS["journald_dropin"]], host


def test_changing_the_admin_group_changes_sshd_and_sudoers_in_the_role_and_drift(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """NET-3: the administrators' group is one decision, read by sshd_config and sudoers."""
    monkeypatch.setitem(intent.SSHD, "admin_group", "mairie-admins")
    for host, items in _deployed("common/sudoers.j2").items():
        assert [i["variables"]["admin_group"] for i in items] == ["mairie-admins"], host
    for host, files in _drift(monkeypatch).items():
        assert "%mairie-admins ALL=(ALL:ALL) NOPASSWD: ALL\n" in files[
            intent.PATHS["sudoers_admins"]], host
        assert "AllowGroups mairie-admins\n" in files[intent.PATHS["sshd_config"]], host


def test_moving_the_journald_dropin_moves_the_role_and_drift(
        monkeypatch: pytest.MonkeyPatch) -> None:
    moved = "/etc/systemd/journald.conf.d/50-beffroi-test.conf"
    monkeypatch.setitem(intent.PATHS, "journald_dropin", moved)
    for host, items in _deployed("common/journald.conf.j2").items():
        assert [i["dest"] for i in items] == [moved], host
    for host, files in _drift(monkeypatch).items():
        assert moved in files and "/etc/systemd/journald.conf.d/beffroi.conf" not in files, host
