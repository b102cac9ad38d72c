"""ENG-VAULT: every commune (and the crisis cell) has its secrets file, in ansible-vault form.

Checked without the vault password (validation never decrypts): the file must exist, be a
regular file, and start with the ansible-vault header; a file in clear is an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from beffroi.compliance import citation
from beffroi.findings import Finding
from beffroi.inventory import VAULT_DIR, Inventory, display_path
from beffroi.rules.registry import inventory_rule
from beffroi.safefile import UnreadableFile, read_bytes
from beffroi.vault import VAULT_HEADER


def _problem(path: Path) -> tuple[str, str] | None:
    """(message, hint) when `path` is not a usable vault file."""
    try:
        head = read_bytes(path)[:len(VAULT_HEADER)]
    except UnreadableFile as exc:
        return (f"secrets file unusable: {exc}",
                f"restore {VAULT_DIR}/{path.name} from the department's backup (a new commune "
                "gets one from `beffroi site new`)")
    if head != VAULT_HEADER:
        return ("secrets file is not ansible-vault ciphertext (secrets in clear?)",
                f"encrypt it: ansible-vault encrypt {display_path(path)}")
    return None


@inventory_rule("ENG-VAULT")
def vault_files_encrypted(inv: Inventory) -> Iterator[Finding]:
    """Each site's `vault/<slug>.yml` (and the hub's `vault/crisis-cell.yml`) is encrypted."""
    paths = [inv.vault_file(slug) for slug in sorted(inv.sites)]
    if inv.crisis_cell is not None:
        paths.append(inv.root / VAULT_DIR / "crisis-cell.yml")
    if inv.department is not None and inv.department.monitoring is not None:
        paths.append(inv.root / VAULT_DIR / "monitoring.yml")  # its WireGuard private key
    for path in paths:
        problem = _problem(path)
        if problem is not None:
            yield Finding(display_path(path), 1, "ENG-VAULT", "", problem[0],
                          citation=citation("ENG-VAULT"), hint=problem[1])
