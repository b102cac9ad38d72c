#!/usr/bin/env python3
"""Add the crisis-cell wall's secrets (issue 14 §3) to vault/crisis-cell.yml, keeping every other
entry: the token signing key (ACC-3), the wall's TLS certificate and key (NET-2), and a first
password for each recipient of crisis-cell.yml `wall.recipients` who has none (ACC-5).

    scripts/vault-add-wall-secrets.py inventories/moselle [--force]

Prints the token key's public half (write it to crisis-cell.yml wall.public_key) and what
it added, never a secret: each first password stays in the vault (`initial_password`) until it
is handed to its holder in person.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from beffroi import vault
from beffroi.inventory import load_inventory
from beffroi.nvrtls import nvr_certificate
from beffroi.secrets import WALL_RECIPIENTS, WALL_TLS, WALL_TOKEN_KEY, wall_recipient
from recorder.viewtoken import public_key_b64


def main() -> int:
    """Rewrite vault/crisis-cell.yml with the missing entries (atomically, mode 0600)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--force", action="store_true", help="replace the key and certificate")
    args = parser.parse_args()
    inv = load_inventory(args.inventory)
    cell = inv.crisis_cell
    if cell is None or cell.wall is None:
        print(f"{args.inventory}/crisis-cell.yml has no valid `wall` section", file=sys.stderr)
        return 2
    path = args.inventory / "vault" / "crisis-cell.yml"
    data = vault.read_vault(path)
    added = []
    if args.force or WALL_TOKEN_KEY not in data:
        data[WALL_TOKEN_KEY] = vault.ed25519_private_pem()
        added.append(WALL_TOKEN_KEY)
    if args.force or WALL_TLS not in data:
        data[WALL_TLS] = nvr_certificate(cell.hostname, str(cell.wall.address), cell.name)
        added.append(WALL_TLS)
    accounts = data.setdefault(WALL_RECIPIENTS, {})
    for r in cell.wall.recipients:
        if r.id not in accounts:
            accounts[r.id] = wall_recipient()
            added.append(f"{WALL_RECIPIENTS}.{r.id}")
    if added:
        tmp = path.with_name(f".{path.name}.new")
        tmp.unlink(missing_ok=True)
        vault.write_vault(tmp, data)
        os.replace(tmp, path)
    key = serialization.load_pem_private_key(str(data[WALL_TOKEN_KEY]).encode(), None)
    assert isinstance(key, Ed25519PrivateKey)
    print(f"{path}: added {', '.join(added) or 'nothing (already there)'}")
    print(f"wall.public_key: {public_key_b64(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
