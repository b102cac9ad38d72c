"""What a lab host runs differently from production, and the only such differences drift accepts.

The lab's controller connects as root with the lab key (`beffroi lab up`, Molecule), so its
hosts keep root login by key (never a password); Ansible gets the same value from
lab/inventory/group_vars/all.yml (`common_sshd_permit_root_login`, a test keeps both equal).
A real inventory never sees any of this: drift applies it only to an endpoint marked `lab`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from beffroi.files import RenderedFile

# lab/inventory/group_vars/all.yml adds this administrator (the lab's own key) to every host
LAB_ADMINS = frozenset({"beffroi-lab"})
# template → the variables of the intent's file a lab overrides (merged one level deep)
LAB_TEMPLATE_VARS: dict[str, dict[str, dict[str, Any]]] = {
    "common/sshd_config.j2": {"sshd": {"permit_root_login": "prohibit-password"}},
}


def lab_variant(out: RenderedFile) -> RenderedFile | None:
    """The lab's version of one file of the intent, or None when the lab keeps it as is."""
    override = LAB_TEMPLATE_VARS.get(out.template)
    if override is None:
        return None
    variables = dict(out.variables)
    for key, values in override.items():
        variables[key] = {**variables.get(key, {}), **values}
    return replace(out, variables=variables)
