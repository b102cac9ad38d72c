"""`beffroi lab` fails with a message an engineer can act on, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from lab_kit import REPO

from beffroi.lab.errors import LabError
from beffroi.lab.image import build_tarball

BEFFROI = REPO / ".venv" / "bin" / "beffroi"


def _cli(*args: str, path: str | None = None, cache: Path | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    if cache is not None:
        env["BEFFROI_CACHE"] = str(cache)
    return subprocess.run([str(BEFFROI), "lab", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=60, check=False)


def test_status_without_podman_says_how_to_install_it(tmp_path: Path) -> None:
    res = _cli("status", path=str(tmp_path), cache=tmp_path)
    assert res.returncode == 1
    assert "podman is not installed" in res.stderr
    assert "make bootstrap" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_up_of_an_unknown_site_names_the_known_ones(tmp_path: Path) -> None:
    res = _cli("up", "--site", "nowhere", cache=tmp_path)
    assert res.returncode == 1
    assert "unknown site(s) nowhere" in res.stderr
    assert "evrange" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_image_build_without_debootstrap_is_a_lab_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("BEFFROI_CACHE", str(tmp_path))
    with pytest.raises(LabError, match="debootstrap is not installed"):
        build_tarball(lambda _: None)
    assert not list(tmp_path.rglob("*.tar"))  # no half-made cache entry
