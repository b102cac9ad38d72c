"""Issue 11: a destination path is written once, in the intent (`beffroi/intent.py` PATHS,
composed by `beffroi/files.py`); the renderer, drift, the roles and the playbooks read it from
the file list and never spell it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.files import hub_files, monitoring_files
from beffroi.intent import crisis_cell_intent, site_intent
from beffroi.inventory import load_inventory
from beffroi.monitoring import monitoring_intent

REPO = Path(__file__).resolve().parents[2]
HOMES = {REPO / "beffroi" / "intent.py", REPO / "beffroi" / "files.py",
         REPO / "beffroi" / "monitoring.py"}  # the monitoring host's own paths
READERS = ("beffroi", "network", "plugins", "roles", "playbooks")


def _destinations() -> list[str]:
    inv = load_inventory(REPO / "inventories" / "moselle")
    files = site_intent(inv, "evrange").files + hub_files(crisis_cell_intent(inv)) + \
        monitoring_files(monitoring_intent(inv))
    return sorted({f.dest for f in files if f.dest})


def _sources() -> list[Path]:
    return [p for folder in READERS for p in sorted((REPO / folder).rglob("*"))
            if p.is_file() and p.suffix in (".py", ".yml", ".j2", ".cfg") and p not in HOMES]


@pytest.mark.parametrize("dest", _destinations())
def test_a_destination_is_spelled_only_in_the_intent(dest: str) -> None:
    spelled = [str(p.relative_to(REPO)) for p in _sources()
               if dest in p.read_text(encoding="utf-8", errors="replace")]
    assert spelled == [], f"{dest} is written again in {spelled}: read it from beffroi_files"
