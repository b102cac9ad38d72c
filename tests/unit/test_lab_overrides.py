"""The lab's differences from production are one list, which Ansible and drift both apply."""

from __future__ import annotations

from pathlib import Path

import jinja2
import yaml

from beffroi.files import site_files
from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.lab.overrides import LAB_TEMPLATE_VARS, lab_variant
from beffroi.render import render_file

REPO = Path(__file__).resolve().parents[2]


def _lab_group_var(name: str, **facts: object) -> str:
    source = yaml.safe_load((REPO / "lab" / "inventory" / "group_vars" / "all.yml").read_text())
    return jinja2.Environment().from_string(source[name]).render(**facts)


def test_ansible_and_drift_give_a_lab_host_the_same_root_login() -> None:
    lab = LAB_TEMPLATE_VARS["common/sshd_config.j2"]["sshd"]["permit_root_login"]
    assert _lab_group_var("common_sshd_permit_root_login", beffroi_lab="beffroi") == lab
    # a host of a real inventory (no `beffroi_lab`) keeps the intent's value
    assert _lab_group_var("common_sshd_permit_root_login") == "no"


def test_lab_variant_changes_only_root_login_of_sshd_config() -> None:
    inv = load_inventory(REPO / "inventories" / "moselle")
    ctx = site_intent(inv, "evrange").context()
    files = site_files(ctx)
    sshd = next(f for f in files if f.template == "common/sshd_config.j2")
    variant = lab_variant(sshd)
    assert variant is not None
    prod, lab = render_file(ctx, sshd), render_file(ctx, variant)
    changed = {line for line in set(prod.splitlines()) ^ set(lab.splitlines())}
    assert changed == {"PermitRootLogin no", "PermitRootLogin prohibit-password",
                       "AllowGroups beffroi-admins", "AllowGroups beffroi-admins root"}
    assert all(lab_variant(f) is None for f in files if f.template != sshd.template)
