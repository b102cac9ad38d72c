"""One list of files (beffroi/files.py): what the roles deploy and what drift checks.

The intent builds every file of every host once; the Ansible inventory hands each host its part
as `beffroi_files` (the roles loop over it) and drift compares the same destinations, modes and
rule ids. Moving one destination in the intent moves both, with no other edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from beffroi import intent
from beffroi.ansible_inventory import build
from beffroi.drift import audit, linux
from beffroi.drift.report import DeviceDrift, Status
from beffroi.inventory import load_inventory
from beffroi.render import Output
from network.endpoints import Endpoint

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "moselle"
LINUX = {"evrange-fw": "firewall", "evrange-nvr": "nvr"}



def _drift_plan(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[Output, str]]]:
    """The (file, rendered text) drift's plan hands each Linux host's check (none contacted)."""
    seen: dict[str, list[tuple[Output, str]]] = {}

    def record(site: str, device: str, endpoint: Endpoint, **kw: Any) -> DeviceDrift:
        seen[device] = kw["files"]
        return DeviceDrift(site, device, kw["kind"], Status.OK)

    for kind in set(LINUX.values()):
        monkeypatch.setitem(audit.CONNECTORS, kind, record)
    endpoints = {host: Endpoint("127.0.0.1", 1) for host in LINUX}
    targets = audit.plan(load_inventory(INVENTORY), ["evrange"], endpoints,
                         tuple(set(LINUX.values())))
    audit.run(targets)
    return seen


def _drift_files(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    return {host: [out.ansible() for out, _ in files]
            for host, files in _drift_plan(monkeypatch).items()}


def _inventory_files() -> dict[str, list[dict[str, Any]]]:
    hostvars = build(INVENTORY).hostvars
    return {host: hostvars[host]["beffroi_files"] for host in LINUX}


def test_roles_and_drift_get_the_same_files_of_every_linux_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    deployed, checked = _inventory_files(), _drift_files(monkeypatch)
    assert deployed == checked
    for host, files in deployed.items():
        assert files, host
        for item in files:
            assert item["dest"].startswith("/") and item["rule"], item
            assert item["mode"] and item["owner"] and item["role"], item


def test_moving_one_destination_in_the_intent_moves_the_role_and_drift(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """TIME-1: chrony's path changed in the intent only is where the role writes and where
    drift looks, on both hosts that carry it."""
    moved = "/srv/beffroi-test/chrony.conf"
    monkeypatch.setitem(intent.PATHS, "chrony_conf", moved)
    for files in (_inventory_files(), _drift_files(monkeypatch)):
        for host in LINUX:
            chrony = [f for f in files[host] if f["template"] == "common/chrony.conf.j2"]
            assert [(f["dest"], f["rule"]) for f in chrony] == [(moved, "TIME-1")], host
            assert "/etc/chrony/chrony.conf" not in {f["dest"] for f in files[host]}


def test_the_ruleset_drift_loads_is_the_file_the_intent_checks_with_nft(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """NET-1: drift finds the ruleset by its check, not by the literal /etc/nftables.conf."""
    moved = "/etc/nftables.d/beffroi.nft"
    monkeypatch.setitem(intent.PATHS, "nftables_conf", moved)
    fw = _drift_plan(monkeypatch)["evrange-fw"]
    (ruleset,) = [out for out, _ in fw if out.template == "firewall/nftables.conf.j2"]
    assert (ruleset.dest, ruleset.rule, ruleset.mode) == (moved, "NET-1", "0600")

    class LiveFirewall:  # an empty live ruleset: every rendered table is missing
        def command(self, command: str) -> str:
            return ""

    notes: list[str] = []
    result = DeviceDrift("evrange", "evrange-fw", "firewall", Status.OK)
    linux._nftables(LiveFirewall(), fw, notes, [], set(), result)  # type: ignore[arg-type]
    assert notes or result.unverifiable  # compared (or named unverifiable), not StopIteration
