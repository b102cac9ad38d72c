"""Secrets: WireGuard keys, device credentials, the ansible-vault files that hold them.

Nothing secret is ever written in clear: `vault/<slug>.yml` is encrypted with ansible-vault
(AES256) using the password file named by BEFFROI_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_PASSWORD_FILE
or the `vault_password_file` of the Ansible configuration selected with ANSIBLE_CONFIG. There is
no fallback: without one of them, commands that need the vault stop (exit 2) and say what to set.
The lab's published test password (`lab/test-vault-password`) is only ever named by the lab's
own configuration (`lab/ansible.cfg`) and the test suite, never by production files.
"""

from __future__ import annotations

import base64
import configparser
import os
import secrets as pysecrets
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from beffroi.findings import BeffroiError, UsageError
from beffroi.safefile import UnreadableFile, read_bytes

REPO_ROOT = Path(__file__).resolve().parent.parent
LAB_ANSIBLE_CONFIG = REPO_ROOT / "lab" / "ansible.cfg"
LAB_VAULT_PASSWORD_FILE = REPO_ROOT / "lab" / "test-vault-password"  # lab and tests only
PASSWORD_ENV = ("BEFFROI_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE")
VAULT_HEADER = b"$ANSIBLE_VAULT;"
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_"


class Sealed(str):
    """A secret read from a vault file: the plain value, marked so the Ansible inventory can
    hand it over as vault ciphertext instead of printing it (plugins/inventory/beffroi.py)."""


def seal(data: Any) -> Any:
    """`data` with every string leaf marked Sealed."""
    if isinstance(data, dict):
        return {k: seal(v) for k, v in data.items()}
    if isinstance(data, list):
        return [seal(v) for v in data]
    return Sealed(data) if isinstance(data, str) else data


class VaultPasswordMissing(UsageError):
    """No vault password file is configured (exit 2: nothing was read or written)."""


class VaultFileError(BeffroiError):
    """A vault file is missing, in clear, corrupted or encrypted with another password."""


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


def _from_ansible_config() -> Path | None:
    """`vault_password_file` of the configuration ANSIBLE_CONFIG names (relative to it)."""
    cfg = os.environ.get("ANSIBLE_CONFIG", "")
    if not cfg:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_bytes(Path(cfg), 1024 * 1024).decode("utf-8"))
    except (UnreadableFile, UnicodeDecodeError, configparser.Error):
        return None  # Ansible reports a broken configuration itself
    value = parser.get("defaults", "vault_password_file", fallback="").strip()
    if not value:
        return None
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else Path(cfg).resolve().parent / path


def vault_password_file() -> Path:
    """Where the vault password is read from; VaultPasswordMissing when nothing names one."""
    for var in PASSWORD_ENV:
        if os.environ.get(var):
            return Path(os.environ[var])
    from_cfg = _from_ansible_config()
    if from_cfg is not None:
        return from_cfg
    raise VaultPasswordMissing(
        "no vault password file is configured, so the communes' secrets cannot be read or "
        "written: set BEFFROI_VAULT_PASSWORD_FILE=/path/to/the/department's/password/file "
        "(a file readable only by you, never committed), or select an Ansible configuration "
        "that names one (ANSIBLE_CONFIG). The lab and the tests use "
        "ANSIBLE_CONFIG=lab/ansible.cfg (published test password). Nothing was changed.")


def _password() -> bytes:
    path = vault_password_file()
    try:
        secret = read_bytes(path, 64 * 1024).strip()
    except UnreadableFile as exc:
        raise VaultPasswordMissing(f"vault password file {exc}: fix the path or set "
                                   f"{PASSWORD_ENV[0]}") from None
    if not secret:
        raise VaultPasswordMissing(f"vault password file {path} is empty")
    return secret


def vault_lib(password: bytes | None = None) -> Any:
    """An ansible VaultLib holding the configured password (or `password`)."""
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    return VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(password or _password()))])


