"""Alert routing declared in the inventory (issue 15): which partner receives which event
kinds, for which communes, over which channel, at which hours.

Keys (department.yml `alerts:`; a site file's `alerts:` adds the commune's own routes):

    alerts:
      live_link_base: https://…/wall   # crisis-cell wall; a live link is BASE/SLUG/CAMERA
      tunnel_probe_port: 6514          # probed at the hub's tunnel address (tunnel_down)
      routes:
        - id: sdis57                   # unique route id (department and sites together)
          partner: "SDIS 57 — CTA-CODIS"
          kind: sdis                   # commune | crisis_cell | sdis | police_nationale |
                                       # gendarmerie | douanes | police_municipale |
                                       # road_service | operator | integrator | other
          service: "SDIS 57 — CTA-CODIS"  # as the commune's arrêté lists it (live link, ACC-3)
          events: [incident]           # kinds of recorder/events/kinds.py
          incident_types: [accident, fire]  # optional: default all the purposes allow
          communes: all                # department routes: `all` or a list of slugs
          channel: {type: webhook, url: "https://10.58.0.1:9443/alerts/sdis57"}
          hours: always                # or {days: [mon, …], start: "08:00", end: "18:00"}
          live_link: true              # ACC-3: lawful recipients listed in the arrêté only
          rate_per_minute: 10          # more → grouped messages
          dedup_seconds: 300
          group_max: 100
      metadata_modules:                # future subscribers of beffroi.event/1 (CAM-6)
        - {id: trafic-ia, name: "…", purpose: "…", fields: [kind, utc_time, source.camera]}
      opt_out: [route-id]              # site files only: department routes this commune skips

Channels: webhook {url} (signed with the NVR's Ed25519 key), email {host, port, to, sender,
tls}, syslog {host, port, tls} (RFC 5424), mqtt {host, port, topic, tls}. Every endpoint is an
address inside the department's VPN pool: alerts leave the site through the tunnel (NET-2).
Validation: beffroi/rules/alerts.py.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from beffroi.model.base import Identifier, Label, OptionalText, Port, Slug, Strict, Text
from recorder.events.kinds import INCIDENT_TYPES, KINDS, PARTNER_KINDS


def _known_kind(value: str) -> str:
    if value not in KINDS:
        raise ValueError(f"unknown event kind (one of {', '.join(KINDS)})")
    return value


def _known_incident(value: str) -> str:
    if value not in INCIDENT_TYPES:
        raise ValueError(f"unknown incident type (one of {', '.join(INCIDENT_TYPES)})")
    return value


def _known_partner(value: str) -> str:
    if value not in PARTNER_KINDS:
        raise ValueError(f"unknown partner kind (one of {', '.join(PARTNER_KINDS)})")
    return value


EventKind = Annotated[str, AfterValidator(_known_kind)]
IncidentType = Annotated[str, AfterValidator(_known_incident)]
PartnerKind = Annotated[str, AfterValidator(_known_partner)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HhMm = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
Email = Annotated[str, Field(pattern=r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[a-z]{2,}$")]
HttpsUrl = Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?$",
                                max_length=200)]
Topic = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_/-]{0,63}$")]


DEFAULT_PORTS = {"webhook": 443, "email": 587, "syslog": 6514, "mqtt": 8883}


class Channel(Strict):
    """How a partner is reached: webhook {url} (JSON signed with the NVR's Ed25519 key),
    email {host, port, to, sender} (SMTP, STARTTLS), syslog {host, port} (RFC 5424 over TLS),
    mqtt {host, port, topic} (QoS 1, topic TOPIC/SLUG/KIND)."""

    type: Literal["webhook", "email", "syslog", "mqtt"]
    url: HttpsUrl | None = None
    host: IPv4Address | None = None
    port: Port | None = None
    to: list[Email] = Field(default_factory=list)
    sender: Email | None = None
    topic: Topic = "beffroi"
    tls: bool = True

    @model_validator(mode="after")
    def _complete(self) -> Channel:
        if self.type == "webhook":
            if self.url is None or self.host is not None:
                raise ValueError("a webhook channel has a `url` (https://…) and no `host`")
        elif self.host is None or self.url is not None:
            raise ValueError(f"a {self.type} channel has a `host` (and `port`), no `url`")
        if self.type == "email" and (not self.to or self.sender is None):
            raise ValueError("an email channel needs `to` and `sender`")
        return self

    def endpoint(self) -> tuple[str, int]:
        """(host, port) the NVR connects to."""
        if self.url is not None:
            rest = self.url.split("://", 1)[1].split("/", 1)[0]
            host, _, port = rest.partition(":")
            return host, int(port) if port else DEFAULT_PORTS["webhook"]
        return str(self.host), self.port or DEFAULT_PORTS[self.type]


class Hours(Strict):
    """When a partner takes messages (local time of the department); others wait in the spool."""

    days: list[Day] = Field(min_length=1)
    start: HhMm = "00:00"
    end: HhMm = "24:00"


def _always(value: object) -> object:
    return None if value == "always" else value


class Route(Strict):
    """One partner's route."""

    id: Identifier
    partner: Label
    kind: PartnerKind
    service: OptionalText = Field("", description="ACC-3: the recipient as the arrêté lists it")
    events: list[EventKind] = Field(min_length=1)
    incident_types: list[IncidentType] | None = Field(
        None, description="Default: every type the commune's purposes allow (L251-2)")
    communes: list[Slug] | Literal["all"] = "all"
    channel: Channel
    hours: Annotated[Hours | None, BeforeValidator(_always)] = Field(
        None, description="`always` (or absent): 24/7; else {days, start, end}")
    live_link: bool = False
    rate_per_minute: int = Field(10, ge=1, le=6000)
    dedup_seconds: int = Field(300, ge=0, le=86400)
    group_max: int = Field(100, ge=1, le=1000)

    def endpoint(self) -> tuple[str, int]:
        """(host, port) the NVR connects to."""
        return self.channel.endpoint()

    def serves(self, slug: str) -> bool:
        """True when this department route applies to the commune `slug`."""
        return self.communes == "all" or slug in self.communes


class MetadataModule(Strict):
    """A future module subscribing to beffroi.event/1: it names the fields it reads (CAM-6)."""

    id: Identifier
    name: Label
    purpose: Text
    fields: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1)


class DepartmentAlerts(Strict):
    """department.yml `alerts:`."""

    live_link_base: HttpsUrl | None = None
    tunnel_probe_port: Port | None = None
    routes: list[Route] = Field(default_factory=list)
    metadata_modules: list[MetadataModule] = Field(default_factory=list)


class SiteAlerts(Strict):
    """A site file's `alerts:`: the commune's own routes and the department routes it skips."""

    routes: list[Route] = Field(default_factory=list)
    opt_out: list[Identifier] = Field(default_factory=list)
