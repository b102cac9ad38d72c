"""Ansible inventory plugin: the Beffroi site model as groups, hosts and variables."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: beffroi
short_description: Beffroi commune sites as an Ansible inventory
description:
  - Reads C(department.yml), C(crisis-cell.yml) and C(sites/*.yml) beside the config file
    and builds per-commune groups (C(commune_<slug>)), per-kind groups (C(firewall), C(nvr),
    C(switch), C(camera)) and the C(crisis_cell) group. Host variables come from the model;
    every commune host gets the rendered intent as C(beffroi).
  - Any validation error, an unreadable vault file or a wrong vault password fails the whole
    inventory, naming the files (run C(beffroi validate)); never a partial inventory.
  - Secrets are decrypted with Ansible's own vault secrets (C(--vault-password-file),
    C(--ask-vault-pass), C(ANSIBLE_VAULT_PASSWORD_FILE)) and handed over re-encrypted as vault
    values, so C(ansible-inventory --list) prints only ciphertext while plays decrypt on use.
  - Every host checks its SSH host key against C(known_hosts) beside C(department.yml).
options:
  plugin:
    description: Must be C(beffroi).
    required: true
    choices: [beffroi]
  reveal_secrets:
    description:
      - Put the decrypted secrets in the host variables in clear (debugging only; they then
        show in C(ansible-inventory --list)). By default they are vault-encrypted values.
    type: bool
    default: false
    env:
      - name: BEFFROI_REVEAL_SECRETS
"""

NO_PASSWORD = ("no vault password was given, so the communes' secrets cannot be decrypted: run "
               "with --vault-password-file FILE or --ask-vault-pass, or set "
               "ANSIBLE_VAULT_PASSWORD_FILE (the lab uses ANSIBLE_CONFIG=lab/ansible.cfg)")


def _vault_secrets(loader: Any) -> list[Any]:
    """The vault secrets Ansible was started with (CLI options or configuration)."""
    from ansible.parsing.vault import VaultSecretsContext

    context = VaultSecretsContext.current(optional=True)
    secrets = list(context.secrets) if context is not None else []
    vault = getattr(loader, "_vault", None)  # DataLoader's VaultLib (ad-hoc, older paths)
    return secrets or list(getattr(vault, "secrets", None) or [])


class _Sealer:
    """Turns the Sealed secrets of the intent into vault-encrypted values (one ciphertext per
    distinct secret), and refuses to hand over any variable that still holds one in clear."""

    def __init__(self, vault: Any, *trees: Any) -> None:
        self.vault = vault
        self.cache: dict[str, Any] = {}
        self.sealed: set[str] = set()
        for tree in trees:
            self._collect(tree)

    def _collect(self, node: Any) -> None:
        from beffroi.vault import Sealed

        if isinstance(node, dict):
            for value in node.values():
                self._collect(value)
        elif isinstance(node, list):
            for value in node:
                self._collect(value)
        elif isinstance(node, Sealed) and len(node) >= 8:
            self.sealed.add(str.__str__(node))

    def _encrypt(self, value: str) -> Any:
        from ansible.parsing.vault import EncryptedString

        if value not in self.cache:
            blob: bytes = self.vault.encrypt(str.__str__(value))
            self.cache[value] = EncryptedString(ciphertext=blob.decode("ascii"))
        return self.cache[value]

    def __call__(self, node: Any) -> Any:
        from beffroi.vault import Sealed

        if isinstance(node, dict):
            return {k: self(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self(v) for v in node]
        if isinstance(node, Sealed):
            return self._encrypt(node)
        if isinstance(node, str) and any(s in node for s in self.sealed):
            raise AnsibleParserError("beffroi inventory: a value derived from a secret would be "
                                     "handed over in clear; this is a bug, please report it")
        return node


class InventoryModule(BaseInventoryPlugin):  # type: ignore[misc]
    """Groups and hosts from `beffroi.ansible_inventory.build`."""

    NAME = "beffroi"

    def verify_file(self, path: str) -> bool:
        """Only the inventory's `beffroi.yml` marker file."""
        return os.path.basename(path) in ("beffroi.yml", "beffroi.yaml")

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        """Fill Ansible's inventory from the model, or fail naming what is broken."""
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            from ansible.parsing.vault import VaultLib

            from beffroi import vault
            from beffroi.ansible_inventory import build
            from beffroi.findings import BeffroiError
        except ImportError as exc:
            raise AnsibleParserError(f"beffroi is not importable ({exc}): run ansible from "
                                     "the project's venv (make bootstrap)") from exc
        secrets = _vault_secrets(loader)
        if not secrets:
            raise AnsibleParserError(f"beffroi inventory {path}: {NO_PASSWORD}")
        lib = VaultLib(secrets)
        reveal = bool(self.get_option("reveal_secrets"))
        reader: Callable[[Path], dict[str, Any]] = (
            (lambda p: vault.read_vault(p, lib)) if reveal
            else (lambda p: vault.seal(vault.read_vault(p, lib))))
        try:
            built = build(Path(path).parent, reveal_secrets=reader)
            sealer = _Sealer(lib, built.hostvars, built.group_vars)
            hostvars = sealer(built.hostvars)
            group_vars = sealer(built.group_vars)
        except BeffroiError as exc:
            details = "".join(f"\n  {f.file}:{f.line}: {f.rule} {f.path}: {f.message}"
                              for f in exc.findings[:20])
            more = f"\n  … and {len(exc.findings) - 20} more" if len(exc.findings) > 20 else ""
            raise AnsibleParserError(f"beffroi inventory: {exc}{details}{more}") from None
        for group in built.groups:
            self.inventory.add_group(group)
        for parent, kids in built.children.items():
            self.inventory.add_group(parent)
            for kid in kids:
                self.inventory.add_group(kid)
                self.inventory.add_child(parent, kid)
        for group, hosts in built.groups.items():
            for host in hosts:
                self.inventory.add_host(host, group=group)
        for host, variables in hostvars.items():
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
        for group, variables in group_vars.items():
            for key, value in variables.items():
                self.inventory.set_variable(group, key, value)
