"""Findings: what validation reports to an engineer (file, line, field, rule, citation, hint)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """Errors block deploy and dossiers; warnings are policy advice (labelled as such)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in an inventory, located as precisely as the source allows."""

    file: str
    line: int
    rule: str
    path: str
    message: str
    severity: Severity = Severity.ERROR
    citation: str = ""
    hint: str = field(default="", compare=False)

    def as_json(self) -> dict[str, object]:
        """The fixed JSON shape of DESIGN.md (plus `hint`)."""
        data = asdict(self)
        data["severity"] = str(self.severity)
        return {k: data[k] for k in
                ("severity", "rule", "file", "line", "path", "message", "citation", "hint")}


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error (exit code 1 of `beffroi validate`)."""
    return any(f.severity is Severity.ERROR for f in findings)


def to_json(findings: Iterable[Finding]) -> str:
    """Findings as the JSON list `beffroi validate --format json` prints."""
    return json.dumps([f.as_json() for f in findings], ensure_ascii=False, indent=2)


class BeffroiError(Exception):
    """A user-facing failure carrying findings; the CLI prints them, never a traceback."""

    exit_code = 1  # the CLI's exit status for this failure (2: usage or setup error)

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class UsageError(BeffroiError):
    """A setup or usage problem (missing password file, bad path): the CLI exits 2."""

    exit_code = 2
