"""The NVR's Ed25519 signing key: it signs register/journal entries and export manifests."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class KeyError_(Exception):
    """The signing key file is missing or not an Ed25519 PEM key."""


def generate(path: Path, overwrite: bool = False) -> Ed25519PrivateKey:
    """Create a new Ed25519 key as an unencrypted PKCS#8 PEM file readable by its owner only."""
    if path.exists() and not overwrite:
        raise KeyError_(f"{path}: already exists; refusing to replace a signing key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # JRN-2: its own private dir
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def check_private(path: Path) -> None:
    """JRN-2: the key sits in its own 0700 directory as a 0600 file, readable by its owner
    (the signing process) only; KeyError_ naming the fix otherwise."""
    for item, want, what in ((path.parent, 0o700, "directory"), (path, 0o600, "file")):
        mode = item.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyError_(f"{item}: [JRN-2] the signing key {what} is open to group/other "
                            f"(mode {mode:04o}); only the recorder may read it: chmod "
                            f"{want:04o} {item}")


def load_private(path: Path) -> Ed25519PrivateKey:
    """Load the signing key; KeyError_ with a readable message if unusable or not private."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyError_(f"{path}: signing key not found; create it with `recorder keygen "
                        f"{path}`") from None
    except (ValueError, TypeError) as exc:
        raise KeyError_(f"{path}: not an unencrypted PEM private key ({exc})") from None
    check_private(path)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(f"{path}: not an Ed25519 key")
    return key


def public_pem(key: Ed25519PublicKey) -> str:
    """PEM text of a public key."""
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_pem(text: str) -> Ed25519PublicKey:
    """Parse a PEM public key; ValueError if it is not Ed25519."""
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """Short SHA-256 fingerprint of the raw public key, for humans to compare."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()[:32]


def sign_b64(key: Ed25519PrivateKey, data: bytes) -> str:
    """Base64 Ed25519 signature."""
    return base64.b64encode(key.sign(data)).decode()


def verify_b64(key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    """True when the base64 signature is valid for data."""
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
