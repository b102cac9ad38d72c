"""Account passwords: argon2id hashes only (ACC-5)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from recorder.legal import PASSWORD_MIN_LENGTH as MIN_LENGTH  # ACC-5: strong passwords

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """argon2id encoded hash of a password; ValueError if shorter than the ACC-5 policy."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"[ACC-5] password must be at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def check_password(encoded: str, password: str) -> bool:
    """True when password matches the argon2id hash; False on mismatch or a malformed hash."""
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
