"""`ansible-inventory` shows the model: per-commune groups, device kinds, the crisis cell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from beffroi.ansible_inventory import group_name
from beffroi.inventory import load_inventory

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "moselle"
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")


def _run(*args: str, inventory: Path = INVENTORY) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    return subprocess.run([ANSIBLE_INVENTORY, "-i", str(inventory), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)


def _plain(value: object) -> object:
    """ansible-core 2.19 shows inventory strings as {"__ansible_unsafe": ...} in --list."""
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_graph_shows_commune_groups_with_their_devices() -> None:
    result = _run("--graph")
    assert result.returncode == 0, result.stderr
    for group in ("@commune_evrange:", "@commune_roussy_le_village:",
                  "@commune_hettange_grande:", "@crisis_cell:", "@nvr:", "@firewall:",
                  "@switch:", "@camera:"):
        assert group in result.stdout
    assert "[WARNING]" not in result.stderr


def test_list_matches_the_model() -> None:
    result = _run("--list")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    model = load_inventory(INVENTORY)
    hostvars = _plain(data["_meta"]["hostvars"])
    assert isinstance(hostvars, dict)
    for slug, site in model.sites.items():
        members = set(data[group_name(slug)]["hosts"])
        expected = {site.firewall.hostname, site.nvr.hostname, site.switch.hostname,
                    *(f"{slug}-{c.name}" for c in site.cameras)}
        assert members == expected
        assert hostvars[site.nvr.hostname]["ansible_host"] == str(site.nvr.ip)
        assert hostvars[site.firewall.hostname]["ansible_host"] == str(site.firewall.management_ip)
        assert hostvars[site.nvr.hostname]["beffroi"]["recorder"]["retention_days"] == \
            site.authorization.retention_days
    assert model.crisis_cell is not None
    assert data["crisis_cell"]["hosts"] == [model.crisis_cell.hostname]
    assert set(data["nvr"]["hosts"]) == {s.nvr.hostname for s in model.sites.values()}


def test_a_site_with_errors_is_skipped_with_a_warning(tmp_path: Path) -> None:
    inv_dir = tmp_path / "inv"
    shutil.copytree(INVENTORY, inv_dir)
    site = inv_dir / "sites" / "evrange.yml"
    site.write_text(site.read_text().replace("retention_days: 15", "retention_days: 31"))
    result = _run("--graph", inventory=inv_dir)
    assert result.returncode == 0
    assert "commune_evrange" not in result.stdout
    assert "commune_roussy_le_village" in result.stdout
    assert "evrange skipped" in result.stderr
