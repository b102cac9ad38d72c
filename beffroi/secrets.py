"""The secrets vocabulary of a commune, written once: the vault's key names, how `site new`
generates them, the redacted shape shown when nothing is decrypted, and the intent keys whose
values drift masks in diffs (NET-2, NET-3, ACC-5, JRN-2)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from argon2 import PasswordHasher

from beffroi import vault
from beffroi.findings import Finding
from beffroi.locate import locate
from beffroi.yamlsource import Path_, Source, VaultRef

REDACTED = "<vault>"  # what a secret reads as when the vault was not decrypted

# Keys of a commune's vault file (vault/<slug>.yml).
WIREGUARD_PRIVATE_KEY = "wireguard_private_key"  # NET-2: the firewall's tunnel key
NVR_SIGNING_KEY = "nvr_signing_key"              # JRN-2: signs register, journal and exports
NUT_PASSWORD = "nut_password"                    # the UPS monitoring account (upsd/upsmon)
SWITCH = "switch"                                # NET-3: {username, password, enable_secret}
CAMERAS = "cameras"                              # NET-3: {camera name: {username, password}}
RECORDER_USERS = "recorder_users"                # ACC-5: {account id: {password_hash}}
RECORDER_TLS = "recorder_tls"                    # NET-2: the NVR API's {certificate, private_key}
CRISIS_CELL_VIEWER = "crisis_cell_viewer"        # ACC-3: the hub's relay {password, password_hash}
# Keys of the crisis cell's vault file (vault/crisis-cell.yml), issue 14 §3.
WALL_TOKEN_KEY = "wall_token_key"      # ACC-3: Ed25519 PEM signing the live-view tokens
WALL_TLS = "wall_tls"                  # NET-2: the wall's {certificate, private_key}
WALL_RECIPIENTS = "wall_recipients"    # ACC-5: {account id: {password_hash}}
TLS_FIELDS = ("certificate", "private_key")
VIEWER_FIELDS = ("password", "password_hash")
SWITCH_FIELDS = ("username", "password", "enable_secret")
CAMERA_FIELDS = ("username", "password")
USER_HASH = "password_hash"
INITIAL_PASSWORD = "initial_password"  # told once to the mayor; only the hash is used
ACCOUNT_PREFIX = "bf-"                 # device accounts are never the factory default (NET-3)
ACCOUNT_MAX_LENGTH = 32

# Intent keys whose values drift masks in diffs, wherever they sit in the context.
# Keys holding a whole file as data (recorder.toml, a camera's settings), built from the rest of
# the intent: their values repeat secrets found elsewhere, and their key names ("signing_key" is
# a path there) are the target's, not the vault's.
DERIVED_DOCUMENTS = frozenset({"config", "settings"})
MASK_KEYS = frozenset({"password", "private_key", "signing_key", NUT_PASSWORD, USER_HASH,
                       "enable_secret", "secret", "relay_password", "token_key"})
MASK_MIN_LENGTH = 8  # a shorter value ("", "<vault>") would blank ordinary text


def account_name(device: str) -> str:
    """The vaulted account of a device (switch slug or camera name), never a factory one."""
    return f"{ACCOUNT_PREFIX}{device}"[:ACCOUNT_MAX_LENGTH]


def generate(slug: str, camera_names: Iterable[str], mayor_id: str) -> tuple[dict[str, Any], str]:
    """Fresh secrets of a new commune (NET-2, NET-3, ACC-5, JRN-2) and its WireGuard public key.

    The mayor's first password is kept beside its argon2id hash so `site new` can tell it once.
    """
    private, public = vault.wireguard_keypair()
    mayor_password = vault.password()
    return {
        WIREGUARD_PRIVATE_KEY: private,
        NVR_SIGNING_KEY: vault.ed25519_private_pem(),
        NUT_PASSWORD: vault.password(),
        SWITCH: {"username": account_name(slug), "password": vault.password(),
                 "enable_secret": vault.password()},
        CAMERAS: {name: {"username": account_name(name), "password": vault.password()}
                  for name in camera_names},
        RECORDER_USERS: {mayor_id: {INITIAL_PASSWORD: mayor_password,
                                    USER_HASH: PasswordHasher().hash(mayor_password)}},
        CRISIS_CELL_VIEWER: crisis_cell_viewer(),
    }, public


def crisis_cell_viewer() -> dict[str, str]:
    """The crisis cell's live-only relay account on one NVR (ACC-3): password and its hash."""
    password = vault.password()
    return {"password": password, USER_HASH: PasswordHasher().hash(password)}


