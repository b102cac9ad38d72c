"""Testinfra access to a Molecule scenario's lab hosts over SSH, shared by every scenario's conftest."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import testinfra

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")


def lab_host(name: str) -> Any:
    """A testinfra host for an inventory name (ansible backend → ssh with the lab key)."""
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="session")
def lab() -> Callable[[str], Any]:
    """`lab("evrange-nvr")` → that host."""
    if not INVENTORY:
        pytest.fail("MOLECULE_INVENTORY_FILE is not set: run through `molecule verify`")
    return lab_host


def host_address_and_key(name: str) -> tuple[str, str]:
    """(address, private key) of an instance, from Molecule's generated inventory."""
    import yaml

    with open(INVENTORY, encoding="utf-8") as fh:
        hostvars = yaml.safe_load(fh)["all"]["hosts"][name]
    key = hostvars.get("ansible_ssh_private_key_file") or hostvars["ansible_private_key_file"]
    return str(hostvars["ansible_host"]), str(key)
