"""Role common's baseline files (issue 11: items of the intent's list) pass the parser their
validate command names — apt-config for the unattended upgrades, visudo for sudoers — and say
what the intent decided."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from beffroi.files import APT_CHECK, SUDOERS_CHECK
from beffroi.inventory import load_inventory
from beffroi.render import render_site

REPO = Path(__file__).resolve().parents[2]


def _files(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Évrange NVR's baseline files written under `tmp`: template → (path, validate)."""
    out = {}
    for f, text in render_site(load_inventory(REPO / "inventories" / "moselle"),
                               "evrange").items():
        if f.host == "evrange-nvr" and f.validate in (APT_CHECK, SUDOERS_CHECK):
            path = tmp / f.relpath.replace("/", "_")
            path.write_text(text, encoding="utf-8")
            out[f.template] = (path, f.validate)
    return out


def _check(validate: str, path: Path) -> subprocess.CompletedProcess[str]:
    tool = validate.split()[0]
    if not Path(tool).exists():
        pytest.skip(f"{tool} is not installed here")
    return subprocess.run([*validate.replace("%s", str(path)).split()], capture_output=True,
                          text=True, check=False)


def test_unattended_upgrades_parse_and_take_security_updates_daily_without_reboot(
        tmp_path: Path) -> None:
    """NET-3: apt-config reads back the intent's decision."""
    files = _files(tmp_path)
    dumps = ""
    for template in ("common/auto-upgrades.j2", "common/unattended-upgrades.j2"):
        path, validate = files[template]
        done = _check(validate, path)
        assert done.returncode == 0, done.stderr
        dumps += done.stdout
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dumps
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in dumps
    assert "-security,label=Debian-Security" in dumps


def test_sudoers_passes_visudo(tmp_path: Path) -> None:
    if shutil.which("visudo") is None and not Path("/usr/sbin/visudo").exists():
        pytest.skip("visudo (sudo) is not installed here")
    path, validate = _files(tmp_path)["common/sudoers.j2"]
    done = _check(validate, path)
    assert done.returncode == 0, done.stdout + done.stderr
