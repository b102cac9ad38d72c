"""The event catalogue, written once: the recorder emits and routes these kinds, the control
plane validates routes against them (beffroi/rules/alerts.py), the JSON schema lists them.

A *health* kind tells about the system (a camera, a disk, a clock, a tunnel); a *scene* kind
tells about what happens in the filmed place (an operator's incident): only scene kinds carry
purposes, and a partner receives one only where the commune's arrêté declares a purpose it
serves (CSI L251-2). CAM-6: no kind describes a person, a face, a plate or a behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One event kind: its ONVIF-style topic and whether it is about the scene."""

    name: str
    topic: str
    scene: bool = False
    clears: str | None = None  # the kind that ends this one ("camera_back" ends "camera_down")
    summary: str = ""


_KINDS = (
    Kind("camera_down", "tns1:VideoSource/SignalLoss", clears="camera_back",
         summary="a camera's stream stopped"),
    Kind("camera_back", "tns1:VideoSource/SignalLoss", summary="a camera's stream is back"),
    Kind("stream_frozen", "beffroi:VideoSource/Frozen", summary="the image no longer changes"),
    Kind("stream_black", "tns1:VideoSource/ImageTooDark", summary="the image is black"),
    Kind("scene_changed", "tns1:VideoSource/GlobalSceneChange/ImagingService",
         summary="the view changed abruptly (camera moved or masked)"),
    Kind("camera_tamper", "tns1:VideoSource", summary="the camera reports tampering (ONVIF)"),
    Kind("recording_gap", "beffroi:Recording/Gap", summary="a span without recording"),
    Kind("disk_low", "beffroi:Storage/HeadroomLow", summary="storage headroom under threshold"),
    Kind("clock_unsynced", "beffroi:Device/ClockUnsynchronised",
         summary="the NVR clock is not synchronised (TIME-1)"),
    Kind("verify_failed", "beffroi:Recording/IntegrityFailure",
         summary="recorder verify found a broken chain or segment"),
    Kind("hold_ending", "beffroi:Recording/LegalHoldReview",
         summary="a legal hold reaches its review date"),
    Kind("tunnel_down", "beffroi:Network/TunnelDown",
         summary="the VPN tunnel to the crisis cell is down"),
    Kind("incident", "beffroi:Operator/Incident", scene=True,
         summary="an operator raised an incident"),
)
KINDS: dict[str, Kind] = {k.name: k for k in _KINDS}
HEALTH_KINDS = tuple(k.name for k in _KINDS if not k.scene)
SCENE_KINDS = tuple(k.name for k in _KINDS if k.scene)

# Incident types an operator may raise, and the L251-2 items (1°..11°) each one serves.
INCIDENT_PURPOSES: dict[str, frozenset[int]] = {
    "accident": frozenset({3, 8}),          # 3° traffic regulation, 8° rescue
    "fire": frozenset({8}),                 # 8° rescue and fire
    "flood": frozenset({7}),                # 7° natural / technological risks
    "road_obstruction": frozenset({3}),     # 3° traffic regulation (road state)
    "assault": frozenset({5}),              # 5° attacks on persons and property
    "damage": frozenset({1, 5}),            # 1° public buildings, 5° property
    "illegal_dumping": frozenset({11}),     # 11° illegal dumping
}
INCIDENT_TYPES = tuple(INCIDENT_PURPOSES)

# Partner kinds, and the L251-2 purposes whose information each may lawfully receive.
ALL_PURPOSES = frozenset(range(1, 12))
PARTNER_PURPOSES: dict[str, frozenset[int]] = {
    "commune": ALL_PURPOSES,                 # the controller itself
    "crisis_cell": ALL_PURPOSES,             # watched by lawful recipients only (ACC-4)
    "sdis": frozenset({7, 8}),
    "police_nationale": frozenset({1, 2, 4, 5, 6, 9, 10, 11}),
    "gendarmerie": frozenset({1, 2, 4, 5, 6, 9, 10, 11}),
    "police_municipale": frozenset({1, 3, 4, 5, 11}),
    "douanes": frozenset({6, 10}),
    "road_service": frozenset({3}),          # road-state / traffic information only
    "operator": frozenset(),                 # runs the fleet: health, never the scene
    "integrator": frozenset(),               # MQTT integrators: health only
    "other": frozenset(),
}
PARTNER_KINDS = tuple(PARTNER_PURPOSES)
# ACC-3 (CSI L252-3): who may get a live link to the images, besides the commune (ACC-2).
LIVE_LINK_KINDS = frozenset({"commune", "crisis_cell", "sdis", "police_nationale",
                             "gendarmerie", "douanes", "police_municipale"})
CHANNELS = ("webhook", "email", "syslog", "mqtt")


def lawful_incident_types(partner_kind: str, commune_purposes: frozenset[int]) -> tuple[str, ...]:
    """Incident types a partner may receive from a commune: the type serves a purpose the
    commune's arrêté declares and the partner's mission covers (CSI L251-2)."""
    allowed = PARTNER_PURPOSES.get(partner_kind, frozenset()) & commune_purposes
    return tuple(t for t, purposes in INCIDENT_PURPOSES.items() if purposes & allowed)
