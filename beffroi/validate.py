"""Validation: load an inventory, run every rule, return sorted findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from beffroi.findings import Finding
from beffroi.inventory import (
    Inventory,
    display_path,
    find_root,
    load_inventory,
    resolved,
    today,
)
from beffroi.rules import INVENTORY_RULES, SITE_RULES, SiteCheck


def check_inventory(inv: Inventory, when: date | None = None) -> list[Finding]:
    """All findings of an already loaded inventory (load findings included).

    Computed once per inventory and date: rendering 725 communes reuses one validation.
    """
    day = when or today()
    cached = inv.checked.get(day)
    if cached is not None:
        return cached
    found = list(inv.findings)
    if inv.department is None:
        inv.checked[day] = sorted(set(found))
        return inv.checked[day]
    for site, source in inv.entries:
        check = SiteCheck(site, inv.department, inv.crisis_cell, source, day,
                          inv.sources.get("department"))
        for _rule_id, rule in SITE_RULES:
            found.extend(rule(check))
    for _rule_id, inv_rule in INVENTORY_RULES:
        found.extend(inv_rule(inv))
    inv.checked[day] = sorted(set(found))
    return inv.checked[day]


def validate_path(path: Path, when: date | None = None) -> tuple[Inventory, list[Finding]]:
    """Validate an inventory directory or one site file (with its department around it)."""
    inv = load_inventory(path)
    findings = check_inventory(inv, when)
    _root, only = find_root(path)
    if only is not None:
        keep = {inv.sources[k].file for k in ("department", "crisis-cell") if k in inv.sources}
        target = resolved(only)
        findings = [f for f in findings
                    if f.file in keep or resolved(Path(f.file)) == target]
    return inv, findings


def _by_file(inv: Inventory, when: date | None) -> dict[str, list[Finding]]:
    day = when or today()
    if day not in inv.checked_by_file:
        grouped: dict[str, list[Finding]] = {}
        for finding in check_inventory(inv, day):
            grouped.setdefault(finding.file, []).append(finding)
        inv.checked_by_file[day] = grouped
    return inv.checked_by_file[day]


def site_findings(inv: Inventory, slug: str, when: date | None = None) -> list[Finding]:
    """Findings that concern one site (its file plus department-level files)."""
    by_file = _by_file(inv, when)
    files = {inv.sources[k].file for k in ("department", "crisis-cell") if k in inv.sources}
    own = inv.sources.get(slug)
    files.add(own.file if own is not None else str(inv.site_file(slug)))
    files.add(display_path(inv.vault_file(slug)))  # ENG-VAULT: its secrets file
    # A site file whose slug is broken is still the site's own file: match it by name too.
    files |= {name for name in by_file if Path(name).stem == slug}
    return sorted(f for name in files for f in by_file.get(name, []))
