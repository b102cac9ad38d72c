"""UTC time helpers: every instant the recorder stores is a UTC POSIX timestamp (float seconds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]


def now() -> float:
    """Current wall-clock time as a UTC POSIX timestamp."""
    return time.time()


def iso(ts: float) -> str:
    """Format a timestamp as ISO 8601 UTC with milliseconds, e.g. 2026-11-28T13:00:00.000Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 instant; a value without offset is taken as UTC.

    Raises ValueError with the offending text.
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date/time: {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def compact(ts: float) -> str:
    """Compact UTC stamp used in file names, e.g. 20261128T130000Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_compact(text: str) -> float:
    """Inverse of compact()."""
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