def write_vault(path: Path, data: dict[str, Any]) -> None:
    """Encrypt `data` as YAML into `path` (mode 0600), refusing to overwrite."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    blob: bytes = vault_lib().encrypt(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(blob)


def _decrypt_aes256(blob: bytes, password: bytes) -> bytes | None:
    """ansible-vault 1.1/1.2 AES256 decrypted with `cryptography` (Ansible's own algorithm:
    PBKDF2-SHA256 10000 rounds → AES-256-CTR key, HMAC-SHA256 key, IV), without importing
    Ansible (a quarter of a cold `beffroi drift`). None: not this format, let Ansible read it;
    b"": the HMAC does not match (wrong password or corrupted)."""
    import binascii
    import hmac as pyhmac

    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    header, _, body = blob.partition(b"\n")
    fields = header.strip().split(b";")
    if len(fields) < 3 or fields[1] not in (b"1.1", b"1.2") or fields[2] != b"AES256":
        return None
    try:
        salt, mac, data = (binascii.unhexlify(x) for x in
                           binascii.unhexlify(b"".join(body.split())).split(b"\n", 2))
    except (binascii.Error, ValueError):
        return None
    derived = PBKDF2HMAC(hashes.SHA256(), 80, salt, 10000).derive(password)
    check = pyhmac.new(derived[32:64], data, "sha256").digest()
    if not pyhmac.compare_digest(check, mac):
        return b""
    decryptor = Cipher(algorithms.AES(derived[:32]), modes.CTR(derived[64:80])).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        return None


def read_vault(path: Path, lib: Any | None = None) -> dict[str, Any]:
    """Decrypt a vault file written by `write_vault` (with `lib`, a VaultLib, if given).

    Every failure names the file and what to do: VaultFileError when the file is missing, in
    clear, corrupted or encrypted with another password; VaultPasswordMissing without password.
    """
    try:
        blob = read_bytes(path)
    except UnreadableFile as exc:
        raise VaultFileError(f"secrets file {exc}: restore vault/{path.name} from the "
                             "department's backup (or `beffroi site new` for a new commune)"
                             ) from None
    if not blob.startswith(VAULT_HEADER):
        raise VaultFileError(f"{path} is not ansible-vault ciphertext (secrets in clear?): "
                             f"encrypt it with `ansible-vault encrypt {path}` (ENG-VAULT)")
    fast = _decrypt_aes256(blob, _password()) if lib is None else None
    if fast == b"":
        raise VaultFileError(f"{path} cannot be decrypted: wrong vault password, or the file "
                             "is corrupted (HMAC verification failed); check the password "
                             "file you selected, or restore the file from backup")
    plain: bytes = fast if fast is not None else _decrypt_ansible(path, blob, lib)
    try:
        data = yaml.safe_load(plain)
    except yaml.YAMLError as exc:
        raise VaultFileError(f"{path} decrypts to invalid YAML ({exc}): restore it from "
                             "backup") from None
    if not isinstance(data, dict):
        raise VaultFileError(f"{path} decrypts to {type(data).__name__}, not a mapping of "
                             "secrets: restore it from backup")
    return data


def _decrypt_ansible(path: Path, blob: bytes, lib: Any | None) -> bytes:
    from ansible.errors import AnsibleError

    vault = lib if lib is not None else vault_lib()
    try:
        plain: bytes = vault.decrypt(blob)
    except AnsibleError as exc:
        raise VaultFileError(f"{path} cannot be decrypted: wrong vault password, or the file "
                             f"is corrupted ({str(exc).splitlines()[0]}); check the password "
                             "file you selected, or restore the file from backup") from None
    return plain


def is_vault_file(path: Path) -> bool:
    """True when the file is ansible-vault ciphertext (read without opening a FIFO)."""
    try:
        return read_bytes(path).startswith(VAULT_HEADER)
    except UnreadableFile:
        return False
