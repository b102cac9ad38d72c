"""The event as it travels and as a future module may subscribe to it: `beffroi.event/1`.

Shaped like an ONVIF Profile M metadata notification (tt:Event / wsnt:NotificationMessage:
Topic, Message UtcTime + PropertyOperation, Source, Data), as JSON. Every level refuses unknown
fields, and `Data` is a closed list: CAM-6 holds in code — no face, plate, person or behaviour
field exists, so none can be emitted, and `check_cam6_fields` refuses any such name a module
might ask for. The JSON schema file (schema/event-v1.json) is generated from these structs and a
test keeps it equal; docs/events.md documents it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Literal

import msgspec

from recorder import timeutil
from recorder.events.kinds import INCIDENT_TYPES, KINDS

SCHEMA_ID = "beffroi.event/1"
SCHEMA_FILE = Path(__file__).with_name("schema") / "event-v1.json"
COMMENT_MAX = 500
# CAM-6 (CNIL; seed annexe 1): words no event field may be named after, whatever the spelling.
CAM6_WORDS = re.compile(
    r"face|visage|biometr|plate|plaque|immatric|licen[cs]e|anpr|lpr|person|people|human|"
    r"gender|genre|sexe|age_|_age|ethnic|emotion|behavio|comportement|gait|loiter|crowd|"
    r"foule|track|identity|identit|recogni|reconnaiss|audio|sound|voice|speech",
    re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class _Part(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True,
            omit_defaults=True):
    """Every level: keyword-only, immutable, unknown fields refused (CAM-6)."""


class Source(_Part, kw_only=True, frozen=True):
    """Where the event comes from (ONVIF Message/Source)."""

    site: str
    producer: Literal["recorder", "camera", "operator"]
    camera: str | None = None
    location: str | None = None  # CAM-4: the camera's declared location


class Data(_Part, kw_only=True, frozen=True):
    """What the event says (ONVIF Message/Data): a closed list, nothing about people."""

    active: bool  # ONVIF "State": true while the condition holds (a pulse is true)
    message: str
    seconds: float | None = None      # a gap's or a stall's length
    value: float | None = None        # a measure (free %, clock offset…)
    threshold: float | None = None    # the limit it crossed
    incident_type: str | None = None  # incident: one of kinds.INCIDENT_TYPES
    comment: str | None = None        # incident: the operator's words (data, escaped per target)
    raised_by: str | None = None      # incident / acknowledgement: the account id (JRN-1)
    onvif_topic: str | None = None    # camera-side event: the topic the camera sent
    hold: int | None = None           # hold_ending: the hold id (the reference stays on the NVR)


class Event(_Part, kw_only=True, frozen=True, omit_defaults=False):
    """One event (`beffroi.event/1`)."""

    schema: Literal["beffroi.event/1"] = "beffroi.event/1"
    id: str
    kind: str
    topic: str
    utc_time: str
    property_operation: Literal["Initialized", "Changed", "Deleted"] = "Changed"
    source: Source
    data: Data


class EventError(ValueError):
    """An event that cannot be built (unknown kind, bad incident type, unsafe comment)."""


def clean_text(text: str, what: str, limit: int = COMMENT_MAX) -> str:
    """One line of visible text: refuses controls, line breaks and bidi overrides (free text
    is data; each channel escapes it again for its own syntax)."""
    if _CONTROL.search(text):
        raise EventError(f"{what}: one line of visible text only (no line break, control or "
                         "bidi character)")
    text = text.strip()
    if not text or len(text) > limit:
        raise EventError(f"{what}: 1..{limit} characters")
    return text


def make(kind: str, site: str, message: str, *, producer: str = "recorder",
         camera: str | None = None, location: str | None = None, active: bool = True,
         at: float | None = None, **data: Any) -> Event:
    """A new event of `kind` (ids are random UUIDs; time is UTC now unless given)."""
    if kind not in KINDS:
        raise EventError(f"unknown event kind {kind!r}; known: {', '.join(KINDS)}")
    itype = data.get("incident_type")
    if kind == "incident" and itype not in INCIDENT_TYPES:
        raise EventError(f"incident type {itype!r}: one of {', '.join(INCIDENT_TYPES)}")
    if data.get("comment") is not None:
        data["comment"] = clean_text(str(data["comment"]), "comment")
    t = timeutil.now() if at is None else at
    try:
        return msgspec.convert({
            "id": str(uuid.uuid4()), "kind": kind, "topic": KINDS[kind].topic,
            "utc_time": timeutil.iso(t), "property_operation": "Changed",
            "source": {"site": site, "producer": producer, "camera": camera,
                       "location": location},
            "data": {"active": active, "message": message, **data}}, Event)
    except msgspec.ValidationError as exc:  # CAM-6: a field outside the closed list
        raise EventError(f"[CAM-6] event refused: {exc}") from None


def encode(event: Event) -> bytes:
    """Canonical JSON of an event."""
    return msgspec.json.encode(event)


def decode(raw: bytes | str) -> Event:
    """Parse and check an event; unknown fields are refused (CAM-6)."""
    try:
        return msgspec.json.decode(raw, type=Event)
    except msgspec.ValidationError as exc:
        raise EventError(f"[CAM-6] not a beffroi.event/1 event: {exc}") from None


def as_dict(event: Event) -> dict[str, Any]:
    """The event as plain JSON data."""
    out: dict[str, Any] = msgspec.to_builtins(event)
    return out


def json_schema() -> dict[str, Any]:
    """The JSON schema of `beffroi.event/1`, generated from the structs (schema file's source)."""
    schema: dict[str, Any] = msgspec.json.schema(Event)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://beffroi.example/schema/event-v1.json"
    schema["title"] = SCHEMA_ID
    schema["description"] = ("Beffroi NVR event stream, version 1 (ONVIF Profile M-shaped). "
                             "No face, plate or behaviour field exists (CAM-6).")
    defs = schema["$defs"]
    defs["Event"]["properties"]["kind"]["enum"] = list(KINDS)
    defs["Data"]["properties"]["incident_type"] = {
        "anyOf": [{"enum": list(INCIDENT_TYPES)}, {"type": "null"}], "default": None}
    return schema


def field_names() -> frozenset[str]:
    """Every field a subscriber can receive (`source.camera`, `data.comment`…)."""
    names = set()
    for prefix, struct in (("", Event), ("source.", Source), ("data.", Data)):
        for f in msgspec.structs.fields(struct):
            if f.name not in ("source", "data"):
                names.add(prefix + f.name)
    return frozenset(names)


def check_cam6_fields(names: list[str] | tuple[str, ...]) -> list[str]:
    """Problems with the fields a metadata module asks for: a CAM-6 word, or a field the
    stream does not carry (it will never carry one about people)."""
    known = field_names()
    problems = []
    for name in names:
        if CAM6_WORDS.search(name):
            problems.append(f"{name!r} would describe people (face, plate, behaviour…): CAM-6 "
                            "forbids biometric and behavioural analytics")
        elif name not in known:
            problems.append(f"{name!r} is not a field of {SCHEMA_ID} (known: "
                            f"{', '.join(sorted(known))})")
    return problems
