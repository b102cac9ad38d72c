#!/usr/bin/env python3
"""Add the secrets issue 10 §4 introduced to an existing site's vault, keeping every other
entry: the NVR's TLS certificate and key (NET-2) and the crisis cell's relay account (ACC-3).

    scripts/vault-add-nvr-secrets.py inventories/moselle evrange [--force]

Prints what it added, never a secret. An entry already present is kept unless --force.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from beffroi import vault
from beffroi.inventory import load_inventory
from beffroi.nvrtls import nvr_certificate
from beffroi.secrets import crisis_cell_viewer


def main() -> int:
    """Rewrite vault/<slug>.yml with the missing entries (atomically, mode 0600)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", type=Path)
    parser.add_argument("slug")
    parser.add_argument("--force", action="store_true", help="replace entries already there")
    args = parser.parse_args()
    inv = load_inventory(args.inventory)
    site = inv.site(args.slug)
    path = inv.vault_file(args.slug)
    data = vault.read_vault(path)
    added = []
    if args.force or "recorder_tls" not in data:
        data["recorder_tls"] = nvr_certificate(site.nvr.hostname, str(site.nvr.ip), site.commune)
        added.append("recorder_tls")
    if args.force or "crisis_cell_viewer" not in data:
        data["crisis_cell_viewer"] = crisis_cell_viewer()
        added.append("crisis_cell_viewer")
    if added:
        tmp = path.with_name(f".{path.name}.new")
        tmp.unlink(missing_ok=True)
        vault.write_vault(tmp, data)
        os.replace(tmp, path)
    print(f"{path}: added {', '.join(added) or 'nothing (already there)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
