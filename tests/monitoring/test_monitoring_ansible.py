"""Ansible renders the monitoring templates, with the variables the inventory plugin gives the
role (`beffroi_monitoring`, `beffroi_files`), to the very bytes `beffroi render -s monitoring`
writes — so the role installs what the tests parsed; hostile commune text stays literal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from beffroi.inventory import load_inventory
from beffroi.render import TEMPLATE_DIR, render_monitoring

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
HOSTILE = 'Évrange "{{ 7 * 7 }}" \\ # ; {x} %h'


def test_the_role_renders_the_monitoring_renderer_bytes(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "moselle"
    shutil.copytree(REPO / "inventories" / "moselle", root)
    site = root / "sites" / "evrange.yml"
    site.write_text(site.read_text(encoding="utf-8").replace(
        'commune: "Évrange"', "commune: " + json.dumps(HOSTILE)), encoding="utf-8")
    password = REPO / "lab" / "test-vault-password"  # the example vault's published password
    monkeypatch.setenv("BEFFROI_VAULT_PASSWORD_FILE", str(password))
    rendered = {out.relpath: text for out, text in
                render_monitoring(load_inventory(root), reveal_secrets=True).items()}
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    task = {"name": "render", "ansible.builtin.template": {
                "src": f"{TEMPLATE_DIR}/{{{{ item.template }}}}",
                "dest": f"{out_dir}/{{{{ item.relpath | basename }}}}-{{{{ idx }}}}",
                "mode": "0600"},
            "loop": "{{ beffroi_files | selectattr('role', 'equalto', 'monitoring') | list }}",
            "loop_control": {"index_var": "idx"}, "no_log": True,
            "vars": {"monitoring": "{{ beffroi_monitoring }}",
                     "daemon": "{{ item.variables.daemon | default('') }}"}}
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{"hosts": "mf57-supervision", "connection": "local",
                                     "gather_facts": False, "tasks": [task]}]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PYTHONPATH": str(REPO), "BEFFROI_VAULT_PASSWORD_FILE": str(password)}
    done = subprocess.run([str(PLAYBOOK), "-i", str(root / "beffroi.yml"),
                           "--vault-password-file", str(password), str(playbook)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    got = sorted(out_dir.iterdir())
    assert len(got) == len(rendered)
    for i, relpath in enumerate(rendered):
        path = out_dir / f"{Path(relpath).name}-{i}"
        assert path.read_text(encoding="utf-8") == rendered[relpath], relpath
    wg = next(t for r, t in rendered.items() if r.endswith("wg-beffroi.conf"))
    assert HOSTILE in wg and "<vault>" not in wg  # literal, and the vault key was revealed
