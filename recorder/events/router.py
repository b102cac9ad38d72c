"""Which route gets an event: its kinds, the incident types lawful for the partner (CSI L251-2,
decided by the control plane and checked again by check-config), and deduplication. Every
event is journaled as it is raised; each matching route gets a spool file (recorder/events/
spool.py) that the dispatcher delivers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from recorder.config import Config
from recorder.events.event import Event
from recorder.events.spool import Spool
from recorder.ledger import Ledger
from recorder.schema import EventRoute

log = logging.getLogger("recorder.events")


def spool_dir(conf: Config) -> Spool:
    """The spool of this recorder (in state_dir: apart from the video, JRN-2)."""
    return Spool(conf.state_dir / "events" / "spool")


def matches(route: EventRoute, event: Event) -> bool:
    """True when the route takes this event."""
    if event.kind not in route.kinds:
        return False
    if event.kind == "incident":
        return event.data.incident_type in route.incident_types  # L251-2, per partner
    return True


class Emitter:
    """Raises events: journal, route, deduplicate, spool; then wakes the dispatcher."""

    def __init__(self, conf: Config, journal: Ledger, wake: Callable[[], None] | None = None,
                 spool: Spool | None = None) -> None:
        self.conf = conf
        self.journal = journal
        self.spool = spool or spool_dir(conf)
        self.wake = wake
        self.deduplicated = 0
        self._seen: dict[tuple[str, str, str, bool], float] = {}
        self._lock = threading.Lock()

    def _duplicate(self, route: EventRoute, event: Event, now: float) -> bool:
        if event.kind == "incident" or route.dedup_seconds <= 0:
            return False  # each incident is a person's act: never folded into another
        key = (route.id, event.kind, event.source.camera or "", event.data.active)
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last < route.dedup_seconds:
                self.deduplicated += 1
                return True
            self._seen[key] = now
            return False

    def emit(self, event: Event) -> list[str]:
        """Journal the event and queue it for every route that takes it; the route ids."""
        now = time.time()
        routes = [r for r in self.conf.events.routes
                  if matches(r, event) and not self._duplicate(r, event, now)]
        self.journal.append("event_raised", {
            "user": event.data.raised_by or "system", "event": event.id, "kind": event.kind,
            "camera": event.source.camera, "active": event.data.active,
            "incident_type": event.data.incident_type, "routes": [r.id for r in routes]})
        for route in routes:
            self.spool.add(route.id, event, now)
        log.info("event", extra={"event": event.id, "kind": event.kind,
                                 "camera": event.source.camera, "routes": [r.id for r in routes]})
        if self.wake is not None:
            self.wake()
        return [r.id for r in routes]
