"""The vault: no fallback password, and every broken vault file named with what to do."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import pytest
import yaml
from validation.inventory_kit import LAB_VAULT_PASSWORD, MOSELLE, REPO, InventoryCopy, run_beffroi

from beffroi import vault
from beffroi.findings import BeffroiError

EVRANGE_VAULT = MOSELLE / "vault" / "evrange.yml"


def _no_password_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in (*vault.PASSWORD_ENV, "ANSIBLE_CONFIG")}
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")  # the production configuration
    return env


def test_without_a_password_file_the_vault_is_refused_not_read_with_the_test_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for var in vault.PASSWORD_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    with pytest.raises(vault.VaultPasswordMissing, match="BEFFROI_VAULT_PASSWORD_FILE"):
        vault.read_vault(EVRANGE_VAULT)
    with pytest.raises(vault.VaultPasswordMissing):
        vault.write_vault(Path("/nonexistent/never-written.yml"), {"a": 1})


def test_site_new_without_a_password_file_exits_2_saying_what_to_set(
        moselle: InventoryCopy) -> None:
    result = run_beffroi(["site", "new", "Kanfen", "--inventory", str(moselle.root)],
                         env=_no_password_env())
    assert result.exit_code == 2, result.output
    assert "BEFFROI_VAULT_PASSWORD_FILE" in result.output
    assert "Traceback" not in result.output
    assert not (moselle.root / "sites" / "kanfen.yml").exists()
    assert not (moselle.root / "vault" / "kanfen.yml").exists()


def test_the_lab_configuration_names_the_test_password(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in vault.PASSWORD_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANSIBLE_CONFIG", str(REPO / "lab" / "ansible.cfg"))
    assert vault.vault_password_file().resolve() == LAB_VAULT_PASSWORD.resolve()
    assert "wireguard_private_key" in vault.read_vault(EVRANGE_VAULT)


def test_wrong_password_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password\n")
    monkeypatch.setenv("BEFFROI_VAULT_PASSWORD_FILE", str(wrong))
    with pytest.raises(vault.VaultFileError, match=r"evrange\.yml.*wrong vault password"):
        vault.read_vault(EVRANGE_VAULT)


@pytest.mark.parametrize(("content", "why"), [
    pytest.param(b"wireguard_private_key: yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n",
                 "not ansible-vault ciphertext", id="plaintext"),
    pytest.param(b"$ANSIBLE_VAULT;1.1;AES256\nzzzz-not-hex\n", "cannot be decrypted",
                 id="corrupted"),
    pytest.param(b"", "not ansible-vault ciphertext", id="empty"),
])
def test_broken_vault_file_names_the_file(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "evrange.yml"
    path.write_bytes(content)
    with pytest.raises(vault.VaultFileError, match=why) as err:
        vault.read_vault(path)
    assert str(path) in str(err.value)


def test_missing_vault_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(BeffroiError, match=r"nowhere\.yml"):
        vault.read_vault(tmp_path / "nowhere.yml")


def test_production_ansible_cfg_has_no_lab_setting() -> None:
    text = (REPO / "ansible.cfg").read_text(encoding="utf-8")
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read_string(text)
    assert not cfg.has_option("defaults", "vault_password_file")
    assert cfg.getboolean("defaults", "host_key_checking", fallback=True)
    assert "StrictHostKeyChecking=no" not in text and "/dev/null" not in text
    assert "test-vault-password" not in text
    assert cfg.getboolean("inventory", "unparsed_is_failed")
    assert cfg.getboolean("inventory", "any_unparsed_is_failed")


def test_production_playbooks_load_no_lab_vars() -> None:
    for playbook in sorted((REPO / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(playbook.read_text(encoding="utf-8")):
            files = play.get("vars_files", [])
            assert not [f for f in files if "lab" in str(f)], (playbook, files)
    assert not (REPO / "playbooks" / "vars" / "lab.yml").exists()
