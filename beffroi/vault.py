"""Secrets: WireGuard keys, device credentials, the ansible-vault files that hold them.

Nothing secret is ever written in clear: `vault/<slug>.yml` is encrypted with ansible-vault
(AES256) using the password file named by BEFFROI_VAULT_PASSWORD_FILE, by ansible.cfg, or the
documented test password of the example inventory (`lab/test-vault-password`).
"""

from __future__ import annotations

import base64
import os
import secrets as pysecrets
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_VAULT_PASSWORD_FILE = REPO_ROOT / "lab" / "test-vault-password"
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_"


def wireguard_keypair() -> tuple[str, str]:
    """A WireGuard (X25519) key pair as base64 strings: (private, public)."""
    key = X25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def ed25519_private_pem() -> str:
    """A fresh Ed25519 signing key (the NVR's register/export key) as PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def password(length: int = 24) -> str:
    """A random password (ACC-5 asks ≥ 12 characters; NET-3 unique per device)."""
    return "".join(pysecrets.choice(_ALPHABET) for _ in range(length))


def vault_password_file() -> Path:
    """Where the vault password is read from."""
    env = os.environ.get("BEFFROI_VAULT_PASSWORD_FILE") or os.environ.get(
        "ANSIBLE_VAULT_PASSWORD_FILE")
    return Path(env) if env else TEST_VAULT_PASSWORD_FILE


def _vault() -> Any:
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = VaultSecret(vault_password_file().read_bytes().strip())
    return VaultLib([(DEFAULT_VAULT_ID_MATCH, secret)])


def write_vault(path: Path, data: dict[str, Any]) -> None:
    """Encrypt `data` as YAML into `path` (mode 0600), refusing to overwrite."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    blob: bytes = _vault().encrypt(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(blob)


def read_vault(path: Path) -> dict[str, Any]:
    """Decrypt a vault file written by `write_vault`."""
    plain: bytes = _vault().decrypt(path.read_bytes())
    data = yaml.safe_load(plain)
    return data if isinstance(data, dict) else {}


def is_vault_file(path: Path) -> bool:
    """True when the file is ansible-vault ciphertext."""
    try:
        with path.open("rb") as fh:
            return fh.read(14) == b"$ANSIBLE_VAULT"
    except OSError:
        return False
