"""The vault reader that does not import Ansible decrypts exactly what Ansible decrypts."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi import vault

VAULTS = sorted((Path(__file__).resolve().parents[2] / "inventories" / "moselle" / "vault")
                .glob("*.yml"))


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEFFROI_VAULT_PASSWORD_FILE",
                       str(Path(__file__).resolve().parents[2] / "lab" / "test-vault-password"))


@pytest.mark.parametrize("path", VAULTS, ids=lambda p: p.name)
def test_fast_decrypt_equals_ansible_vault(path: Path) -> None:
    blob = path.read_bytes()
    assert vault._decrypt_aes256(blob, vault._password()) == vault.vault_lib().decrypt(blob)


def test_fast_decrypt_reads_what_write_vault_wrote(tmp_path: Path) -> None:
    path = tmp_path / "v.yml"
    vault.write_vault(path, {"k": "välue"})
    assert vault.read_vault(path) == {"k": "välue"}


def test_fast_decrypt_with_a_wrong_password_is_refused_not_garbage() -> None:
    assert vault._decrypt_aes256(VAULTS[0].read_bytes(), b"not the password") == b""


def test_a_format_it_does_not_know_falls_back_to_ansible() -> None:
    assert vault._decrypt_aes256(b"$ANSIBLE_VAULT;9.9;AES512\n00\n", b"x") is None
