"""Testinfra access to this scenario's lab hosts (shared: molecule/shared/testinfra_lab.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from testinfra_lab import host_address_and_key, lab, lab_host  # noqa: E402

__all__ = ["host_address_and_key", "lab", "lab_host"]
