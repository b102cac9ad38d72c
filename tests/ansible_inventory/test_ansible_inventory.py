"""`ansible-inventory` shows the model: per-commune groups, device kinds, the crisis cell.

Every broken input fails the inventory (non-zero exit, the file named), never 0 hosts or a
partial inventory; `--list` prints secrets only as vault ciphertext unless asked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from beffroi import vault
from beffroi.ansible_inventory import group_name
from beffroi.inventory import load_inventory
from beffroi.render import render_site

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "moselle"
BIN = Path(sys.executable).parent
ANSIBLE_INVENTORY = str(BIN / "ansible-inventory")
LAB_CONFIG = REPO / "lab" / "ansible.cfg"
PRODUCTION_CONFIG = REPO / "ansible.cfg"
TEST_PASSWORD = REPO / "lab" / "test-vault-password"


def _env(config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANSIBLE_VAULT_PASSWORD_FILE", "BEFFROI_REVEAL_SECRETS")}
    return {**env, "ANSIBLE_CONFIG": str(config), "ANSIBLE_NOCOLOR": "1", **extra}


def _run(*args: str, inventory: Path = INVENTORY, config: Path = LAB_CONFIG,
         tool: str = ANSIBLE_INVENTORY, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool, "-i", str(inventory), *args], cwd=REPO,
                          env=_env(config, **extra), capture_output=True, text=True,
                          check=False, timeout=300)


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
                    site.workstation.hostname,  # the operator workstation (issue 14 §4)
                    *(f"{slug}-{c.name}" for c in site.cameras)}
        assert members == expected
        assert hostvars[site.nvr.hostname]["ansible_host"] == str(site.nvr.ip)
        assert hostvars[site.firewall.hostname]["ansible_host"] == str(site.firewall.management_ip)
        assert hostvars[site.nvr.hostname]["beffroi"]["recorder"]["retention_days"] == \
            site.authorization.retention_days
    assert model.crisis_cell is not None
    assert data["crisis_cell"]["hosts"] == [model.crisis_cell.hostname]
    assert set(data["nvr"]["hosts"]) == {s.nvr.hostname for s in model.sites.values()}


def _copy(tmp_path: Path) -> Path:
    inv_dir = tmp_path / "inv"
    shutil.copytree(INVENTORY, inv_dir)
    return inv_dir


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _break_site_yaml(inv: Path) -> str:
    _edit(inv / "sites" / "evrange.yml", "slug: evrange", "slug evrange")
    return "sites/evrange.yml"


def _break_site_rule(inv: Path) -> str:
    _edit(inv / "sites" / "evrange.yml", "retention_days: 15", "retention_days: 31")
    return "sites/evrange.yml"


def _break_department(inv: Path) -> str:
    _edit(inv / "department.yml", "  site_prefix: 26", "  site_prefix: [26")
    return "department.yml"


def _plaintext_vault(inv: Path) -> str:
    (inv / "vault" / "evrange.yml").write_text("wireguard_private_key: x\n", encoding="utf-8")
    return "vault/evrange.yml"


def _corrupt_vault(inv: Path) -> str:
    path = inv / "vault" / "evrange.yml"
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] = "0" * len(text[3])
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return "vault/evrange.yml"


def _missing_vault(inv: Path) -> str:
    (inv / "vault" / "hettange-grande.yml").unlink()
    return "vault/hettange-grande.yml"


BREAKAGES = {"site_yaml_error": _break_site_yaml, "site_rule_error": _break_site_rule,
             "department_yaml_error": _break_department, "plaintext_vault": _plaintext_vault,
             "corrupted_vault": _corrupt_vault, "missing_vault": _missing_vault}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_inventory_fails_ansible_naming_the_file(tmp_path: Path, breakage: str) -> None:
    inv = _copy(tmp_path)
    named = BREAKAGES[breakage](inv)
    result = _run("--list", inventory=inv)
    assert result.returncode != 0, result.stdout[:500]
    assert named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_inventory_fails_the_playbook_too(tmp_path: Path) -> None:
    inv = _copy(tmp_path)
    _break_site_yaml(inv)
    result = _run("playbooks/site.yml", "--list-hosts", inventory=inv,
                  tool=str(BIN / "ansible-playbook"))
    assert result.returncode != 0
    assert "sites/evrange.yml" in result.stderr + result.stdout


def test_a_wrong_vault_password_fails_the_inventory(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-department-password\n", encoding="utf-8")
    result = _run("--list", config=PRODUCTION_CONFIG, ANSIBLE_VAULT_PASSWORD_FILE=str(wrong))
    assert result.returncode != 0
    assert "vault/" in result.stderr and "wrong vault password" in result.stderr


def test_production_config_without_a_vault_password_fails_saying_what_to_set() -> None:
    result = _run("--list", config=PRODUCTION_CONFIG)
    assert result.returncode != 0
    assert "--vault-password-file" in result.stderr
    assert "ANSIBLE_VAULT_PASSWORD_FILE" in result.stderr


def test_crisis_cell_hub_is_not_built_while_a_commune_fails_validation(tmp_path: Path) -> None:
    inv = _copy(tmp_path)
    _break_site_rule(inv)
    result = _run("--host", "cdc57-hub", inventory=inv)
    assert result.returncode != 0
    assert "evrange" in result.stderr


def _secrets_of(path: Path) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, str) and len(node) >= 8:
            found.add(node)
    walk(vault.read_vault(path, vault.vault_lib(TEST_PASSWORD.read_bytes().strip())))
    return found


def _all_secrets() -> set[str]:
    return {s for p in sorted((INVENTORY / "vault").glob("*.yml")) for s in _secrets_of(p)
            } - {"bf-cam-mairie-narrow", "bf-cam-mairie-context"}


def test_list_prints_no_decrypted_secret() -> None:
    result = _run("--list")
    assert result.returncode == 0, result.stderr
    leaked = [s[:12] for s in _all_secrets() if s in result.stdout
              or json.dumps(s)[1:-1] in result.stdout]
    assert leaked == []
    hostvars = json.loads(result.stdout)["_meta"]["hostvars"]
    key = hostvars["evrange-fw"]["beffroi"]["wireguard"]["private_key"]
    assert set(key) == {"__ansible_vault"} and key["__ansible_vault"].startswith("$ANSIBLE_VAULT")


def test_list_reveals_secrets_only_when_asked() -> None:
    result = _run("--list", BEFFROI_REVEAL_SECRETS="1")
    assert result.returncode == 0, result.stderr
    wg = _secrets_of(INVENTORY / "vault" / "evrange.yml")
    assert any(s in result.stdout for s in wg)


@pytest.mark.parametrize(("host", "template", "relpath"), [
    ("evrange-fw", "firewall/wg-spoke.conf.j2", "evrange-fw/wg-beffroi.conf"),
    ("evrange-nvr", "nvr/recorder.toml.j2", "evrange-nvr/recorder.toml"),
    ("evrange-nvr", "nvr/upsd.users.j2", "evrange-nvr/nut/upsd.users"),
])
def test_plays_still_render_the_secrets_the_renderer_reveals(
        tmp_path: Path, host: str, template: str, relpath: str) -> None:
    dest = tmp_path / "rendered"
    result = _run(host, "-c", "local", "-m", "ansible.builtin.template",
                  "-a", f"src={REPO}/templates/{template} dest={dest}",
                  "-e", "ansible_python_interpreter={{ ansible_playbook_python }}",
                  tool=str(BIN / "ansible"))
    assert result.returncode == 0, result.stdout + result.stderr
    expected = {o.relpath: t for o, t in render_site(load_inventory(INVENTORY), "evrange",
                                                     reveal_secrets=True).items()}
    assert dest.read_text(encoding="utf-8") == expected[relpath]
    assert "<vault>" not in dest.read_text(encoding="utf-8")


def test_hosts_check_their_keys_against_the_department_known_hosts() -> None:
    result = _run("--host", "evrange-nvr", config=PRODUCTION_CONFIG,
                  ANSIBLE_VAULT_PASSWORD_FILE=str(TEST_PASSWORD))
    assert result.returncode == 0, result.stderr
    args = json.loads(result.stdout)["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in args
    assert f"UserKnownHostsFile={INVENTORY / 'known_hosts'}" in args


def test_the_hub_play_still_renders_its_private_key(tmp_path: Path) -> None:
    from beffroi.render import render_crisis_cell

    dest = tmp_path / "wg-hub.conf"
    result = _run("cdc57-hub", "-c", "local", "-m", "ansible.builtin.template",
                  "-a", f"src={REPO}/templates/crisis_cell/wg-hub.conf.j2 dest={dest}",
                  "-e", "ansible_python_interpreter={{ ansible_playbook_python }}",
                  "-e", "hub={{ beffroi_hub }}", tool=str(BIN / "ansible"))
    assert result.returncode == 0, result.stdout + result.stderr
    (expected,) = [v for k, v in render_crisis_cell(load_inventory(INVENTORY),
                                                    reveal_secrets=True).items()
                   if k.relpath.endswith("/wg-beffroi.conf")]
    assert dest.read_text(encoding="utf-8") == expected
