"""TIME-1: is the clock synchronised? Pluggable so tests can drive it."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable

from recorder.legal import TIME_MAX_OFFSET_SECONDS as MAX_OFFSET  # TIME-1: |offset| <= 1 s

SyncCheck = Callable[[], bool]


def chrony_synced() -> bool:
    """True when `chronyc tracking` reports a normal leap status and |offset| <= 1 s."""
    try:
        out = subprocess.run(["chronyc", "-n", "tracking"], capture_output=True, text=True,
                             timeout=5, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    if not re.search(r"^Leap status\s*:\s*Normal", out, re.M):
        return False
    m = re.search(r"^System time\s*:\s*([0-9.]+) seconds", out, re.M)
    return bool(m) and float(m.group(1)) <= MAX_OFFSET if m else False


class Cached:
    """Evaluate a check at most once per `ttl` seconds (chronyc is a subprocess)."""

    def __init__(self, check: SyncCheck, ttl: float = 10.0) -> None:
        self._check, self._ttl = check, ttl
        self._at, self._value = -1e18, False
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            if time.monotonic() - self._at > self._ttl:
                self._value, self._at = self._check(), time.monotonic()
            return self._value


def make(kind: str) -> SyncCheck:
    """Sync check for the config's `[time] sync_check` value."""
    if kind == "always":
        return lambda: True
    if kind == "never":
        return lambda: False
    return Cached(chrony_synced)
