"""One device's drift verdict, and the exit code of a whole audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How a device compares with its intent."""

    OK = "ok"                     # everything checkable matches the intent
    DRIFTED = "drifted"           # live state differs from the intent
    UNREACHABLE = "unreachable"   # the device did not answer; nothing could be compared
    SKIPPED = "skipped"           # not in the endpoints file given (not part of this lab)


EXIT_CLEAN, EXIT_DRIFT, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


@dataclass
class DeviceDrift:
    """The verdict on one device."""

    site: str
    device: str
    kind: str                                    # switch | camera | nvr | firewall
    status: Status
    detail: str = ""                             # one line for the table
    diff: str = ""                               # unified diff, live (-) vs intended (+)
    rules: list[str] = field(default_factory=list)          # compliance ids at stake
    unverifiable: list[str] = field(default_factory=list)   # intent the device cannot show
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (status as its string value)."""
        data = asdict(self)
        data["status"] = self.status.value
        return data


def exit_code(results: Sequence[DeviceDrift]) -> int:
    """1 if anything drifted; else 3 if a device could not be audited; else 0."""
    statuses = {r.status for r in results}
    if Status.DRIFTED in statuses:
        return EXIT_DRIFT
    if Status.UNREACHABLE in statuses:
        return EXIT_UNREACHABLE
    return EXIT_CLEAN
