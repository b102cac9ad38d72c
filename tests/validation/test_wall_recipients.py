"""crisis-cell.yml `wall.recipients` (issue 14 §3): individual accounts of lawful recipients
only (ACC-1, ACC-3), each allowed cameras that exist; located findings, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from beffroi.inventory import load_inventory
from beffroi.validate import check_inventory
from validation.inventory_kit import InventoryCopy

CELL = "crisis-cell.yml"


def _findings(inv: InventoryCopy) -> list[Any]:
    return [f for f in check_inventory(load_inventory(inv.root)) if f.file.endswith(CELL)]


def test_example_wall_recipients_validate(moselle: InventoryCopy) -> None:
    assert _findings(moselle) == []


@pytest.mark.parametrize("service", ["prefecture", "conseil_departemental", "Gendarmerie",
                                     "police", "sdis57", "mairie"])
def test_a_recipient_outside_the_lawful_services_is_refused(moselle: InventoryCopy,
                                                             service: str) -> None:
    moselle.set(CELL, ("wall", "recipients", 1, "service"), service)
    (finding,) = _findings(moselle)
    assert finding.rule == "ACC-3" and finding.path == "wall.recipients[1].service"
    assert "CSI L252-3" in finding.message and finding.line > 0


@pytest.mark.parametrize("entry", ["thionville", "evrange/cam9", "evrange/"])
def test_a_recipient_camera_that_does_not_exist_is_refused(moselle: InventoryCopy,
                                                           entry: str) -> None:
    moselle.set(CELL, ("wall", "recipients", 0, "cameras"), ["evrange", entry])
    (finding,) = _findings(moselle)
    assert finding.rule == "ACC-3" and finding.path == "wall.recipients[0].cameras[1]"


@pytest.mark.parametrize("field, value, says", [
    ("id", "gn-acolin", "declared twice"), ("id", "sdis", "generic"),
    ("id", "cdc57-hub", "generic"), ("name", "Martin", "does not name a person"),
    ("name", "ALICE  colin", "already holds account"),
])
def test_wall_accounts_are_individual(moselle: InventoryCopy, field: str, value: str,
                                      says: str) -> None:
    moselle.set(CELL, ("wall", "recipients", 2, field), value)
    found = _findings(moselle)
    assert any(f.rule == "ACC-1" and says in f.message for f in found), found


def test_wall_public_key_must_be_an_ed25519_key(moselle: InventoryCopy) -> None:
    moselle.set(CELL, ("wall", "public_key"), "not a key")
    found = [f for f in load_inventory(moselle.root).findings if f.file.endswith(CELL)]
    assert found and "wall.public_key" in found[0].path
