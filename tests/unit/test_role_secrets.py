"""`ansible-playbook --diff` never prints a secret: every template task of roles/ whose template
reads a vaulted value runs with `no_log: true` and `diff: false`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
# intent fields that come from the vault (beffroi/intent.py `_secrets`)
# (recorder.config: the serialized recorder.toml, with password hashes and camera accounts)
SECRET = re.compile(r"private_key|signing_key|nut_password|password|enable_secret|credentials|"
                    r"recorder\.config")


def _defaults(role: Path) -> dict[str, Any]:
    path = role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _sources(role: Path, task: dict[str, Any]) -> list[Path]:
    """The template files a task renders (role defaults and loop items substituted)."""
    src = str(task["ansible.builtin.template"]["src"])
    for name, value in _defaults(role).items():
        src = src.replace("{{ " + name + " }}", str(value))
    src = src.replace("{{ role_path }}", str(role))
    items = [str(i) for i in task.get("loop", [])] or [""]
    paths = [Path(src.replace("{{ item }}", item)) for item in items]
    return [p if p.is_absolute() else role / "templates" / p for p in paths]


def _template_tasks() -> list[Any]:
    found = []
    for tasks in sorted((REPO / "roles").glob("*/tasks/*.yml")):
        role = tasks.parent.parent
        for task in yaml.safe_load(tasks.read_text(encoding="utf-8")) or []:
            if "ansible.builtin.template" in task:
                found.append(pytest.param(role, task, id=f"{role.name}:{task['name'][:40]}"))
    return found


@pytest.mark.parametrize(("role", "task"), _template_tasks())
def test_template_task_carrying_a_secret_never_logs_or_diffs_it(role: Path,
                                                                task: dict[str, Any]) -> None:
    sources = _sources(role, task)
    if "{{" in str(sources):
        pytest.skip(f"template path not resolvable statically: {sources}")
    texts = [p.read_text(encoding="utf-8") for p in sources]
    if not any(SECRET.search(t) for t in texts):
        return  # nothing vaulted in this file
    assert task.get("no_log") is True, f"{task['name']}: no_log: true"
    assert task.get("diff") is False, f"{task['name']}: diff: false"


def _copy_tasks() -> list[Any]:
    found = []
    for tasks in sorted((REPO / "roles").glob("*/tasks/*.yml")):
        for task in yaml.safe_load(tasks.read_text(encoding="utf-8")) or []:
            content = str((task.get("ansible.builtin.copy") or {}).get("content", ""))
            if SECRET.search(content):
                found.append(pytest.param(task, id=f"{tasks.parent.parent.name}:"
                                                   f"{task['name'][:40]}"))
    return found


@pytest.mark.parametrize("task", _copy_tasks())
def test_copy_task_writing_a_secret_never_logs_or_diffs_it(task: dict[str, Any]) -> None:
    assert task.get("no_log") is True, f"{task['name']}: no_log: true"
    assert task.get("diff") is False, f"{task['name']}: diff: false"


def test_the_secret_carrying_templates_are_found() -> None:
    carrying = {p.values[1]["name"] for p in _template_tasks()
                if any(SECRET.search(s.read_text(encoding="utf-8"))
                       for s in _sources(p.values[0], p.values[1]) if s.is_file())}
    assert len(carrying) >= 4, carrying  # WireGuard spoke and hub, NUT, recorder.toml
