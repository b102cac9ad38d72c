"""An operator's incident (camera, type, comment) and acknowledgements: the functions the CLI
calls today and the console can call later. Both are journaled (JRN-1); the incident is routed
like any event — to the partners whose mission its type serves (CSI L251-2), with a live link
only for lawful recipients (ACC-3)."""

from __future__ import annotations

from typing import Any

from recorder.events import event as ev
from recorder.events.router import Emitter
from recorder.state import State


class IncidentError(ValueError):
    """The incident or acknowledgement cannot be recorded (unknown camera, event…)."""


def raise_incident(state: State, camera: str, incident_type: str, comment: str, by: str,
                   emitter: Emitter | None = None) -> tuple[ev.Event, list[str]]:
    """Record an incident raised by `by` on `camera`; returns it and the routes it went to."""
    conf = state.config
    try:
        cam = conf.camera(camera)
    except KeyError:
        known = ", ".join(c.id for c in conf.cameras)
        raise IncidentError(f"--camera: unknown camera {camera!r} (known: {known})") from None
    if conf.user(by) is None:
        raise IncidentError(f"--by: {by!r} is not an account of this recorder (ACC-1: an "
                            "incident is raised by a named person)")
    try:
        event = ev.make("incident", conf.site, f"incident signalé : {incident_type}",
                        producer="operator", camera=cam.id, location=cam.location,
                        incident_type=incident_type, comment=comment, raised_by=by)
    except ev.EventError as exc:
        raise IncidentError(str(exc)) from None
    routes = (emitter or Emitter(conf, state.journal)).emit(event)
    return event, routes


def _raised(state: State, event_id: str) -> dict[str, Any] | None:
    for entry in state.journal.entries():
        if entry["kind"] == "event_raised" and entry["data"].get("event") == event_id:
            return dict(entry["data"])
    return None


def acknowledge(state: State, event_id: str, by: str, note: str = "") -> dict[str, Any]:
    """Journal that `by` took charge of an event (once per person and event)."""
    if state.config.user(by) is None:
        raise IncidentError(f"--by: {by!r} is not an account of this recorder (ACC-1)")
    if _raised(state, event_id) is None:
        raise IncidentError(f"no event {event_id!r} in the journal")
    for entry in state.journal.entries():
        d = entry["data"]
        if entry["kind"] == "event_acknowledged" and d.get("event") == event_id \
                and d.get("user") == by:
            raise IncidentError(f"{by} already acknowledged {event_id} ({entry['ts']})")
    data: dict[str, Any] = {"user": by, "event": event_id}
    if note:
        try:
            data["note"] = ev.clean_text(note, "--note")
        except ev.EventError as exc:
            raise IncidentError(str(exc)) from None
    return state.journal.append("event_acknowledged", data)


def history(state: State, limit: int = 50) -> list[dict[str, Any]]:
    """The latest events with their deliveries and acknowledgements, from the journal."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in state.journal.entries():
        d, kind = entry["data"], entry["kind"]
        if kind == "event_raised":
            rows[d["event"]] = {"event": d["event"], "ts": entry["ts"], "kind": d["kind"],
                                "camera": d.get("camera"), "active": d.get("active"),
                                "routes": d.get("routes", []), "delivered": [],
                                "acknowledged_by": []}
        elif kind == "event_delivered":
            for eid in d.get("events", []):
                if eid in rows:
                    rows[eid]["delivered"].append(d["route"])
        elif kind == "event_acknowledged" and d.get("event") in rows:
            rows[d["event"]]["acknowledged_by"].append(d["user"])
    return list(rows.values())[-limit:]
