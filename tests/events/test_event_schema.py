"""The metadata hook (issue 15 §4): `beffroi.event/1` is a documented, versioned JSON schema
(recorder/events/schema/event-v1.json, ONVIF Profile M-shaped) generated from the structs the
recorder emits; CAM-6 holds in code — no field about faces, plates or behaviour exists, and
the schema refuses any unknown field. Also the runtime's own check of hand-edited routes."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from recorder import config as cfgmod
from recorder.events import event as ev
from recorder.events.kinds import INCIDENT_TYPES, KINDS

SCHEMA = json.loads(ev.SCHEMA_FILE.read_text(encoding="utf-8"))


def test_schema_file_is_the_one_the_recorder_emits_against() -> None:
    assert ev.json_schema() == SCHEMA, "regenerate schema/event-v1.json from event.py"
    assert SCHEMA["title"] == "beffroi.event/1"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_emits_a_valid_event(kind: str) -> None:
    extra: dict[str, Any] = ({"incident_type": "fire", "comment": "Fumée", "raised_by": "x"}
                             if kind == "incident" else {"seconds": 3.0})
    event = ev.make(kind, "evrange", "message", camera="cam1", location="Mât", **extra)
    data = json.loads(ev.encode(event))
    jsonschema.validate(data, SCHEMA)
    assert data["schema"] == "beffroi.event/1" and data["topic"] == KINDS[kind].topic
    assert ev.decode(ev.encode(event)) == event


@pytest.mark.parametrize("where,field", [("data", "face"), ("data", "plate_text"),
                                         ("source", "person_id"), ("", "behaviour"),
                                         ("data", "anything_new")])
def test_an_unknown_field_is_refused_by_the_struct_and_the_schema(where: str,
                                                                  field: str) -> None:
    data = json.loads(ev.encode(ev.make("camera_down", "evrange", "m", camera="cam1")))
    (data[where] if where else data)[field] = "x"
    with pytest.raises(ev.EventError, match="CAM-6"):
        ev.decode(json.dumps(data))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(ev.EventError, match="CAM-6"):
        ev.make("camera_down", "evrange", "m", **{field: "x"})


def test_no_field_of_the_stream_describes_people() -> None:
    names = ev.field_names()
    assert names and not [n for n in names if ev.CAM6_WORDS.search(n)]
    assert set(SCHEMA["$defs"]["Data"]["properties"]) == {
        n.split(".", 1)[1] for n in names if n.startswith("data.")}
    assert SCHEMA["$defs"]["Data"]["additionalProperties"] is False


@pytest.mark.parametrize("comment", ["ligne 1\nligne 2", "a\r\nBcc: x@example.org",
                                     "\u202eexe", "x\x00", "", "é" * 501])
def test_an_operator_comment_is_one_line_of_visible_text(comment: str) -> None:
    with pytest.raises(ev.EventError):
        ev.make("incident", "evrange", "m", incident_type="fire", comment=comment)


def test_an_incident_type_is_one_of_the_catalogue() -> None:
    with pytest.raises(ev.EventError, match="incident type"):
        ev.make("incident", "evrange", "m", incident_type="suspicious_person")
    assert "suspicious_person" not in INCIDENT_TYPES


def _config(routes: str) -> dict[str, Any]:
    import tomllib
    base = """
[recorder]
site = "evrange"
storage_root = "/v"
state_dir = "/s"
retention_days = 15
signing_key = "/k/key.pem"
checkpoint_dir = "/c"
[[cameras]]
id = "cam1"
role = "narrow"
rtsp_url = "rtsp://127.0.0.1/cam1"
location = "Mât"
expected_fps = 15
width = 1280
height = 720
[[users]]
id = "mdupont"
name = "Marie Dupont"
role = "maire"
password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA"
cameras = ["*"]
"""
    return tomllib.loads(base + routes)


@pytest.mark.parametrize("route,rule", [
    ('partner_kind = "road_service"\nkinds = ["incident"]\nincident_types = ["accident"]\n'
     'live_link = true\n[events.routes.channel]\ntype = "webhook"\n'
     'url = "https://10.58.0.1/a"', "ACC-3"),
    ('partner_kind = "operator"\nkinds = ["incident"]\nincident_types = ["accident"]\n'
     '[events.routes.channel]\ntype = "webhook"\nurl = "https://10.58.0.1/a"', "AUTH-3"),
    ('partner_kind = "sdis"\nkinds = ["incident"]\n'
     '[events.routes.channel]\ntype = "webhook"\nurl = "https://10.58.0.1/a"', "AUTH-3"),
    ('partner_kind = "commune"\nkinds = ["camera_down"]\n[events.routes.channel]\n'
     'type = "webhook"\nurl = "http://10.58.0.1/a"', "NET-2"),
    ('partner_kind = "commune"\nkinds = ["camera_down"]\n[events.routes.channel]\n'
     'type = "syslog"\nhost = "10.58.0.1"\nport = 514', "NET-2"),
    ('partner_kind = "commune"\nkinds = ["camera_down"]\n[events.routes.channel]\n'
     'type = "email"\nhost = "127.0.0.1"\nport = 25\nsender = "n@b.example"\n'
     'to = ["a@b.example\\r\\nBcc: x@evil.example"]', "CFG-2"),
])
def test_check_config_refuses_a_hand_edited_unlawful_route(route: str, rule: str) -> None:
    text = f'[[events.routes]]\nid = "r"\npartner = "P"\n{route}\n'
    with pytest.raises(cfgmod.ConfigError) as exc:
        cfgmod.parse(_config(text))
    assert rule in {f.rule for f in exc.value.findings}, exc.value
