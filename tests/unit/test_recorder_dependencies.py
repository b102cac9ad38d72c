"""The recorder role downloads the NVR's Python dependencies by name (it needs them before the
wheel is installed, for the NVR's platform): the list must be the wheel's own, from pyproject."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].strip().lower()


def test_the_recorder_role_downloads_exactly_the_wheels_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    defaults = yaml.safe_load((REPO / "roles" / "recorder" / "defaults" / "main.yml")
                              .read_text(encoding="utf-8"))
    assert sorted(_name(r) for r in defaults["recorder_python_dependencies"]) == \
        sorted(_name(r) for r in project["dependencies"])
