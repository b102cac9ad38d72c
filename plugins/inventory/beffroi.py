"""Ansible inventory plugin: the Beffroi site model as groups, hosts and variables."""

from __future__ import annotations

import os
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
  - Sites with validation errors are left out with a warning (run C(beffroi validate)).
options:
  plugin:
    description: Must be C(beffroi).
    required: true
    choices: [beffroi]
  reveal_secrets:
    description: Decrypt the communes' vault files into the intent (needed to deploy).
    type: bool
    default: true
"""


class InventoryModule(BaseInventoryPlugin):  # type: ignore[misc]
    """Groups and hosts from `beffroi.ansible_inventory.build`."""

    NAME = "beffroi"

    def verify_file(self, path: str) -> bool:
        """Only the inventory's `beffroi.yml` marker file."""
        return os.path.basename(path) in ("beffroi.yml", "beffroi.yaml")

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        """Fill Ansible's inventory from the model."""
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        try:
            from beffroi.ansible_inventory import build
            from beffroi.findings import BeffroiError
        except ImportError as exc:
            raise AnsibleParserError(f"beffroi is not importable ({exc}): run ansible from "
                                     "the project's venv (make bootstrap)") from exc
        try:
            built = build(Path(path).parent, reveal_secrets=bool(config.get("reveal_secrets",
                                                                            True)))
        except BeffroiError as exc:
            raise AnsibleParserError(f"beffroi inventory: {exc}") from exc
        for slug, why in built.skipped.items():
            self.display.warning(f"beffroi: site {slug} skipped: {why}")
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
        for host, hostvars in built.hostvars.items():
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
        for group, gvars in built.group_vars.items():
            for key, value in gvars.items():
                self.inventory.set_variable(group, key, value)
