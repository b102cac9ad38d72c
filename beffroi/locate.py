"""A finding at a key path of a YAML source, with its rule's citation.

Its own module (not `rules/registry.py`) so checks that run while the inventory loads, such as
ENG-SECRET, can use it without importing the rule registry, which refers back to Inventory.
"""

from __future__ import annotations

from beffroi.compliance import RULES, citation
from beffroi.findings import Finding, Severity
from beffroi.yamlsource import Path_, Source, dotted


def locate(source: Source, rule: str, path: Path_, message: str, hint: str = "",
           severity: Severity = Severity.ERROR) -> Finding:
    """A finding of `rule` at `path` in `source`, with the rule's citation."""
    assert rule in RULES, rule
    return Finding(source.file, source.line_of(path), rule, dotted(path), message,
                   severity, citation(rule), hint)
