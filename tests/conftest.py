"""Shared fixtures: a private copy of the Moselle inventory, a pinned "today", the CLI in-process.

The helpers behind them live in `validation/inventory_kit.py` (importable from test modules,
which a conftest is not reliably: several `conftest` modules share that name).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from validation.inventory_kit import (
    LAB_VAULT_PASSWORD,
    MOSELLE,
    TODAY,
    InventoryCopy,
    invoke_beffroi,
)


@pytest.fixture(autouse=True, scope="session")
def lab_vault_password() -> Iterator[str]:
    """The example inventory is encrypted with the lab's published test password: the suite
    names it explicitly (production has no fallback, see beffroi/vault.py)."""
    before = os.environ.get("BEFFROI_VAULT_PASSWORD_FILE")
    os.environ["BEFFROI_VAULT_PASSWORD_FILE"] = str(LAB_VAULT_PASSWORD)
    yield str(LAB_VAULT_PASSWORD)
    if before is None:
        os.environ.pop("BEFFROI_VAULT_PASSWORD_FILE", None)
    else:
        os.environ["BEFFROI_VAULT_PASSWORD_FILE"] = before


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pin Beffroi's "today" so authorization dates give the same findings every day."""
    monkeypatch.setenv("BEFFROI_TODAY", TODAY)
    return TODAY


@pytest.fixture
def moselle(tmp_path: Path) -> InventoryCopy:
    """A fresh copy of the example Moselle inventory (valid: validates with exit 0)."""
    root = tmp_path / "moselle"
    shutil.copytree(MOSELLE, root)
    return InventoryCopy(root)


@pytest.fixture
def cli() -> Iterator[Any]:
    """The in-process CLI runner (see `invoke_beffroi`)."""
    yield invoke_beffroi
