"""AUTH-1/AUTH-2 are decided once, by the intent; the recorder role and drift read the decision."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from beffroi.intent import authorization_decision, site_intent
from beffroi.inventory import load_inventory

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("day", "in_force", "rule"), [
    (date(2024, 9, 30), False, "AUTH-1"),   # before Évrange's arrêté is issued
    (date(2026, 11, 28), True, "AUTH-1"),
    (date(2035, 1, 1), False, "AUTH-2"),    # after it expires
])
def test_decision_follows_the_day(day: date, in_force: bool, rule: str) -> None:
    site = load_inventory(REPO / "inventories" / "moselle").site("evrange")
    decision = authorization_decision(site, day)
    assert decision["in_force"] is in_force and decision["rule"] == rule
    assert day.isoformat() in decision["on"] and rule in decision["reason"]


def test_intent_role_and_drift_share_the_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEFFROI_TODAY", "2024-09-30")
    ctx = site_intent(load_inventory(REPO / "inventories" / "moselle"), "evrange").context()
    assert ctx["recorder"]["authorization"]["in_force"] is False
    assert "beffroi-recorder" not in {s["unit"] for s in ctx["services"]["nvr"]}  # drift
    preflight = yaml.safe_load((REPO / "roles/recorder/tasks/preflight.yml").read_text())
    asserted = next(t for t in preflight if "ansible.builtin.assert" in t)
    assert asserted["ansible.builtin.assert"]["that"] == [
        "beffroi.recorder.authorization.in_force | bool"]  # the role recomputes no date
