"""Unit tests of the rules run with Beffroi's "today" pinned (authorization dates)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _today(pinned_today: str) -> None:
    """Every rule test sees BEFFROI_TODAY=2026-11-28."""
