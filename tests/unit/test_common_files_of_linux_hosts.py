"""Role common runs on every Linux host of a commune (firewall, NVR, operator workstation) and
installs its sshd_config (NET-3), chrony.conf (TIME-1), journald drop-in (JRN-1), unattended
upgrades (NET-3) and administrators' sudoers (NET-3) from the host's own file list: a host
without them cannot be converged (issue 14 §4: the workstation is a device of the site too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.intent import site_intent
from beffroi.inventory import load_inventory

REPO = Path(__file__).resolve().parents[2]
COMMON = {"common/sshd_config.j2": "NET-3", "common/chrony.conf.j2": "TIME-1",
          "common/journald.conf.j2": "JRN-1", "common/auto-upgrades.j2": "NET-3",
          "common/unattended-upgrades.j2": "NET-3", "common/sudoers.j2": "NET-3"}


@pytest.mark.parametrize("kind", ["firewall", "nvr", "workstation"])
def test_every_linux_host_has_role_commons_files(kind: str) -> None:
    inv = load_inventory(REPO / "inventories" / "moselle")
    for slug in sorted(inv.sites):
        files = [f for f in site_intent(inv, slug).files if f.kind == kind]
        assert files, (slug, kind)
        common = {f.template: f.rule for f in files if f.role == "common"}
        assert common == COMMON, (slug, kind)


def test_the_workstation_serves_no_time_to_cameras() -> None:
    inv = load_inventory(REPO / "inventories" / "moselle")
    [chrony] = [f for f in site_intent(inv, "evrange").files
                if f.kind == "workstation" and f.template == "common/chrony.conf.j2"]
    assert chrony.variables == {"chrony_serve_cameras": False}
