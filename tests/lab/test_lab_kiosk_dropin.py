"""The kiosk's lab difference (a headless compositor, no tty1) lives in the lab overlay only:
a real host gets no drop-in and the production unit names no lab setting (issue 14 §4)."""

from __future__ import annotations

import jinja2
import yaml
from lab_kit import REPO

OVERLAY = REPO / "lab" / "inventory" / "group_vars" / "all.yml"
LAB_WORDS = ("WLR_", "headless", "pixman", "TTYPath=\n", "beffroi_lab")


def _dropin(**facts: object) -> str:
    source = yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))
    return jinja2.Environment().from_string(source["workstation_kiosk_dropin"]).render(
        __lab_kiosk_dropin=source["__lab_kiosk_dropin"], **facts)


def test_a_real_workstation_gets_no_kiosk_dropin() -> None:
    assert _dropin() == ""


def test_a_lab_workstation_runs_the_kiosk_headless() -> None:
    dropin = _dropin(beffroi_lab="molecule")
    assert dropin.startswith("# Lab only") and "[Service]" in dropin
    assert "WLR_BACKENDS=headless" in dropin and "TTYPath=\n" in dropin


def test_the_production_kiosk_unit_and_role_name_no_lab_setting() -> None:
    unit = (REPO / "templates" / "workstation" / "beffroi-kiosk.service.j2").read_text(
        encoding="utf-8")
    defaults = (REPO / "roles" / "workstation" / "defaults" / "main.yml").read_text(
        encoding="utf-8")
    for word in LAB_WORDS:
        assert word not in unit, word
        assert word not in defaults.split("workstation_kiosk_dropin:")[1], word
    assert 'workstation_kiosk_dropin: ""' in defaults
