"""Ansible renders the shared templates to the very bytes `beffroi render` writes.

`ansible-playbook` (local connection, no host contacted) templates every file of Évrange with
`ansible.builtin.template` through the repository's ansible.cfg, which names the escaping filter
plugin (`plugins/filter/beffroi_escape.py`); each result must equal the renderer's output — also
with hostile text that came through the inventory plugin, as the roles see it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.render import TEMPLATE_DIR, render_site, site_outputs, template_vars

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


def test_ansible_template_writes_the_renderer_bytes(tmp_path: Path) -> None:
    inv = load_inventory(REPO / "inventories" / "moselle")
    ctx = site_intent(inv, "evrange").context()
    rendered = {out.relpath: text for out, text in render_site(inv, "evrange").items()}
    tasks = []
    for n, out in enumerate(site_outputs(ctx)):
        variables = template_vars(ctx, out)
        (tmp_path / f"vars-{n}.json").write_text(json.dumps(variables), encoding="utf-8")
        tasks.append({"name": out.relpath, "ansible.builtin.include_vars": {
            "file": str(tmp_path / f"vars-{n}.json")}})
        tasks.append({"name": f"render {out.relpath}", "ansible.builtin.template": {
            "src": str(TEMPLATE_DIR / out.template), "dest": str(tmp_path / "out" / str(n)),
            "mode": "0600"}})
    (tmp_path / "out").mkdir()
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "connection": "local",
                                     "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PYTHONPATH": str(REPO), "ANSIBLE_INVENTORY_ENABLED": "host_list"}
    done = subprocess.run([str(PLAYBOOK), "-i", "localhost,", str(playbook)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    for n, out in enumerate(site_outputs(ctx)):
        got = (tmp_path / "out" / str(n)).read_text(encoding="utf-8")
        assert got == rendered[out.relpath], out.relpath


HOSTILE = 'Évrange "{{ 7 * 7 }}" \\ # ; {x} %h'


def test_hostile_inventory_text_reaches_ansible_as_the_renderer_writes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "moselle"
    shutil.copytree(REPO / "inventories" / "moselle", root)
    site = root / "sites" / "evrange.yml"
    site.write_text(site.read_text(encoding="utf-8").replace(
        'commune: "Évrange"', "commune: " + json.dumps(HOSTILE)).replace(
        'location: "Mât place de la mairie, Évrange — plan étroit"',
        "location: " + json.dumps(HOSTILE)), encoding="utf-8")
    password = REPO / "lab" / "test-vault-password"  # the example vault's published password
    monkeypatch.setenv("BEFFROI_VAULT_PASSWORD_FILE", str(password))
    inv = load_inventory(root)
    assert inv.sites["evrange"].commune == HOSTILE
    rendered = {out.template: text for out, text in
                render_site(inv, "evrange", reveal_secrets=True).items()
                if out.device == "evrange-nvr" or out.relpath.endswith("narrow.yml")}
    tasks = [{"name": "recorder", "ansible.builtin.template": {
                 "src": str(TEMPLATE_DIR / "nvr/recorder.toml.j2"),
                 "dest": str(tmp_path / "recorder.toml"), "mode": "0600"}},
             {"name": "chrony", "ansible.builtin.template": {
                 "src": str(TEMPLATE_DIR / "common/chrony.conf.j2"),
                 "dest": str(tmp_path / "chrony.conf"), "mode": "0600"},
              "vars": {"chrony_serve_cameras": True}},
             {"name": "camera", "ansible.builtin.copy": {
                 "content": "{{ lookup('ansible.builtin.template', '" +
                            str(TEMPLATE_DIR / "camera/camera.yml.j2") +
                            "', template_vars={'camera': beffroi.cameras[0]}) }}",
                 "dest": str(tmp_path / "camera.yml"), "mode": "0600"}}]
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{"hosts": "evrange-nvr", "connection": "local",
                                     "gather_facts": False, "tasks": tasks}]), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PYTHONPATH": str(REPO), "BEFFROI_VAULT_PASSWORD_FILE": str(password)}
    done = subprocess.run([str(PLAYBOOK), "-i", str(root / "beffroi.yml"),
                           "--vault-password-file", str(password), str(playbook)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (tmp_path / "recorder.toml").read_text() == rendered["nvr/recorder.toml.j2"]
    assert (tmp_path / "chrony.conf").read_text() == rendered["common/chrony.conf.j2"]
    assert (tmp_path / "camera.yml").read_text() == rendered["camera/camera.yml.j2"]
    assert HOSTILE in (tmp_path / "chrony.conf").read_text()  # literal: not templated by Ansible
