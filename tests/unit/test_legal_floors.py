"""The legal floors (CAM-1..3, CAM-9, RET-1, JRN-2, TIME-1, ACC-5) have one home:
recorder/legal.py. Every other layer imports them; none writes the numbers again."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from recorder import legal

REPO = Path(__file__).resolve().parents[2]
HOME = REPO / "recorder" / "legal.py"
# Numbers that only a legal floor uses (704×576, 352×288, the CAM-9 margin).
FLOOR_NUMBERS = {"704", "576", "352", "288", "1.2"}
# In Ansible files also the CAM-9 formula's seconds per day.
ANSIBLE_FLOOR = re.compile(r"\b(704|576|352|288|86400)\b|\*\s*1\.2\b")


def _python_files() -> list[Path]:
    return [p for pkg in ("beffroi", "network", "recorder") for p in (REPO / pkg).rglob("*.py")
            if p != HOME]


def test_no_python_module_writes_a_legal_floor_number_again() -> None:
    offenders = []
    for path in _python_files():
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type == tokenize.NUMBER and tok.string in FLOOR_NUMBERS:
                offenders.append(f"{path.relative_to(REPO)}:{tok.start[0]}: {tok.string}")
    assert offenders == [], "import the floor from recorder/legal.py instead:\n" + "\n".join(
        offenders)


def test_no_role_or_template_recomputes_a_legal_floor() -> None:
    offenders = []
    for folder in ("roles", "playbooks", "templates"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix not in {".yml", ".yaml", ".j2"} or not path.is_file():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if ANSIBLE_FLOOR.search(code):
                    offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == [], "read the value from the intent instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(("role", "floor"), [("narrow", (704, 576, 12)),
                                             ("context", (352, 288, 6)),
                                             ("overview", (352, 288, 6))])
def test_stream_floor_of_each_role_is_the_arrete_s(role: str, floor: tuple[int, int, int]
                                                    ) -> None:
    assert legal.stream_floor(role) == floor
    assert legal.size_rule(role) == ("CAM-1" if role == "narrow" else "CAM-2")


def test_cam9_storage_formula_is_bitrate_times_day_times_retention_with_margin() -> None:
    # 4 Mbit/s for 1 day: 4e6 / 8 * 86400 = 43.2 GB, × 1.2 = 51.84 GB.
    assert legal.storage_needed_gb([4000], 1) == pytest.approx(51.84)
    assert legal.storage_needed_gb([3000, 1000], 10) == pytest.approx(518.4)
    assert legal.storage_needed_gb([10**400], 30) == float("inf")


def test_intent_carries_the_required_storage_and_camera_floors_the_roles_assert(
        ) -> None:
    inv = load_inventory(REPO / "inventories" / "moselle")
    for slug, site in inv.sites.items():
        ctx = site_intent(inv, slug).context()
        need = legal.storage_needed_gb([c.recording.bitrate_kbps for c in site.cameras],
                                       site.authorization.retention_days)
        assert ctx["nvr"]["required_storage_gb"] == round(need, 1)
        assert [c["legal_floor"] for c in ctx["cameras"]] == [
            list(legal.stream_floor(c.role)) for c in site.cameras]
        assert ctx["legal"]["password_min_length"] == legal.PASSWORD_MIN_LENGTH
    preflight = (REPO / "roles" / "nvr" / "tasks" / "preflight.yml").read_text(encoding="utf-8")
    assert "beffroi.nvr.required_storage_gb" in preflight
