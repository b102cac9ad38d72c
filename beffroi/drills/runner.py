"""The drill runner: a registry of drills (loopback ones on real local parts, lab ones against
`beffroi lab` hosts), each returning a report of actions, checks and recovery times."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    """One verified fact."""

    what: str
    ok: bool
    detail: str = ""


@dataclass
class DrillReport:
    """What a drill did, checked and measured."""

    name: str
    level: str  # loopback | lab
    did: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    recovery: dict[str, float] = field(default_factory=dict)  # label → seconds
    seconds: float = 0.0
    error: str = ""

    @property
    def passed(self) -> bool:
        """Every check held and nothing broke."""
        return not self.error and bool(self.checks) and all(c.ok for c in self.checks)

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        """Record a check; returns ok."""
        self.checks.append(Check(what, bool(ok), detail))
        return bool(ok)

    def to_json(self) -> dict[str, Any]:
        """The --format json shape."""
        return {**asdict(self), "passed": self.passed}


DrillFn = Callable[[DrillReport], None]


@dataclass(frozen=True)
class Drill:
    """A registered drill."""

    name: str
    level: str
    summary: str
    fn: DrillFn


REGISTRY: dict[str, Drill] = {}


def drill(name: str, level: str, summary: str) -> Callable[[DrillFn], DrillFn]:
    """Register a drill function (it fills the report it is given)."""
    def wrap(fn: DrillFn) -> DrillFn:
        REGISTRY[name] = Drill(name, level, summary, fn)
        return fn
    return wrap


def run(name: str) -> DrillReport:
    """Run one drill; an exception is reported, never raised."""
    d = REGISTRY[name]
    report = DrillReport(d.name, d.level)
    start = time.monotonic()
    try:
        d.fn(report)
    except Exception as exc:  # a drill that breaks is a failed drill, with its reason
        report.error = f"{type(exc).__name__}: {exc}"
    report.seconds = round(time.monotonic() - start, 1)
    return report
