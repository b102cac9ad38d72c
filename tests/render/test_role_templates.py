"""Role-only templates (sshd_config, systemd units, wg-quick drop-ins) escape what they interpolate.

They are rendered here with the renderer's filters (the ones Ansible gets from
`plugins/filter/beffroi_escape.py`) and the roles' own default values, then read back with their
real parser (`sshd -t`) or checked line by line (systemd unit syntax). A hostile role variable —
a line break, a space where one word goes, a `%` specifier — is refused or escaped, never spliced
into a directive.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest

from beffroi.escaping import UnsafeValue
from beffroi.intent import crisis_cell_intent, site_intent
from beffroi.inventory import load_inventory
from beffroi.render import environment

REPO = Path(__file__).resolve().parents[2]
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def _render(role: str, template: str, variables: dict[str, Any]) -> str:
    # the recorder's units are shared templates now (templates/nvr/, rendered from the intent)
    # sshd_config too (templates/common/, one of the intent's files)
    # and the crisis cell's viewer units (templates/crisis_cell/, the hub's files)
    shared = {"recorder": "nvr", "common": "common", "firewall": "firewall",
              "crisis_cell": "crisis_cell"}
    folder = (REPO / "templates" / shared[role] if role in shared
              else REPO / "roles" / role / "templates")
    env = environment().overlay(loader=jinja2.FileSystemLoader(folder))
    env.filters = {**env.filters, "bool": bool}  # Ansible's own filter the drop-ins use
    return env.get_template(template).render(ansible_managed="Ansible managed", **variables)


def _variables() -> dict[str, Any]:
    inv = load_inventory(REPO / "inventories" / "moselle")
    ctx = site_intent(inv, "evrange").context()
    hub = crisis_cell_intent(inv)
    return {
        "beffroi": ctx, "beffroi_hub": hub, "hub": hub,
        "sshd": dict(ctx["sshd"]),
        "recorder_user": "beffroi-recorder", "recorder_venv": "/opt/beffroi/recorder",
        "recorder_config": "/etc/beffroi/recorder.toml",
        "recorder_state_dir": "/var/lib/beffroi/recorder",
        "recorder_checkpoint_dir": "/var/lib/beffroi/checkpoints",
    }


UNITS = [("crisis_cell", "beffroi-viewer.service.j2"), ("crisis_cell", "beffroi-viewer.timer.j2"),
         ("firewall", "wg-quick-dropin.conf.j2"),
         ("recorder", "beffroi-recorder.service.j2"), ("recorder", "beffroi-relay.service.j2")]
UNIT_LINE = re.compile(r"#[^\n]*|\[[A-Za-z]+\]|[A-Za-z]+=[^\n]*|")


def _sshd_check(text: str, tmp: Path) -> None:
    if Path(SSHD).exists() and os.access("/run", os.W_OK):
        # the privilege-separation directory sshd's own unit creates (RuntimeDirectory=sshd)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    if not Path(SSHD).exists() or not Path("/run/sshd").is_dir():
        pytest.skip("sshd -t needs openssh-server and /run/sshd")
    path = tmp / "sshd_config"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([SSHD, "-t", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_sshd_config_passes_sshd_t(tmp_path: Path) -> None:
    _sshd_check(_render("common", "sshd_config.j2", _variables()), tmp_path)


def test_sshd_config_keeps_one_directive_per_template_line() -> None:
    """A line is never joined to the next (trim_blocks eats the newline after a block tag):
    `AllowGroups beffroi-adminsPubkeyAuthentication yes` locked every administrator out."""
    source = (REPO / "templates" / "common" / "sshd_config.j2").read_text()
    want = [line.split()[0] for line in source.splitlines() if line and line[0] not in "#{"]
    text = _render("common", "sshd_config.j2", _variables())
    got = [line.split()[0] for line in text.splitlines() if line and line[0] != "#"]
    assert got == want
    assert "AllowGroups beffroi-admins\n" in text


CONFIG_TEMPLATES = sorted([*REPO.glob("templates/*/*.j2"), *REPO.glob("roles/*/templates/*.j2")])


@pytest.mark.parametrize("path", [p for p in CONFIG_TEMPLATES if ".html" not in p.name],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_no_block_tag_ends_a_line_of_text(path: Path) -> None:
    """Under trim_blocks (Ansible's and the renderer's setting) a `{% … %}` that ends a line
    holding text swallows the newline: the next directive would join this one (`+%}` keeps
    it)."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if (stripped.endswith("%}") and not stripped.endswith("+%}")
                and not stripped.startswith("{%")):
            raise AssertionError(f"{path.name}:{n}: {line}")


@pytest.mark.parametrize(("role", "template"), UNITS, ids=lambda v: str(v))
def test_units_have_unit_file_line_structure(role: str, template: str) -> None:
    text = _render(role, template, _variables())
    assert all(UNIT_LINE.fullmatch(line) for line in text.splitlines()), text


@pytest.mark.parametrize("value", ["beffroi-admins\nPermitRootLogin yes", "admins root",
                                   "admins#", "admins\rPasswordAuthentication yes",
                                   "admins\u2028x", '"admins"'])
def test_sshd_config_refuses_a_hostile_group(value: str) -> None:
    with pytest.raises(UnsafeValue, match="sshd_config"):
        variables = _variables()
        _render("common", "sshd_config.j2",
                {**variables, "sshd": {**variables["sshd"], "admin_group": value}})


@pytest.mark.parametrize(("name", "value"), [
    ("recorder_user", "beffroi\nExecStartPre=/bin/sh -c evil"),
    ("recorder_venv", "/opt/x /etc"),
    ("recorder_state_dir", "/var/lib/x\\"),
    ("recorder_config", "/etc/x\u2029ExecStart=/bin/false"),
])
def test_recorder_unit_refuses_a_hostile_variable(name: str, value: str) -> None:
    variables = _variables()  # the units read the intent's paths and account (issue 11)
    if name == "recorder_user":
        variables["beffroi"]["recorder"]["user"] = value
    else:
        variables["beffroi"]["paths"][name] = value
    with pytest.raises(UnsafeValue, match="systemd"):
        _render("recorder", "beffroi-recorder.service.j2", variables)


def test_systemd_specifiers_in_a_value_are_escaped() -> None:
    text = _render("crisis_cell", "beffroi-viewer.timer.j2", _variables())  # intent: 1min
    assert "OnUnitActiveSec=1min" in text
    variables = _variables()
    variables["beffroi"]["site"]["slug"] = "evrange%h"
    unit = _render("recorder", "beffroi-relay.service.j2", variables)
    assert "(evrange%%h)" in unit
