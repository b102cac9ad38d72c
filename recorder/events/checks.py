"""`recorder check-config` rules on the [events] table: the runtime's own wall behind the
control plane's validation (beffroi/rules/alerts.py) — a hand-edited file cannot open a live
link to a non-lawful recipient (ACC-3), send scene events outside the purposes (L251-2), or
send alerts in clear across a network (NET-2)."""

from __future__ import annotations

import re
import zoneinfo
from urllib.parse import urlsplit

from recorder.events.kinds import (
    CHANNELS,
    INCIDENT_PURPOSES,
    INCIDENT_TYPES,
    KINDS,
    LIVE_LINK_KINDS,
    PARTNER_KINDS,
    PARTNER_PURPOSES,
    SCENE_KINDS,
)
from recorder.events.onvif import TOPICS
from recorder.schema import EventRoute, EventsTable

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z|^24:00\Z")
_LOOPBACK = re.compile(r"^(127\.[0-9]+\.[0-9]+\.[0-9]+|::1|localhost)\Z")
_ROUTE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}\Z")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}\Z")


def _channel(key: str, route: EventRoute) -> list[tuple[str, str, str]]:
    ch = route.channel
    out: list[tuple[str, str, str]] = []
    if ch.type not in CHANNELS:
        return [(f"{key}.channel.type", "CFG-2", f"must be one of {', '.join(CHANNELS)}")]
    if ch.type == "webhook":
        url = urlsplit(ch.url)
        if url.scheme not in ("https", "http") or not url.hostname:
            out.append((f"{key}.channel.url", "CFG-2", "a webhook needs an https:// URL"))
        elif url.scheme == "http" and not _LOOPBACK.match(url.hostname):
            out.append((f"{key}.channel.url", "NET-2",
                        "alerts never cross a network in clear: use https:// (http only on "
                        "loopback)"))
    else:
        if not ch.host or not 0 < ch.port < 65536:
            out.append((f"{key}.channel.host", "CFG-2", f"{ch.type} needs host and port"))
        elif not ch.tls and not _LOOPBACK.match(ch.host):
            out.append((f"{key}.channel.tls", "NET-2",
                        f"{ch.type} to {ch.host} in clear: set tls = true (plain only on "
                        "loopback)"))
    if ch.type == "email" and (not ch.to or not ch.sender):
        out.append((f"{key}.channel.to", "CFG-2", "e-mail needs `to` and `sender`"))
    for address in (*ch.to, *([ch.sender] if ch.sender else [])):
        if not _EMAIL.match(address):  # a header never carries a line break (free text)
            out.append((f"{key}.channel.to", "CFG-2", f"not an e-mail address: {address!r}"))
    return out


def _route(key: str, route: EventRoute) -> list[tuple[str, str, str]]:
    out = _channel(key, route)
    if not _ROUTE_ID.match(route.id):
        out.append((f"{key}.id", "CFG-2", "must be a lowercase slug"))
    if route.partner_kind not in PARTNER_KINDS:
        out.append((f"{key}.partner_kind", "CFG-2", f"must be one of {', '.join(PARTNER_KINDS)}"))
        return out
    for kind in route.kinds:
        if kind not in KINDS:
            out.append((f"{key}.kinds", "CFG-2", f"unknown event kind {kind!r}"))
    if route.live_link and route.partner_kind not in LIVE_LINK_KINDS:
        out.append((f"{key}.live_link", "ACC-3",
                    f"{route.partner} ({route.partner_kind}) is not a recipient CSI L252-3 "
                    "allows: no live link to the images"))
    purposes = PARTNER_PURPOSES[route.partner_kind]
    for itype in route.incident_types:
        if itype not in INCIDENT_TYPES:
            out.append((f"{key}.incident_types", "CFG-2", f"unknown incident type {itype!r}"))
        elif not purposes & INCIDENT_PURPOSES[itype]:
            out.append((f"{key}.incident_types", "AUTH-3",
                        f"{itype!r} serves no purpose of {route.partner} "
                        f"({route.partner_kind}) (CSI L251-2)"))
    if any(k in SCENE_KINDS for k in route.kinds) and not route.incident_types:
        out.append((f"{key}.incident_types", "AUTH-3",
                    "a route carrying incidents lists the incident types the commune's "
                    "purposes allow for this partner (CSI L251-2)"))
    for day in route.days:
        if day not in DAYS:
            out.append((f"{key}.days", "CFG-2", f"days are among {', '.join(DAYS)}"))
    for name in ("start", "end"):
        if not _HHMM.match(getattr(route, name)):
            out.append((f"{key}.{name}", "CFG-2", "HH:MM (00:00..24:00)"))
    if not 1 <= route.rate_per_minute <= 6000:
        out.append((f"{key}.rate_per_minute", "CFG-2", "must be 1..6000"))
    if not 0 <= route.dedup_seconds <= 86400:
        out.append((f"{key}.dedup_seconds", "CFG-2", "must be 0..86400"))
    if not 1 <= route.group_max <= 1000:
        out.append((f"{key}.group_max", "CFG-2", "must be 1..1000"))
    return out


def check_events(ev: EventsTable) -> list[tuple[str, str, str]]:
    """(key, rule id, message) of every problem of the [events] table."""
    out: list[tuple[str, str, str]] = []
    try:
        zoneinfo.ZoneInfo(ev.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        out.append(("events.timezone", "CFG-2", "unknown time zone (e.g. Europe/Paris)"))
    if not 0.05 <= ev.poll_seconds <= 60:
        out.append(("events.poll_seconds", "CFG-2", "must be 0.05..60"))
    if not 0 < ev.retry_initial_seconds <= ev.retry_max_seconds <= 3600:
        out.append(("events.retry_max_seconds", "CFG-2",
                    "need 0 < retry_initial_seconds <= retry_max_seconds <= 3600"))
    if ev.live_link_base and not ev.live_link_base.startswith("https://"):
        out.append(("events.live_link_base", "NET-2", "the live link is an https:// URL"))
    for i, src in enumerate(ev.onvif):
        for name in src.analytics:
            if name not in TOPICS:
                out.append((f"events.onvif[{i}].analytics", "CAM-6",
                            f"{name!r}: only the camera's own image ({', '.join(TOPICS)}); "
                            "no motion, face, plate or behaviour analytics"))
    seen: set[str] = set()
    for i, route in enumerate(ev.routes):
        key = f"events.routes[{i}]"
        if route.id in seen:
            out.append((f"{key}.id", "CFG-2", f"duplicate route id {route.id!r}"))
        seen.add(route.id)
        out += _route(key, route)
    return out
