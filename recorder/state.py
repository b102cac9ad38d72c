"""Everything a recorder process opens from its config: index, register, journal, signing key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from recorder import keys
from recorder.config import Config
from recorder.index import Index
from recorder.ledger import Ledger


@dataclass
class State:
    """Open handles shared by the service and the CLI commands."""

    config: Config
    key: Ed25519PrivateKey
    index: Index
    register: Ledger
    journal: Ledger

    def close(self) -> None:
        """Close the index."""
        self.index.close()

    def abspath(self, rel: str) -> Path:
        """Absolute path of a segment stored under storage_root."""
        return self.config.storage_root / rel


def open_state(config: Config) -> State:
    """Open (creating directories if needed) the state of a recorder."""
    key = keys.load_private(config.signing_key)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    return State(config=config, key=key, index=Index(config.index_path),
                 register=Ledger(config.register_dir, "register", key),
                 journal=Ledger(config.journal_dir, "journal", key))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()  # reuses one buffer
