"""Issue 11: the crisis cell's files — the WireGuard hub, the health probe (viewer) and the
wall — are all items of the intent's list (beffroi/files.py `hub_files`); role crisis_cell
renders those items where they say and has no template of its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from beffroi import intent
from beffroi.files import RenderedFile, hub_files
from beffroi.intent import crisis_cell_intent
from beffroi.inventory import load_inventory
from beffroi.render import render_crisis_cell
from beffroi.secrets import REDACTED

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
ROLE = REPO / "roles" / "crisis_cell"
VIEWER_TEMPLATES = {"crisis_cell/viewer.json.j2", "crisis_cell/beffroi-viewer.service.j2",
                    "crisis_cell/beffroi-viewer.timer.j2"}


def _hub_files() -> list[RenderedFile]:
    return hub_files(crisis_cell_intent(load_inventory(MOSELLE)))


def _role_items(tasks_file: str, files: list[RenderedFile]) -> set[str]:
    """The templates of the intent's list the role's template tasks of `tasks_file` install."""
    items = [f.ansible() for f in files]
    found: set[str] = set()
    for task in yaml.safe_load((ROLE / "tasks" / tasks_file).read_text(encoding="utf-8")):
        if "ansible.builtin.template" not in task:
            continue
        loop = str(task["loop"]).strip().removeprefix("{{").removesuffix("}}")
        found |= {i["template"] for i in
                  jinja2.Environment().compile_expression(loop)(beffroi_files=items)}
    return found


def test_the_viewer_files_are_items_of_the_intent_list() -> None:
    """ACC-4: the probe's configuration and units have a destination, a rule, a mode."""
    paths = intent.PATHS
    viewer = {f.template: f for f in _hub_files() if f.template in VIEWER_TEMPLATES}
    assert {t: (f.dest, f.rule, f.role) for t, f in viewer.items()} == {
        "crisis_cell/viewer.json.j2": (paths["viewer_config"], "ACC-4", "crisis_cell"),
        "crisis_cell/beffroi-viewer.service.j2":
            (f"{paths['systemd_dir']}/beffroi-viewer.service", "ACC-4", "crisis_cell"),
        "crisis_cell/beffroi-viewer.timer.j2":
            (f"{paths['systemd_dir']}/beffroi-viewer.timer", "ACC-4", "crisis_cell")}
    config = viewer["crisis_cell/viewer.json.j2"]
    # the relay passwords: readable by the probe's group only, never logged nor diffed
    assert (config.owner, config.group, config.mode, config.secret) == (
        "root", intent.VIEWER["user"], "0640", True)


def test_role_crisis_cell_has_no_template_of_its_own() -> None:
    assert not (ROLE / "templates").exists() or not list((ROLE / "templates").iterdir())


def test_the_role_installs_exactly_the_intent_items_of_each_part() -> None:
    files = _hub_files()
    assert _role_items("viewer.yml", files) == VIEWER_TEMPLATES
    wall = {f.template for f in files if "Restart wall" in f.notify}
    assert wall and _role_items("wall.yml", files) == wall
    installed = set().union(*(_role_items(t, files) for t in ("viewer.yml", "wall.yml",
                                                              "wireguard.yml")))
    assert installed == {f.template for f in files if f.role == "crisis_cell"}


def test_the_rendered_viewer_json_lists_each_commune_relay_and_its_probe_account() -> None:
    inv = load_inventory(MOSELLE)
    rendered = {o.template: t for o, t in render_crisis_cell(inv).items()}
    conf: dict[str, Any] = json.loads(rendered["crisis_cell/viewer.json.j2"])
    hub = crisis_cell_intent(inv)
    assert conf["state_dir"] == intent.PATHS["viewer_state_dir"]
    assert conf["timeout"] == intent.VIEWER["timeout"]
    assert {(s["slug"], s["camera"], s["url"]) for s in conf["streams"]} == {
        (p["slug"], c, f"{p['live_relay']}/{c}") for p in hub["peers"] for c in p["cameras"]}
    assert set(conf["credentials"]) == {p["slug"] for p in hub["peers"]}
    assert {c["user"] for c in conf["credentials"].values()} == {hub["hostname"]}


def test_moving_the_viewer_config_moves_its_item_and_the_unit_reading_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    moved = "/srv/beffroi-test/viewer.json"
    monkeypatch.setitem(intent.PATHS, "viewer_config", moved)
    inv = load_inventory(MOSELLE)
    rendered = {o.template: (o, t) for o, t in render_crisis_cell(inv).items()}
    assert rendered["crisis_cell/viewer.json.j2"][0].dest == moved
    unit = rendered["crisis_cell/beffroi-viewer.service.j2"][1]
    assert f"--config {moved}\n" in unit


def test_ansible_renders_the_hub_items_as_the_renderer_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The role's loops (the viewer's, role common's baseline) through the real inventory plugin
    and vault: the bytes `beffroi render` writes, relay passwords included."""
    import os
    import subprocess
    import sys

    from beffroi.render import render_file

    out = tmp_path / "out"
    out.mkdir()
    loops = [("viewer", "selectattr('notify', 'equalto', ['Run the viewer'])", "hub",
              "beffroi_hub"),
             ("journald", "selectattr('template', 'equalto', 'common/journald.conf.j2')",
              "journald", "item.variables.journald"),
             ("upgrades", "selectattr('template', 'in', ['common/auto-upgrades.j2', "
              "'common/unattended-upgrades.j2'])", "upgrades", "item.variables.upgrades"),
             ("sudoers", "selectattr('template', 'equalto', 'common/sudoers.j2')",
              "admin_group", "item.variables.admin_group")]
    tasks = [{"name": name, "ansible.builtin.template": {
                "src": f"{REPO}/templates/{{{{ item.template }}}}",
                "dest": f"{out}/{{{{ item.relpath | basename }}}}", "mode": "0600"},
              "loop": f"{{{{ beffroi_files | {select} | list }}}}",
              "vars": {var: f"{{{{ {value} }}}}"}, "no_log": True}
             for name, select, var, value in loops]
    play = tmp_path / "play.yml"
    play.write_text(json.dumps([{"hosts": "cdc57-hub", "connection": "local",
                                 "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if k != "ANSIBLE_VAULT_PASSWORD_FILE"},
           "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "-i",
                           str(MOSELLE), str(play), "-e",
                           "ansible_python_interpreter={{ ansible_playbook_python }}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    monkeypatch.setenv("BEFFROI_VAULT_PASSWORD_FILE", str(REPO / "lab" / "test-vault-password"))
    inv = load_inventory(MOSELLE)
    hub = crisis_cell_intent(inv, reveal_secrets=True)
    by_role = {o.relpath: t for o, t in render_crisis_cell(inv, reveal_secrets=True).items()}
    wanted = {f.relpath.rsplit("/", 1)[-1]: by_role[f.relpath] if f.role == "crisis_cell"
              else render_file(hub, f)
              for f in hub_files(hub) if f.template in VIEWER_TEMPLATES
              or (f.role == "common" and f.template not in ("common/chrony.conf.j2",
                                                            "common/sshd_config.j2"))}
    assert len(wanted) == 7 and "credentials" in wanted["viewer.json"]
    assert REDACTED not in wanted["viewer.json"]  # the real relay passwords, decrypted
    for name, text in wanted.items():
        assert (out / name).read_text(encoding="utf-8") == text, name
