"""Routing per partner, as the inventory declares it and the law allows it: validation refuses
a live link to a non-lawful recipient (ACC-3), incidents outside the commune's purposes
(AUTH-3, CSI L251-2), an endpoint outside the tunnel (NET-2), a metadata module asking for
people's features (CAM-6); the rendered recorder config carries only what is lawful."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from validation.inventory_kit import InventoryCopy

from beffroi.alerts import recorder_events
from beffroi.findings import Finding, Severity
from beffroi.inventory import load_inventory
from beffroi.validate import check_inventory

DEPT, EV = "department.yml", "sites/evrange.yml"
ROUTES = ("alerts", "routes")


def _route_index(moselle: InventoryCopy, rid: str) -> int:
    routes = moselle.load(DEPT)["alerts"]["routes"]
    return next(i for i, r in enumerate(routes) if r["id"] == rid)


def _errors(moselle: InventoryCopy) -> list[Finding]:
    return [f for f in check_inventory(load_inventory(moselle.root))
            if f.severity is Severity.ERROR]


def _rendered(moselle: InventoryCopy, slug: str = "evrange") -> dict[str, Any]:
    inv = load_inventory(moselle.root)
    assert inv.department is not None and inv.crisis_cell is not None
    return recorder_events(inv.site(slug), inv.department, inv.crisis_cell)


def _route(events: dict[str, Any], rid: str) -> dict[str, Any] | None:
    return next((r for r in events["routes"] if r["id"] == rid), None)


def test_pristine_routes_render_only_what_each_partner_may_receive(
        moselle: InventoryCopy, pinned_today: str) -> None:
    assert _errors(moselle) == []
    events = _rendered(moselle)
    sdis = _route(events, "sdis57")
    assert sdis is not None and sdis["live_link"] and sdis["kinds"] == ["incident"]
    assert sdis["incident_types"] == ["accident", "fire"]  # 8° rescue: Évrange declares it
    assert _route(events, "routes-cd57") is None  # no 3° traffic regulation at Évrange
    mf = _route(events, "moselle-fibre")
    assert mf is not None and "incident" not in mf["kinds"] and not mf["live_link"]
    mairie = _route(events, "evrange-mairie")
    assert mairie is not None and "camera_down" in mairie["kinds"]


def test_road_service_gets_incidents_only_where_traffic_regulation_is_a_purpose(
        moselle: InventoryCopy, pinned_today: str) -> None:
    purposes = moselle.load(EV)["authorization"]["purposes"]
    moselle.set(EV, ("authorization", "purposes", len(purposes)),
                {"code": 3, "label": "Régulation des flux de transport", "regime": "rgpd"})
    assert _errors(moselle) == []
    road = _route(_rendered(moselle), "routes-cd57")
    assert road is not None
    assert road["incident_types"] == ["accident", "road_obstruction"]
    assert road["live_link"] is False
    assert road["days"] and road["start"] == "06:00"
    assert _route(_rendered(moselle, "roussy-le-village"), "routes-cd57") is None


def test_road_service_named_for_a_commune_without_traffic_purpose_is_refused(
        moselle: InventoryCopy, pinned_today: str) -> None:
    i = _route_index(moselle, "routes-cd57")
    moselle.set(DEPT, (*ROUTES, i, "communes"), ["evrange"])
    found = [f for f in _errors(moselle) if f.rule == "AUTH-3"]
    assert found and found[0].path == f"alerts.routes[{i}].events"
    assert "Évrange" in found[0].message and found[0].citation == "CSI L251-2"
    assert found[0].file.endswith("department.yml") and found[0].line > 0


def test_incident_type_outside_the_purposes_is_refused_with_its_rule(
        moselle: InventoryCopy, pinned_today: str) -> None:
    i = _route_index(moselle, "sdis57")
    moselle.set(DEPT, (*ROUTES, i, "incident_types"), ["fire", "flood"])  # 7° not declared
    found = [f for f in _errors(moselle) if f.rule == "AUTH-3"]
    assert [f.path for f in found] == [f"alerts.routes[{i}].incident_types[1]"] * 3  # 3 sites


@pytest.mark.parametrize("kind", ["road_service", "operator", "integrator", "other"])
def test_live_link_to_a_recipient_outside_l252_3_is_refused(
        moselle: InventoryCopy, pinned_today: str, kind: str) -> None:
    i = _route_index(moselle, "moselle-fibre")
    moselle.set(DEPT, (*ROUTES, i, "kind"), kind)
    moselle.set(DEPT, (*ROUTES, i, "live_link"), True)
    found = [f for f in _errors(moselle) if f.rule == "ACC-3"]
    assert found and all(f.path == f"alerts.routes[{i}].live_link" for f in found)
    assert found[0].citation == "CSI L252-3"


def test_live_link_to_a_service_the_arrete_does_not_list_is_refused(
        moselle: InventoryCopy, pinned_today: str) -> None:
    i = _route_index(moselle, "sdis57")
    moselle.set(DEPT, (*ROUTES, i, "service"), "SDIS 54 — CTA de Meurthe-et-Moselle")
    found = [f for f in _errors(moselle) if f.rule == "ACC-3"]
    assert len(found) == 3 and found[0].path == f"alerts.routes[{i}].service"


def test_incidents_to_the_fleet_operator_are_refused(
        moselle: InventoryCopy, pinned_today: str) -> None:
    i = _route_index(moselle, "moselle-fibre")
    events = list(moselle.load(DEPT)["alerts"]["routes"][i]["events"])
    moselle.set(DEPT, (*ROUTES, i, "events"), [*events, "incident"])
    found = [f for f in _errors(moselle) if f.rule == "AUTH-3"]
    assert [f.path for f in found] == [f"alerts.routes[{i}].events"]


def test_endpoint_outside_the_tunnel_is_refused(
        moselle: InventoryCopy, pinned_today: str) -> None:
    i = _route_index(moselle, "sdis57")
    moselle.set(DEPT, (*ROUTES, i, "channel", "url"), "https://203.0.113.7/alerts")
    found = [f for f in _errors(moselle) if f.rule == "NET-2"]
    assert found and found[0].path == f"alerts.routes[{i}].channel"


@pytest.mark.parametrize("asked", ["data.face_box", "plate", "source.licence_plate",
                                   "data.person_count", "behaviour", "data.Loitering",
                                   "data.nonexistent"])
def test_metadata_module_asking_for_people_or_unknown_fields_is_refused(
        moselle: InventoryCopy, pinned_today: str, asked: str) -> None:
    moselle.set(DEPT, ("alerts", "metadata_modules"), [
        {"id": "trafic-ia", "name": "Module trafic", "purpose": "Comptage futur",
         "fields": ["kind", "utc_time", asked]}])
    found = [f for f in _errors(moselle) if f.rule == "CAM-6"]
    assert len(found) == 1 and asked in found[0].message
    assert found[0].path == "alerts.metadata_modules[0].fields"


def test_metadata_module_asking_only_for_stream_fields_is_accepted(
        moselle: InventoryCopy, pinned_today: str) -> None:
    moselle.set(DEPT, ("alerts", "metadata_modules"), [
        {"id": "trafic-ia", "name": "Module trafic", "purpose": "Comptage futur",
         "fields": ["kind", "utc_time", "source.camera", "data.active"]}])
    assert _errors(moselle) == []


def test_rendered_recorder_config_passes_check_config_events(
        moselle: InventoryCopy, pinned_today: str) -> None:
    from beffroi.escaping import to_toml
    from recorder import schema
    from recorder.events.checks import check_events

    data = tomllib.loads(to_toml({"events": _rendered(moselle)}))
    assert schema.check(data["events"], schema.EventsTable) == []
    table = schema.build({"recorder": {}, **data} | {"recorder": _min_recorder()}).events
    assert check_events(table) == []


def _min_recorder() -> dict[str, Any]:
    return {"site": "evrange", "storage_root": "/v", "state_dir": "/s", "retention_days": 15,
            "signing_key": "/k/key.pem", "checkpoint_dir": "/c"}


def test_a_camera_declaring_image_analytics_is_pulled_for_its_onvif_events(
        moselle: InventoryCopy, pinned_today: str) -> None:
    from beffroi.intent import site_intent

    moselle.set(EV, ("cameras", 1, "analytics"), ["scene_change", "signal_loss"])
    assert _errors(moselle) == []
    config = site_intent(load_inventory(moselle.root), "evrange").context()["recorder"]["config"]
    sources = config["events"]["onvif"]
    assert [(s["camera"], s["host"], s["port"], s["analytics"]) for s in sources] == [
        ("cam-mairie-context", "10.57.0.75", 80, ["scene_change", "signal_loss"])]
    flows = [r for r in site_intent(load_inventory(moselle.root), "evrange").firewall_rules
             if r.rule_id == "NET-2" and r.chain == "forward"]
    assert [(r.dst, r.ports) for r in flows] == [("10.58.0.1", (587, 6514, 8883, 9443))]
