"""The lab image's recipe (no podman needed): it pre-carries every package a role installs, so
converge never waits on apt, and an image of another recipe never answers for this one."""

from __future__ import annotations

from pathlib import Path

import yaml
from lab_kit import REPO

from beffroi.lab.image import IMAGE_NAME, PACKAGES, recipe_hash


def _role_packages() -> dict[str, list[str]]:
    """`<role>_packages` of every role's defaults: what its install task apt-installs."""
    found: dict[str, list[str]] = {}
    for defaults in sorted((REPO / "roles").glob("*/defaults/main.yml")):
        data = yaml.safe_load(defaults.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if key.endswith("_packages") and isinstance(value, list):
                found[f"{Path(defaults).parts[-3]}:{key}"] = [str(v) for v in value]
    return found


def test_image_pre_carries_every_package_a_role_installs() -> None:
    roles = _role_packages()
    assert "workstation:workstation_packages" in roles and "monitoring:monitoring_packages" in roles
    missing = {role: sorted(set(pkgs) - set(PACKAGES)) for role, pkgs in roles.items()}
    assert not {role: pkgs for role, pkgs in missing.items() if pkgs}, (
        "add them to PACKAGES in beffroi/lab/image.py")


def test_every_role_installs_its_packages_from_its_packages_variable() -> None:
    # the recipe test above reads `<role>_packages`: an apt task naming packages elsewhere
    # would slip past it
    for tasks in sorted((REPO / "roles").glob("*/tasks/*.yml")):
        for task in yaml.safe_load(tasks.read_text(encoding="utf-8")) or []:
            apt = task.get("ansible.builtin.apt") if isinstance(task, dict) else None
            if isinstance(apt, dict) and "name" in apt:
                role = tasks.parts[-3]
                assert apt["name"] == "{{ " + role + "_packages }}", tasks


def test_image_name_carries_the_recipe() -> None:
    # worktrees with different recipes share one podman store: each gets its own tag, so
    # one `lab up` never re-tags (and so rebuilds) the image another one uses
    assert IMAGE_NAME.endswith(recipe_hash())
