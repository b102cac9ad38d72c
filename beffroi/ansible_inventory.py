"""The Ansible view of an inventory: groups, hosts and host variables derived from the model.

No host list is written by hand: `plugins/inventory/beffroi.py` calls `build()` and hands the
result to Ansible. Every host of a commune carries the commune's intent as the `beffroi` variable,
the context the renderer uses, so roles render the very same templates, and each host its files
as `beffroi_files` (`beffroi/files.py`: where each lands, owner, mode, check, rule id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beffroi import vault
from beffroi.files import files_of, hub_files, monitoring_files
from beffroi.findings import BeffroiError, Severity
from beffroi.intent import Reveal, crisis_cell_intent, site_intent
from beffroi.inventory import KNOWN_HOSTS_FILE, Inventory, load_inventory
from beffroi.validate import check_inventory

KINDS = ("firewall", "nvr", "switch", "camera", "workstation")
CRISIS_GROUP = "crisis_cell"
MONITORING_GROUP = "monitoring"


@dataclass
class AnsibleInventory:
    """Groups (with children) and hosts (with variables)."""

    groups: dict[str, list[str]] = field(default_factory=dict)   # group → hosts
    children: dict[str, list[str]] = field(default_factory=dict)  # group → child groups
    hostvars: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)


def group_name(slug: str) -> str:
    """`roussy-le-village` → `commune_roussy_le_village` (Ansible group names have no dash)."""
    return "commune_" + slug.replace("-", "_")


def _add(inv: AnsibleInventory, group: str, host: str, hostvars: dict[str, Any]) -> None:
    inv.groups.setdefault(group, []).append(host)
    inv.hostvars.setdefault(host, {}).update(hostvars)


def ssh_host_keys(root: Path) -> str:
    """SSH arguments that check every host key against the department's known_hosts.

    A group variable (not a host one): the lab's host_vars and Molecule's per-host connection
    settings, which name their own throwaway keys, take precedence over it.
    """
    return f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={root.resolve() / KNOWN_HOSTS_FILE}"


def build(path: Path, reveal_secrets: Reveal = False) -> AnsibleInventory:
    """Build the Ansible inventory of a department, or BeffroiError naming every file with an
    error: never a partial inventory (a commune left out would silently not be deployed)."""
    model = load_inventory(path)
    errors = [f for f in check_inventory(model) if f.severity is Severity.ERROR]
    if errors:
        files = sorted({f.file for f in errors})
        raise BeffroiError(f"{len(errors)} validation error(s) in {', '.join(files)}: no "
                           f"inventory is built until they are fixed (beffroi validate "
                           f"{model.root})", errors)
    out = AnsibleInventory()
    reveal_secrets = _decrypt_once(reveal_secrets)  # the hub reads the communes' vaults again
    host_keys = {"ansible_ssh_common_args": ssh_host_keys(model.root)}
    for slug in sorted(model.sites):
        _add_site(out, model, slug, reveal_secrets, host_keys)
    if model.crisis_cell is not None and model.department is not None:
        hub = crisis_cell_intent(model, reveal_secrets)
        _add(out, CRISIS_GROUP, model.crisis_cell.hostname, {
            "ansible_host": str(model.crisis_cell.wan_address.ip),
            "beffroi_kind": CRISIS_GROUP, "beffroi_hub": hub,
            "beffroi_files": [f.ansible() for f in hub_files(hub)],
            "beffroi_ntp_servers": model.department.time.ntp_servers,
            "beffroi_admin_users": [a.model_dump(mode="json")
                                    for a in model.department.defaults.admins]})
        out.group_vars[CRISIS_GROUP] = dict(host_keys)
    if model.department is not None and model.department.monitoring is not None:
        _add_monitoring(out, model, reveal_secrets, host_keys)
    return out


def _add_monitoring(out: AnsibleInventory, model: Inventory, reveal: Reveal,
                    host_keys: dict[str, str]) -> None:
    """The department's monitoring host, with its intent and files (role monitoring)."""
    from beffroi.monitoring import monitoring_intent

    assert model.department is not None and model.department.monitoring is not None
    mon_model = model.department.monitoring
    mon = monitoring_intent(model, reveal)
    _add(out, MONITORING_GROUP, mon_model.hostname, {
        "ansible_host": str(mon_model.wan_address.ip), "beffroi_kind": MONITORING_GROUP,
        "beffroi_monitoring": mon,
        "beffroi_files": [f.ansible() for f in monitoring_files(mon)],
        "beffroi_ntp_servers": model.department.time.ntp_servers,
        "beffroi_admin_users": [a.model_dump(mode="json")
                                for a in model.department.defaults.admins]})
    out.group_vars[MONITORING_GROUP] = dict(host_keys)


def _decrypt_once(reveal: Reveal) -> Reveal:
    """A reader that decrypts each vault file once per build (ansible-vault's key derivation
    costs ~70 ms a file), or `reveal` unchanged when nothing is decrypted."""
    if not reveal:
        return reveal
    read = reveal if callable(reveal) else vault.read_vault
    cache: dict[Path, dict[str, Any]] = {}

    def once(path: Path) -> dict[str, Any]:
        if path not in cache:
            cache[path] = read(path)
        return cache[path]
    return once


def _add_site(out: AnsibleInventory, model: Inventory, slug: str, reveal: Reveal,
              host_keys: dict[str, str]) -> None:
    site = model.sites[slug]
    intent = site_intent(model, slug, reveal)
    ctx = intent.context()
    group = group_name(slug)
    out.children.setdefault("communes", []).append(group)
    assert model.department is not None
    admins = [a.model_dump(mode="json") for a in model.department.defaults.admins]
    out.group_vars[group] = {"beffroi": ctx, "beffroi_site": slug,
                             "beffroi_admin_users": admins, **host_keys}
    common = {"beffroi_site": slug}
    _add(out, "firewall", site.firewall.hostname,
         {**common, "ansible_host": str(site.firewall.management_ip), "beffroi_kind": "firewall"})
    _add(out, "nvr", site.nvr.hostname,
         {**common, "ansible_host": str(site.nvr.ip), "beffroi_kind": "nvr"})
    _add(out, "switch", site.switch.hostname,
         {**common, "ansible_host": str(site.switch.ip), "beffroi_kind": "switch",
          "ansible_network_os": site.switch.platform, "ansible_connection": "local"})
    for cam in site.cameras:
        _add(out, "camera", f"{slug}-{cam.name}",
             {**common, "ansible_host": str(cam.ip), "beffroi_kind": "camera",
              "beffroi_camera": cam.name, "ansible_connection": "local"})
    # the operator workstation (issue 14 §4): a kiosk on the management VLAN
    _add(out, "workstation", site.workstation.hostname,
         {**common, "ansible_host": str(site.workstation.ip), "beffroi_kind": "workstation"})
    for host in (site.firewall.hostname, site.nvr.hostname, site.switch.hostname,
                 site.workstation.hostname, *(f"{slug}-{c.name}" for c in site.cameras)):
        out.groups.setdefault(group, []).append(host)
        # the files the host's roles install: destinations, owners, modes, checks, rule ids
        out.hostvars[host]["beffroi_files"] = [f.ansible() for f in files_of(intent.files, host)]
