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


# Where an intent path may still be spelled, and why (issue 11's closing note lists them).
STAYS = {
    # the base install documents its own format; it does not import beffroi (beffroi imports it)
    "recorder/cli.py": "help text example", "recorder/config.example.toml": "format example",
    # how, not what: files that depend on a fact of the host (a container cannot set the clock)
    "roles/common/tasks/chrony.yml": "chronyd -x switch and its unit drop-in",
    # the lab image and the demo's collector: lab-only files, never a commune's host
    "beffroi/lab/image.py": "lab image", "beffroi/demo_alert.py": "demo collector CA",
    "beffroi/cli/drift.py": "help text example",
    # a systemd path of the kiosk's boot target, not a file of the intent
    "roles/workstation/tasks/service.yml": "default.target link",
}


def _intent_paths() -> list[str]:
    from beffroi.intent import PATHS
    from beffroi.monitoring import MONITORING_PATHS

    return sorted(set(PATHS.values()) | set(MONITORING_PATHS.values()))


@pytest.mark.parametrize("path", _intent_paths())
def test_an_intent_path_is_spelled_only_in_its_home(path: str) -> None:
    """Not only the destinations: directories, programs, wheelhouses of PATHS too."""
    sources = [p for folder in (*READERS, "recorder") for p in sorted((REPO / folder).rglob("*"))
               if p.is_file() and p.suffix in (".py", ".yml", ".j2", ".cfg", ".toml", "")
               and p not in HOMES and "__pycache__" not in p.parts]
    spelled = [str(p.relative_to(REPO)) for p in sources
               if path in p.read_text(encoding="utf-8", errors="replace")
               and str(p.relative_to(REPO)) not in STAYS]
    assert spelled == [], f"{path} is written again in {spelled}: read it from the intent"
