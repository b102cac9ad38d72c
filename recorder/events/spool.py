"""Crash-safe spool of deliveries: one JSON file per (route, event), written to a temporary
name, fsync'd, renamed into place and the directory fsync'd — so a delivery that `emit()`
returned for survives a kill -9 or a power cut, and the dispatcher of the next run sends it.

A file is removed only after its delivery was journaled (at-least-once: a crash between the
two resends it; receivers deduplicate on the event id). Any process with the config (the
service, `recorder incident`, `recorder verify`) may add files; the service's dispatcher sends.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder.events.event import Event, as_dict, decode


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to `path` durably (tmp + fsync + rename + directory fsync)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass
class Delivery:
    """One event waiting to reach one route."""

    path: Path
    route: str
    event: Event
    attempts: int
    next_at: float
    queued_at: float
    last_error: str = ""

    def save(self) -> None:
        """Persist the retry state."""
        write_atomic(self.path, {"route": self.route, "event": as_dict(self.event),
                                 "attempts": self.attempts, "next_at": self.next_at,
                                 "queued_at": self.queued_at, "last_error": self.last_error})


class Spool:
    """The spool directory of one recorder (state_dir/events/spool/ROUTE/)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, route: str, event: Event, at: float | None = None) -> Delivery:
        """Queue `event` for `route`, durably, before returning."""
        folder = self.root / route
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time() if at is None else at
        name = f"{time.time_ns():020d}-{event.id}.json"
        d = Delivery(folder / name, route, event, 0, now, now)
        d.save()
        return d

    def pending(self, route: str, limit: int | None = None) -> list[Delivery]:
        """Queued deliveries of a route, oldest first, at most `limit` (a torn temporary file
        is ignored; only the files returned are read)."""
        folder = self.root / route
        if not folder.is_dir():
            return []
        out = []
        for path in sorted(folder.glob("*.json"))[:limit]:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                event = decode(json.dumps(raw["event"]))
            except (OSError, ValueError, KeyError):
                continue  # removed meanwhile, or not ours
            out.append(Delivery(path, route, event, int(raw.get("attempts", 0)),
                                float(raw.get("next_at", 0)), float(raw.get("queued_at", 0)),
                                str(raw.get("last_error", ""))))
        return out

    def routes(self) -> list[str]:
        """Routes with a spool folder."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def done(self, delivery: Delivery) -> None:
        """Remove a delivered file (after its journal entry)."""
        try:
            delivery.path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(delivery.path.parent)

    def count(self) -> int:
        """Deliveries waiting, all routes."""
        return sum(len(list((self.root / r).glob("*.json"))) for r in self.routes())
