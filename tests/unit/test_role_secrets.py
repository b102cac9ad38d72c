"""`ansible-playbook --diff` never prints a secret: every template task of roles/ whose template
reads a vaulted value runs with `no_log: true` and `diff: false` — literally, or, for a task that
loops over the intent's file list (`beffroi_files`), for every item whose template reads one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from beffroi.files import hub_files
from beffroi.intent import crisis_cell_intent, site_intent
from beffroi.inventory import load_inventory

REPO = Path(__file__).resolve().parents[2]
# intent fields that come from the vault (beffroi/intent.py `_secrets`)
# (recorder.config: the serialized recorder.toml, with password hashes and camera accounts)
SECRET = re.compile(r"private_key|signing_key|nut_password|password|enable_secret|credentials|"
                    r"recorder\.config")


def _defaults(role: Path) -> dict[str, Any]:
    path = role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _files() -> list[dict[str, Any]]:
    """Every item of the intent's file list (every host of Évrange, the hub and the monitoring
    host), redacted."""
    from beffroi.files import monitoring_files
    from beffroi.monitoring import monitoring_intent

    inv = load_inventory(REPO / "inventories" / "moselle")
    return [f.ansible() for f in site_intent(inv, "evrange").files
            + hub_files(crisis_cell_intent(inv)) + monitoring_files(monitoring_intent(inv))]


def _expression(text: str) -> str:
    return text.strip().removeprefix("{{").removesuffix("}}")


def _items(task: dict[str, Any]) -> list[Any]:
    """The loop items of a task: a literal list, or the intent's files it selects."""
    loop = task.get("loop", [])
    if isinstance(loop, str) and "beffroi_files" in loop:
        return list(jinja2.Environment().compile_expression(_expression(loop))(
            beffroi_files=_files()))
    return list(loop)


def _sources(role: Path, task: dict[str, Any]) -> list[Path]:
    """The template files a task renders (role defaults and loop items substituted)."""
    return [path for path, _item in _sources_and_items(role, task)]


def _sources_and_items(role: Path, task: dict[str, Any]) -> list[tuple[Path, Any]]:
    src = str(task["ansible.builtin.template"]["src"])
    for name, value in _defaults(role).items():
        src = src.replace("{{ " + name + " }}", str(value))
    src = src.replace("{{ role_path }}", str(role))
    out = []
    for item in _items(task) or [""]:
        path = src.replace("{{ item }}", str(item))
        if isinstance(item, dict):
            path = path.replace("{{ item.template }}", item["template"])
        p = Path(path)
        out.append((p if p.is_absolute() else role / "templates" / p, item))
    return out


def _keyword(task: dict[str, Any], name: str, item: Any) -> Any:
    """A task keyword as Ansible sees it for one loop item (literal, or `{{ … item … }}`)."""
    value = task.get(name)
    if isinstance(value, str) and "{{" in value:
        return jinja2.Environment().compile_expression(_expression(value))(item=item)
    return value


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
    sources = _sources_and_items(role, task)
    if "{{" in str([path for path, _ in sources]):
        pytest.skip(f"template path not resolvable statically: {sources}")
    for path, item in sources:
        if not SECRET.search(path.read_text(encoding="utf-8")):
            continue  # nothing vaulted in this file
        assert _keyword(task, "no_log", item) is True, f"{task['name']}: no_log: true ({path})"
        assert _keyword(task, "diff", item) is False, f"{task['name']}: diff: false ({path})"


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
