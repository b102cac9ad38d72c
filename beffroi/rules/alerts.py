"""Alert routes (issue 15): the law decides who may receive what.

- ACC-3 (CSI L252-3): a live link to the images goes only to the commune and to the lawful
  recipients the commune's arrêté lists (SDIS, police, gendarmerie, douanes, police municipale,
  through the crisis cell).
- AUTH-3 (CSI L251-2): an incident reaches a partner only where the commune's arrêté declares
  a purpose the partner's mission serves — road-state and traffic information only where
  traffic regulation (3°) is a declared purpose; a fleet operator or an integrator never
  receives what happens in the scene.
- NET-2: alerts leave the site only through the WireGuard tunnel (endpoints in the VPN pool).
- CAM-6: a declared metadata module may ask only for fields of beffroi.event/1, never for a
  face, plate or behaviour.
- ENG-REF: route ids unique, communes and opt-outs name declared objects, a wall URL exists
  when a live link is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from beffroi.findings import Finding
from beffroi.model.alerts import Route
from beffroi.rules.registry import SiteCheck, inventory_rule, locate, site_rule
from beffroi.yamlsource import Path_, Source
from recorder.events.event import check_cam6_fields
from recorder.events.kinds import (
    INCIDENT_PURPOSES,
    LIVE_LINK_KINDS,
    PARTNER_PURPOSES,
    SCENE_KINDS,
    lawful_incident_types,
)

if TYPE_CHECKING:
    from beffroi.inventory import Inventory

DEPARTMENT_ROUTES = ("alerts", "routes")
SITE_ROUTES = ("alerts", "routes")


def site_routes(c: SiteCheck) -> Iterator[tuple[Route, Source, Path_]]:
    """The routes that apply to this commune, with where each is written."""
    dept = c.department.alerts
    skip = set(c.site.alerts.opt_out)
    if c.department_source is not None:
        for i, route in enumerate(dept.routes):
            if route.serves(c.site.slug) and route.id not in skip:
                yield route, c.department_source, (*DEPARTMENT_ROUTES, i)
    for i, route in enumerate(c.site.alerts.routes):
        yield route, c.source, (*SITE_ROUTES, i)


def carries_scene(route: Route) -> bool:
    """True when the route carries events about the filmed scene (incidents)."""
    return any(k in SCENE_KINDS for k in route.events)


@site_rule("ACC-3")
def live_link_only_to_lawful_recipients(c: SiteCheck) -> Iterator[Finding]:
    """A live link goes to the commune or to a recipient its arrêté lists (L252-3)."""
    services = {r.service for r in c.site.authorization.recipients}
    for route, src, path in site_routes(c):
        if not route.live_link:
            continue
        if route.kind not in LIVE_LINK_KINDS:
            yield locate(src, "ACC-3", (*path, "live_link"),
                         f"{route.partner} ({route.kind}) would get a live link to the images "
                         f"of {c.site.commune}: CSI L252-3 lists only police nationale, "
                         "gendarmerie, douanes, SDIS and police municipale",
                         "set live_link: false — the partner receives the alert text only")
        elif route.kind not in ("commune", "crisis_cell") and route.service not in services:
            yield locate(src, "ACC-3", (*path, "service"),
                         f"{route.partner} would get a live link to {c.site.commune}'s images, "
                         f"but its arrêté does not list {route.service or route.partner!r} as "
                         "a recipient",
                         f"use the service as the arrêté lists it ({sorted(services) or 'none'}"
                         f"), or exclude {c.site.slug} from this route")


@site_rule("AUTH-3")
def incidents_within_the_purposes(c: SiteCheck) -> Iterator[Finding]:
    """An incident reaches a partner only for a purpose of the commune's arrêté (L251-2)."""
    purposes = frozenset(p.code for p in c.site.authorization.purposes)
    for route, src, path in site_routes(c):
        if not carries_scene(route):
            continue
        lawful = lawful_incident_types(route.kind, purposes)
        named = route.communes != "all" or src is c.source
        if not PARTNER_PURPOSES[route.kind]:
            continue  # reported once for the route by scene_events_to_lawful_partners
        for j, itype in enumerate(route.incident_types or ()):
            if itype not in lawful:
                need = sorted(INCIDENT_PURPOSES[itype] & PARTNER_PURPOSES[route.kind])
                yield locate(src, "AUTH-3", (*path, "incident_types", j),
                             f"{itype} incidents of {c.site.commune} would reach {route.partner}"
                             f", but the arrêté declares none of the purposes {need} of "
                             "L251-2 this serves",
                             "remove the type, exclude the commune, or have the arrêté "
                             "amended to declare the purpose")
        if named and not lawful and route.incident_types is None:
            yield locate(src, "AUTH-3", (*path, "events"),
                         f"{route.partner} ({route.kind}) would receive {c.site.commune}'s "
                         f"incidents, but its arrêté declares no purpose this partner serves "
                         f"(declared: {sorted(purposes)}; e.g. road-state information needs "
                         "3° traffic regulation)",
                         f"remove {c.site.slug} from the route's communes, or remove incident "
                         "from its events")


