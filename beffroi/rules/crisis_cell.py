"""Rules on the crisis-cell wall's recipients (crisis-cell.yml `wall`): individual accounts of
lawful recipients only (ACC-1, ACC-3), each allowed cameras that exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from beffroi.findings import Finding
from beffroi.rules.access import GENERIC_IDS, LAWFUL_RECIPIENTS, person_key
from beffroi.rules.registry import inventory_rule, locate

if TYPE_CHECKING:
    from beffroi.inventory import Inventory

WALL = ("wall", "recipients")


@inventory_rule("ACC-3")
def wall_recipients_are_lawful(inv: Inventory) -> Iterator[Finding]:
    """CSI L252-3: only agents of police nationale, gendarmerie, douanes, SDIS and police
    municipale receive images at the crisis cell; each sees cameras that exist."""
    cell, src = inv.crisis_cell, inv.sources.get("crisis-cell")
    if cell is None or cell.wall is None or src is None:
        return
    cameras = {s.slug: {c.name for c in s.cameras} for s in inv.sites.values()}
    for i, r in enumerate(cell.wall.recipients):
        if r.service not in LAWFUL_RECIPIENTS:
            yield locate(src, "ACC-3", (*WALL, i, "service"),
                         f"{r.name} ({r.service}) is not an agent of a lawful recipient: "
                         "the wall serves police nationale, gendarmerie, douanes, SDIS and "
                         "police municipale only (CSI L252-3)",
                         f"use one of {', '.join(sorted(LAWFUL_RECIPIENTS))}, or remove the "
                         "account")
        for j, entry in enumerate(r.cameras):
            slug, sep, cam = entry.partition("/")
            if entry != "*" and (slug not in cameras or (sep and cam not in cameras[slug])):
                yield locate(src, "ACC-3", (*WALL, i, "cameras", j),
                             f"'{entry}' is no commune or camera of this department",
                             "write \"*\", a commune slug (sites/<slug>.yml) or slug/camera")


@inventory_rule("ACC-1")
def wall_accounts_are_individual(inv: Inventory) -> Iterator[Finding]:
    """One account per named person; no generic ids; ids unique."""
    cell, src = inv.crisis_cell, inv.sources.get("crisis-cell")
    if cell is None or cell.wall is None or src is None:
        return
    ids: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, r in enumerate(cell.wall.recipients):
        if r.id in ids:
            yield locate(src, "ACC-1", (*WALL, i, "id"), f"account '{r.id}' declared twice "
                         f"(also recipients[{ids[r.id]}])", "one account per person")
        ids.setdefault(r.id, i)
        if r.id in GENERIC_IDS or r.id.split(".")[0] in GENERIC_IDS or r.id == cell.hostname:
            yield locate(src, "ACC-1", (*WALL, i, "id"), f"'{r.id}' is a generic account, "
                         "not a person", "use the person's own id, e.g. gn-acolin")
        if len(r.name.split()) < 2:
            yield locate(src, "ACC-1", (*WALL, i, "name"), f"'{r.name}' does not name a person",
                         "write the agent's first name and surname")
        key = person_key(r.name)
        if key in names:
            yield locate(src, "ACC-1", (*WALL, i, "name"), f"{r.name} already holds account "
                         f"'{cell.wall.recipients[names[key]].id}'", "one account per person")
        names.setdefault(key, i)
