"""The commune's alert routes as its recorder runs them: the [events] table of recorder.toml
and the firewall flows they need — derived once from the inventory (beffroi/model/alerts.py),
after validation (beffroi/rules/alerts.py) has refused what the law does not allow."""

from __future__ import annotations

from typing import Any

from beffroi.model import CrisisCell, Department, Site
from beffroi.model.alerts import Hours, Route
from recorder.events.kinds import (
    INCIDENT_TYPES,
    LIVE_LINK_KINDS,
    SCENE_KINDS,
    lawful_incident_types,
)


def site_routes(site: Site, dept: Department) -> list[Route]:
    """Department routes serving this commune (minus its opt-outs), then its own routes."""
    skip = set(site.alerts.opt_out)
    return [r for r in dept.alerts.routes if r.serves(site.slug) and r.id not in skip] + list(
        site.alerts.routes)


def _channel(route: Route) -> dict[str, Any]:
    ch = route.channel
    if ch.type == "webhook":
        return {"type": "webhook", "url": ch.url}
    host, port = ch.endpoint()
    out: dict[str, Any] = {"type": ch.type, "host": host, "port": port, "tls": ch.tls}
    if ch.type == "email":
        out.update(to=list(ch.to), sender=ch.sender)
    if ch.type == "mqtt":
        out["topic"] = ch.topic
    return out


def _live_link(route: Route, site: Site) -> bool:
    """ACC-3, decided again here: only a lawful recipient the arrêté lists."""
    if not route.live_link or route.kind not in LIVE_LINK_KINDS:
        return False
    listed = {r.service for r in site.authorization.recipients}
    return route.kind in ("commune", "crisis_cell") or route.service in listed


def rendered_route(route: Route, site: Site) -> dict[str, Any] | None:
    """One [[events.routes]] entry, or None when nothing of it is lawful for this commune."""
    purposes = frozenset(p.code for p in site.authorization.purposes)
    asked = route.incident_types if route.incident_types is not None else list(INCIDENT_TYPES)
    lawful = lawful_incident_types(route.kind, purposes)
    types = [t for t in asked if t in lawful]  # CSI L251-2: the commune's purposes decide
    kinds = [k for k in route.events if k not in SCENE_KINDS or types]
    if not kinds:
        return None
    out: dict[str, Any] = {"id": route.id, "partner": route.partner, "partner_kind": route.kind,
                           "kinds": kinds, "incident_types": types if "incident" in kinds
                           else [], "live_link": _live_link(route, site),
                           "rate_per_minute": route.rate_per_minute,
                           "dedup_seconds": float(route.dedup_seconds),
                           "group_max": route.group_max, "channel": _channel(route)}
    if isinstance(route.hours, Hours):
        out.update(days=list(route.hours.days), start=route.hours.start, end=route.hours.end)
    return out


def recorder_events(site: Site, dept: Department, cell: CrisisCell) -> dict[str, Any]:
    """The [events] table of the commune's recorder.toml."""
    alerts = dept.alerts
    routes = [r for r in (rendered_route(x, site) for x in site_routes(site, dept)) if r]
    out: dict[str, Any] = {"timezone": dept.department.timezone, "routes": routes}
    if alerts.live_link_base:
        out["live_link_base"] = alerts.live_link_base
    if alerts.tunnel_probe_port:
        out["tunnel_probe"] = f"{cell.vpn_address}:{alerts.tunnel_probe_port}"
    return out


def alert_endpoints(site: Site, dept: Department) -> list[tuple[str, tuple[int, ...]]]:
    """(host, ports) the rendered routes reach: the firewall lets the NVR reach exactly those."""
    seen: dict[str, dict[int, None]] = {}
    for route in site_routes(site, dept):
        if rendered_route(route, site) is not None:
            host, port = route.endpoint()
            seen.setdefault(host, {})[port] = None
    return [(host, tuple(sorted(ports))) for host, ports in seen.items()]


def onvif_sources(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """[[events.onvif]]: cameras declaring image analytics (CAM-6 allowlist) are pulled for
    their ONVIF events with their vaulted account."""
    out = []
    for declared, cam in zip(ctx["site"]["cameras"], ctx["cameras"], strict=True):
        if declared["analytics"]:
            out.append({"camera": cam["name"], "host": cam["ip"], "port": cam["onvif_port"],
                        "username": cam["account"]["username"],
                        "password": cam["account"]["password"],
                        "analytics": list(declared["analytics"])})
    return out