@site_rule("NET-2")
def alerts_through_the_tunnel(c: SiteCheck) -> Iterator[Finding]:
    """Every alert endpoint is inside the department's VPN pool (through WireGuard)."""
    from ipaddress import IPv4Address

    pool = c.department.addressing.vpn_pool
    for route, src, path in site_routes(c):
        host, _ = route.endpoint()
        try:
            inside = IPv4Address(host) in pool
        except ValueError:
            inside = False
        if not inside:
            yield locate(src, "NET-2", (*path, "channel"),
                         f"{route.partner}'s endpoint {host} is outside the VPN pool {pool}: "
                         f"alerts from {c.site.commune} would leave the site outside the "
                         "tunnel", "use the partner's address behind the crisis-cell hub "
                         f"(inside {pool})")


@inventory_rule("AUTH-3")
def scene_events_to_lawful_partners(inv: Inventory) -> Iterator[Finding]:
    """A fleet operator, an integrator or an unnamed service never receives incidents."""
    src = inv.sources.get("department")
    if inv.department is None or src is None:
        return
    for i, route in enumerate(inv.department.alerts.routes):
        if carries_scene(route) and not PARTNER_PURPOSES[route.kind]:
            yield locate(src, "AUTH-3", (*DEPARTMENT_ROUTES, i, "events"),
                         f"{route.partner} ({route.kind}) would receive incidents — what "
                         "happens in the filmed place — which serves none of its missions "
                         "under CSI L251-2", "keep this partner to health events (camera, "
                         "disk, clock, tunnel)")


@inventory_rule("CAM-6")
def metadata_modules_ask_no_biometrics(inv: Inventory) -> Iterator[Finding]:
    """A future module reads only fields of beffroi.event/1; none describes people."""
    src = inv.sources.get("department")
    if inv.department is None or src is None:
        return
    for i, module in enumerate(inv.department.alerts.metadata_modules):
        for problem in check_cam6_fields(module.fields):
            yield locate(src, "CAM-6", ("alerts", "metadata_modules", i, "fields"),
                         f"metadata module {module.id}: {problem}",
                         "CAM-6 excludes face, plate and behaviour analytics: the event "
                         "stream will never carry them; ask only for its documented fields")


@inventory_rule("ENG-REF")
def routes_refer_to_declared_objects(inv: Inventory) -> Iterator[Finding]:
    """Unique route ids; communes, opt-outs and the wall URL point to something declared."""
    src = inv.sources.get("department")
    if inv.department is None or src is None:
        return
    alerts = inv.department.alerts
    seen: dict[str, str] = {}
    for i, route in enumerate(alerts.routes):
        if route.id in seen:
            yield locate(src, "ENG-REF", (*DEPARTMENT_ROUTES, i, "id"),
                         f"route id {route.id!r} declared twice", "give each route its own id")
        seen[route.id] = "department.yml"
        for j, slug in enumerate([] if route.communes == "all" else route.communes):
            if slug not in inv.sites:
                yield locate(src, "ENG-REF", (*DEPARTMENT_ROUTES, i, "communes", j),
                             f"route {route.id} names commune {slug!r}, which has no site file",
                             f"known: {', '.join(sorted(inv.sites)) or 'none'}")
        if route.live_link and alerts.live_link_base is None:
            yield locate(src, "ENG-REF", (*DEPARTMENT_ROUTES, i, "live_link"),
                         f"route {route.id} asks for a live link but alerts.live_link_base "
                         "(the crisis-cell wall URL) is not set", "set alerts.live_link_base")
    for slug, site in inv.sites.items():
        site_src = inv.sources.get(slug)
        if site_src is None:
            continue
        for i, route in enumerate(site.alerts.routes):
            if route.id in seen:
                yield locate(site_src, "ENG-REF", (*SITE_ROUTES, i, "id"),
                             f"route id {route.id!r} is already used in {seen[route.id]}",
                             "give the commune's route its own id")
            if route.communes != "all":
                yield locate(site_src, "ENG-REF", (*SITE_ROUTES, i, "communes"),
                             "a commune's own route serves that commune only",
                             "remove `communes` (department routes list communes)")
        for j, rid in enumerate(site.alerts.opt_out):
            if rid not in {r.id for r in alerts.routes}:
                yield locate(site_src, "ENG-REF", ("alerts", "opt_out", j),
                             f"opt_out names route {rid!r}, which the department does not "
                             "declare", "use an id of department.yml alerts.routes")
