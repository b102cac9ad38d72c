"""Delivers the spool: per route, within its hours, `rate_per_minute` messages a minute on
average with bursts of BURST (a token bucket); a backlog goes as one grouped message of up to
`group_max` events;
a failed send is retried with capped exponential backoff, the files staying on disk so nothing
is lost across a restart. Every delivery and every failure is journaled (JRN-1)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import CollectorRegistry, Counter, Gauge

from recorder.config import Config
from recorder.events import channels
from recorder.events.checks import DAYS
from recorder.events.kinds import KINDS
from recorder.events.router import spool_dir
from recorder.events.spool import Delivery, Spool
from recorder.ledger import Ledger
from recorder.schema import EventRoute

log = logging.getLogger("recorder.events")
IDLE = 0.5  # seconds between spool scans when nothing wakes us (files from other processes)
BURST = 3   # messages a route may send at once before the rate applies; a backlog then groups


def burst(route: EventRoute) -> float:
    """Token bucket size of a route."""
    return float(min(BURST, route.rate_per_minute))


def in_hours(route: EventRoute, at: float, tz: str) -> bool:
    """True when the route's partner takes messages now (no days listed: 24/7)."""
    if not route.days:
        return True
    local = datetime.fromtimestamp(at, zoneinfo.ZoneInfo(tz))
    hhmm = local.strftime("%H:%M")
    if route.start <= route.end:
        inside = route.start <= hhmm < route.end
    else:  # a night window (22:00 → 06:00) runs across midnight
        inside = hhmm >= route.start or hhmm < route.end
    return DAYS[local.weekday()] in route.days and inside


@dataclass
class _RouteState:
    tokens: float
    refilled: float
    failures: int = 0
    next_try: float = 0.0
    sent_messages: int = 0
    sent_events: int = 0
    latencies: list[float] = field(default_factory=list)


class Dispatcher(threading.Thread):
    """The delivery loop of the running service."""

    def __init__(self, conf: Config, journal: Ledger, key: Ed25519PrivateKey,
                 spool: Spool | None = None) -> None:
        super().__init__(name="events", daemon=True)
        self.conf = conf
        self.journal = journal
        self.key = key
        self.spool = spool or spool_dir(conf)
        self.hostname = socket.gethostname()
        self._wake = threading.Event()
        self._halt = threading.Event()
        self.mqtt = channels.MqttSender()
        self.delivered: Counter | None = None
        now = time.monotonic()
        self.routes = {r.id: r for r in conf.events.routes}
        self.state = {r.id: _RouteState(burst(r), now) for r in
                      conf.events.routes}
        for rid, st in self.state.items():  # resume the backoff of a route that was failing
            pending = self.spool.pending(rid)
            st.failures = max((d.attempts for d in pending), default=0)

    def register_metrics(self, registry: CollectorRegistry) -> None:
        """Expose the spool and the deliveries at /metrics (department monitoring)."""
        pending = Gauge("recorder_events_pending", "Event deliveries waiting in the spool",
                        registry=registry)
        pending.set_function(lambda: float(self.spool.count()))
        self.delivered = Counter("recorder_event_deliveries_total", "Event messages sent or "
                                 "failed, per route", ["route", "result"], registry=registry)

    def wake(self) -> None:
        """A new file is in the spool."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current send and stop (the spool keeps the rest)."""
        self._halt.set()
        self._wake.set()

    def run(self) -> None:
        while not self._halt.is_set():
            self._wake.clear()
            wait = IDLE
            for route in self.routes.values():
                try:
                    wait = min(wait, self.once(route))
                except Exception:
                    log.exception("event delivery loop failed; will retry",
                                  extra={"route": route.id})
            self._wake.wait(max(wait, 0.01))
        self.mqtt.close()

    def once(self, route: EventRoute) -> float:
        """Send what is due on one route; seconds until it may need another look."""
        now, mono = time.time(), time.monotonic()
        st = self.state[route.id]
        if mono < st.next_try:
            return st.next_try - mono
        if not in_hours(route, now, self.conf.events.timezone):
            return 30.0  # outside the partner's hours: the spool keeps them for the morning
        rate = route.rate_per_minute / 60.0
        st.tokens = min(burst(route), st.tokens + (mono - st.refilled) * rate)
        st.refilled = mono
        if st.tokens < 1:  # before reading the spool: a long backlog is not re-read for nothing
            return (1 - st.tokens) / rate
        # one more than a group: enough to know whether a backlog remains
        due = [d for d in self.spool.pending(route.id, route.group_max + 1) if d.next_at <= now]
        if not due:
            return IDLE
        batch = due[:route.group_max] if len(due) > 1 else due[:1]
        st.tokens -= 1
        self._send(route, st, batch)
        return 0.0 if len(due) > len(batch) else IDLE

    def _links(self, route: EventRoute, batch: list[Delivery]) -> dict[str, str]:
        base = self.conf.events.live_link_base.rstrip("/")
        if not route.live_link or not base:
            return {}
        return {d.event.id: f"{base}/{self.conf.site}/{d.event.source.camera}" for d in batch
                if d.event.source.camera and KINDS[d.event.kind].scene}

    def _send(self, route: EventRoute, st: _RouteState, batch: list[Delivery]) -> None:
        events = [d.event for d in batch]
        links = self._links(route, batch)
        data = channels.payload(route, self.conf.site, events, links)
        kind = route.channel.type
        started = time.time()
        try:
            if kind == "webhook":
                channels.send_webhook(route, data, self.key)
            elif kind == "email":
                channels.send_email(route, data, self.conf.site, events)
            elif kind == "syslog":
                channels.send_syslog(route, events, links, self.hostname)
            else:
                self.mqtt.send(route, data, self.conf.site, events)
        except channels.DeliveryError as exc:
            self._failed(route, st, batch, str(exc))
            return
        done = time.time()
        latencies = [round(done - d.queued_at, 3) for d in batch]
        self.journal.append("event_delivered", {
            "user": "system", "route": route.id, "partner": route.partner, "channel": kind,
            "events": [e.id for e in events], "count": len(events), "grouped": len(events) > 1,
            "attempts": max(d.attempts for d in batch) + 1, "live_links": sorted(links),
            "send_seconds": round(done - started, 3), "max_latency_seconds": max(latencies)})
        for d in batch:
            self.spool.done(d)
        st.failures, st.next_try = 0, 0.0
        if self.delivered is not None:
            self.delivered.labels(route.id, "sent").inc()
        st.sent_messages += 1
        st.sent_events += len(batch)
        st.latencies.extend(latencies)

    def _failed(self, route: EventRoute, st: _RouteState, batch: list[Delivery],
                error: str) -> None:
        ev = self.conf.events
        st.failures += 1
        if self.delivered is not None:
            self.delivered.labels(route.id, "failed").inc()
        delay = min(ev.retry_max_seconds, ev.retry_initial_seconds * 2 ** (st.failures - 1))
        st.next_try = time.monotonic() + delay
        for d in batch:
            d.attempts += 1
            d.last_error = error[:300]
            d.next_at = time.time() + delay
            with contextlib.suppress(FileNotFoundError):
                d.save()
        self.journal.append("event_delivery_failed", {
            "user": "system", "route": route.id, "partner": route.partner,
            "channel": route.channel.type, "events": [d.event.id for d in batch],
            "attempt": st.failures, "error": error[:300], "retry_in_seconds": round(delay, 3)})
        log.warning("event delivery failed; will retry", extra={
            "route": route.id, "error": error, "retry_in_s": delay})
