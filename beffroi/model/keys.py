"""Public keys the inventory may hold: each field meant for a public key is parsed as one.

A private key never belongs in the inventory (it lives in the vault): a field typed here refuses
anything that does not parse as the public key it names, and `rules.engineering` refuses a PEM
"PRIVATE KEY" block in any string field of any inventory file.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from pydantic import AfterValidator

CURVE25519_P = 2**255 - 19
MIN_RSA_BITS = 2048
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# A fixed scalar: exchanging with a small-order point yields the all-zero secret, which OpenSSL
# refuses — the test libsodium's blocklist encodes, without copying its constants.
_PROBE = X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def wireguard_public_key(value: str) -> str:
    """A canonical Curve25519 public key in WireGuard's base64 form (44 characters)."""
    if not isinstance(value, str) or len(value) != 44:
        raise ValueError("a WireGuard public key is 44 base64 characters (`wg pubkey`)")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64: a WireGuard public key is the output of `wg pubkey`"
                         ) from None
    if len(raw) != 32 or base64.b64encode(raw).decode() != value:
        raise ValueError("not a 32-byte key in canonical base64 (`wg pubkey` output)")
    if int.from_bytes(raw, "little") >= CURVE25519_P:
        raise ValueError("not a canonical Curve25519 public key")
    try:
        _PROBE.exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        raise ValueError("a small-order (weak) Curve25519 point, not a real public key"
                         ) from None
    return value


def wireguard_key_pair_matches(public: str, private: str) -> bool:
    """True when `public` is the X25519 public key of the base64 `private` key."""
    try:
        key = X25519PrivateKey.from_private_bytes(base64.b64decode(private, validate=True))
    except (binascii.Error, ValueError):
        return False
    derived = key.public_key().public_bytes_raw()
    return base64.b64encode(derived).decode() == public


def ssh_public_key(value: str) -> str:
    """One OpenSSH public key line (`type base64 [comment]`), parsed by cryptography."""
    if not isinstance(value, str):
        raise ValueError("an SSH public key is a text line")
    if "PRIVATE KEY" in value:
        raise ValueError("this is a private key: put only the `.pub` line here")
    if CONTROL.search(value):
        # A newline would add a second authorized_keys line nobody reviewed.
        raise ValueError("control characters (newline, tab…) in an SSH public key line")
    try:
        key = load_ssh_public_key(value.strip().encode("utf-8"))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an OpenSSH public key line ({exc})"[:160]) from None
    except Exception:  # cryptography raises UnsupportedAlgorithm for unknown key types
        raise ValueError("unsupported or malformed SSH public key type") from None
    if isinstance(key, dsa.DSAPublicKey):
        raise ValueError("DSA (ssh-dss) keys are refused: use ssh-ed25519")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValueError(f"RSA key of {key.key_size} bits: use ≥ {MIN_RSA_BITS} or ed25519")
    return value


WireGuardPublicKey = Annotated[str, AfterValidator(wireguard_public_key)]
SshPublicKey = Annotated[str, AfterValidator(ssh_public_key)]


def ed25519_public_key(value: str) -> str:
    """A raw Ed25519 public key in base64 (44 characters): the wall's token key (ACC-3)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(value, str) or len(value) != 44:
        raise ValueError("an Ed25519 public key is 44 base64 characters "
                         "(scripts/vault-add-wall-secrets.py prints it)")
    try:
        raw = base64.b64decode(value, validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise ValueError("not a base64 Ed25519 public key") from None
    return value


Ed25519PublicKeyB64 = Annotated[str, AfterValidator(ed25519_public_key)]
