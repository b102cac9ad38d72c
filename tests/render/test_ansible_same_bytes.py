"""Ansible renders the shared templates to the very bytes `beffroi render` writes.

`ansible-playbook` (local connection, no host contacted) templates every file of Évrange with
`ansible.builtin.template` through the repository's ansible.cfg, which names the escaping filter
plugin (`plugins/filter/beffroi_escape.py`); each result must equal the renderer's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([str(PLAYBOOK), "-i", "localhost,", str(playbook)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    for n, out in enumerate(site_outputs(ctx)):
        got = (tmp_path / "out" / str(n)).read_text(encoding="utf-8")
        assert got == rendered[out.relpath], out.relpath