def wall_recipient() -> dict[str, str]:
    """A wall account's first password (told once, in person) and its argon2id hash (ACC-5)."""
    password = vault.password()
    return {INITIAL_PASSWORD: password, USER_HASH: PasswordHasher().hash(password)}


def redacted(camera_names: Iterable[str], account_ids: Iterable[str]) -> dict[str, Any]:
    """The shape `generate` writes, every value replaced by REDACTED (nothing decrypted)."""
    return {WIREGUARD_PRIVATE_KEY: REDACTED, NVR_SIGNING_KEY: REDACTED, NUT_PASSWORD: REDACTED,
            SWITCH: dict.fromkeys(SWITCH_FIELDS, REDACTED),
            CAMERAS: {name: dict.fromkeys(CAMERA_FIELDS, REDACTED) for name in camera_names},
            RECORDER_USERS: {uid: {USER_HASH: REDACTED} for uid in account_ids},
            RECORDER_TLS: dict.fromkeys(TLS_FIELDS, REDACTED),
            CRISIS_CELL_VIEWER: dict.fromkeys(VIEWER_FIELDS, REDACTED)}


def vaulted_values(ctx: Any) -> list[str]:
    """Every vaulted value of an intent context (by key name, anywhere in it), longest first,
    so a diff can mask them: WireGuard and signing keys (and each line of a PEM), NUT and
    camera passwords (also inside RTSP URLs), password hashes."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in DERIVED_DOCUMENTS:
                    continue  # a serialization of the intent: its secrets are found elsewhere
                if key in MASK_KEYS and isinstance(value, str) and len(value) >= MASK_MIN_LENGTH:
                    found.append(value)
                    found.extend(line for line in value.splitlines()
                                 if len(line) >= MASK_MIN_LENGTH)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(ctx)
    return sorted(set(found), key=len, reverse=True)


def mask(text: str, values: Iterable[str]) -> str:
    """`text` with every one of `values` (from `vaulted_values`) replaced by REDACTED."""
    for value in values:
        text = text.replace(value, REDACTED)
    return text


# --- secrets written in clear in an inventory file (ENG-SECRET) ---------------------------------
SECRET_KEY = re.compile(r"(password|passwd|secret|private_key|privatekey|psk|preshared|token|"
                        r"api_key|apikey|community)", re.IGNORECASE)
# Any PEM / OpenSSH / PGP private key armour, whatever field it was pasted into.
PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|"
                               r"PuTTY-User-Key-File-\d", re.IGNORECASE)


def clear_secrets(source: Source) -> Iterator[Finding]:
    """ENG-SECRET: a secret-looking key with a plain value, or a private key, anywhere."""
    def walk(node: Any, path: Path_) -> Iterator[Finding]:
        if isinstance(node, str) and not isinstance(node, VaultRef) \
                and PRIVATE_KEY_BLOCK.search(node):
            yield locate(source, "ENG-SECRET", path, "a private key is written in clear here",
                         "remove it: private keys live in the vault (ansible-vault); rotate "
                         "the key, it must be considered leaked")
        elif isinstance(node, dict):
            for key, value in node.items():
                child = (*path, key)
                if (isinstance(key, str) and SECRET_KEY.search(key)
                        and isinstance(value, str | int) and not isinstance(value, VaultRef)
                        and str(value).strip()):
                    yield locate(source, "ENG-SECRET", child,
                                 f"'{key}' holds a secret in clear",
                                 "move it to the commune's vault file (ansible-vault) and "
                                 "never commit it in clear; rotate it if it was pushed")
                yield from walk(value, child)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, (*path, i))
    return walk(source.data, ())
