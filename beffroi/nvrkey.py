"""The department's copy of each NVR's public key, derived from the site's vaulted signing key.

An export carries the key that signed it; anyone could re-sign an altered copy with a key of
their own. The control plane verifies an export against the key it provisioned (EXP-1/EXP-2).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from beffroi import vault
from beffroi.findings import BeffroiError
from beffroi.inventory import load_inventory


def public_pem(inventory: Path, slug: str) -> str:
    """PEM of the public half of site `slug`'s vaulted `nvr_signing_key`."""
    path = load_inventory(inventory).vault_file(slug)
    if not path.is_file():
        raise BeffroiError(f"secrets of {slug} not found at {path}: run `beffroi site new` or "
                           "restore the vault file")
    pem = vault.read_vault(path).get("nvr_signing_key")
    try:
        key = serialization.load_pem_private_key(str(pem).encode(), password=None)
    except (ValueError, TypeError):
        raise BeffroiError(f"{path}: nvr_signing_key is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BeffroiError(f"{path}: nvr_signing_key is not an Ed25519 key")
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def verify_export(inventory: Path, slug: str, directory: Path) -> tuple[bool, str]:
    """Check an export's manifest, files and signature against site `slug`'s NVR key."""
    from recorder.export import verify_export as check

    return check(directory, public_pem(inventory, slug))
