"""Fixtures of the monitoring tests: Beffroi's "today" pinned; the recorder harness importable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recorder"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


@pytest.fixture(autouse=True)
def _today(pinned_today: str) -> None:
    """Every monitoring test sees BEFFROI_TODAY=2026-11-28."""
