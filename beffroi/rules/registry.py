"""How rules are declared: small named functions, each tied to one rule id of compliance.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from beffroi.compliance import RULES
from beffroi.findings import Finding, Severity
from beffroi.locate import locate as locate  # re-exported: the rule modules import it from here
from beffroi.model import CrisisCell, Department, Site
from beffroi.yamlsource import Path_, Source

if TYPE_CHECKING:
    from beffroi.inventory import Inventory


@dataclass(frozen=True)
class SiteCheck:
    """What a per-site rule sees: the site, its department, and where its fields are."""

    site: Site
    department: Department
    crisis_cell: CrisisCell | None
    source: Source
    today: date
    department_source: Source | None = None  # where department defaults are written

    def finding(self, rule: str, path: Path_, message: str, hint: str = "",
                severity: Severity = Severity.ERROR) -> Finding:
        """A finding of `rule` located at `path` in this site file."""
        return locate(self.source, rule, path, message, hint, severity)

    def ntp_servers(self) -> list[str]:
        """The site's NTP sources (its override or the department's)."""
        return self.site.ntp_sources(self.department.time.ntp_servers)


SiteRule = Callable[[SiteCheck], Iterable[Finding]]
InventoryRule = Callable[["Inventory"], Iterable[Finding]]
SITE_RULES: list[tuple[str, SiteRule]] = []
INVENTORY_RULES: list[tuple[str, InventoryRule]] = []


def site_rule(rule_id: str) -> Callable[[SiteRule], SiteRule]:
    """Register a per-site rule under `rule_id`."""
    assert rule_id in RULES, rule_id

    def register(fn: SiteRule) -> SiteRule:
        SITE_RULES.append((rule_id, fn))
        return fn
    return register


def inventory_rule(rule_id: str) -> Callable[[InventoryRule], InventoryRule]:
    """Register a department-wide rule (uniqueness, overlaps) under `rule_id`."""
    assert rule_id in RULES, rule_id

    def register(fn: InventoryRule) -> InventoryRule:
        INVENTORY_RULES.append((rule_id, fn))
        return fn
    return register
