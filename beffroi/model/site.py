"""A commune site: the single source of truth for one commune's video-protection system."""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Literal

from pydantic import Field, model_validator

from beffroi.model.alerts import SiteAlerts
from beffroi.model.base import (
    AbsolutePath,
    DriverName,
    Hostname,
    Identifier,
    InterfaceName,
    Label,
    NtpSource,
    OptionalParagraph,
    OptionalText,
    Paragraph,
    Port,
    RtspPath,
    Slug,
    Strict,
    Text,
)
from beffroi.model.dossier import SiteDossier
from beffroi.model.keys import WireGuardPublicKey

Right = Literal["live", "playback", "export"]
Regime = Literal["directive_2016_680", "rgpd"]
# CAM-6 allowlist: only functions that judge the camera's own image (ONVIF VideoSource events),
# never what or who is in the scene. Anything else — face, plate, person, vehicle, motion,
# line-crossing, loitering, crowd, emotion, sound — is refused, whatever its spelling.
Analytic = Literal[
    "scene_change",      # camera moved or masked (ONVIF GlobalSceneChange): device integrity
    "image_too_blurry",  # defocused or sprayed lens (ONVIF ImageTooBlurry): CAM-1/2 quality
    "image_too_dark",    # IR or lighting failure (ONVIF ImageTooDark): CAM-7
    "image_too_bright",  # dazzled sensor (ONVIF ImageTooBright): CAM-7
    "signal_loss",       # no video from the sensor (ONVIF SignalLoss): CAM-4 continuity
]
# ACC-3: the texts a recipient's legal basis may cite; laws, décrets and arrêtés need a number.
LegalText = Literal["code_securite_interieure", "code_procedure_penale", "code_penal",
                    "code_general_collectivites_territoriales", "code_des_douanes",
                    "code_de_la_route", "code_de_la_defense", "loi", "decret", "arrete"]
NUMBERED_TEXTS = frozenset({"loi", "decret", "arrete"})


class PoliceContact(Strict):
    """The police/gendarmerie unit the request names (Cerfa 13806*04)."""

    unit: Label
    phone: Label


class Controller(Strict):
    """The data controller: the commune (AUTH-4 for the public highway)."""

    name: Label
    kind: Literal["commune", "epci", "private"] = "commune"
    mayor: Label
    address: Text
    email: Text
    phone: Label
    dpo_contact: Text = Field(description="DPO e-mail or address (signage, AIPD)")
    access_right_contact: Text = Field(description="Where people exercise their rights")
    police_contact: PoliceContact
    info_url: Text = Field(description="Level-2 information page (signage)")


class Installer(Strict):
    """Who installs and maintains the system (prefectoral request)."""

    name: Label
    certification: Text
    maintainer: Label


class Purpose(Strict):
    """One purpose of L251-2 with its data-protection regime (AUTH-3, AUTH-5)."""

    code: int = Field(ge=1, le=11, description="Item number of CSI L251-2 (1°..11°)")
    label: Text
    regime: Regime | None = Field(None, description="AUTH-5: directive_2016_680 or rgpd")


class LegalBasis(Strict):
    """ACC-3: the text that lets a service outside L252-3's list receive images.

    A citation, not prose: which text, which article (and the number of a loi, décret or
    arrêté). Who checked it and when is recorded: even then validation keeps a warning.
    """

    text: LegalText
    article: str = Field(pattern=r"^(?:[LRDA]\.? ?)?[0-9]{1,4}(?:-[0-9]{1,4}){0,3}$",
                         description="Article cited, e.g. L252-3, R253-3, 10")
    number: str | None = Field(None, pattern=r"^[0-9]{2,4}-[0-9]{1,6}$",
                               description="loi / décret / arrêté number, e.g. 2023-1102")
    acknowledged_by: Label | None = Field(None, description="Who reviewed this basis (DPO…)")
    acknowledged_on: date | None = None

    @model_validator(mode="after")
    def _numbered(self) -> LegalBasis:
        if (self.text in NUMBERED_TEXTS) != (self.number is not None):
            raise ValueError("a loi, décret or arrêté is cited with its number (e.g. 2023-1102);"
                             " a code article without one")
        return self

    def cite(self) -> str:
        """The reference as a person reads it ("code_securite_interieure art. L252-3")."""
        number = f" n° {self.number}" if self.number else ""
        return f"{self.text}{number} art. {self.article}"


class Recipient(Strict):
    """A service outside the commune receiving images (ACC-3)."""

    service: Label
    kind: Literal["sdis", "police_nationale", "gendarmerie", "douanes", "police_municipale",
                  "other"]
    live_only: bool = True
    retention_days: int = Field(0, ge=0, description="How long the recipient keeps images")
    legal_basis: LegalBasis | None = None


class Authorization(Strict):
    """The prefectoral authorization (AUTH-1/2) and what it allows."""

    request_type: Literal["initial", "renewal", "modification"] = "initial"
    arrete_ref: OptionalText = ""
    issued: date | None = None
    expires: date | None = None
    retention_days: int
    max_retention_days: int | None = Field(None, ge=1)
    min_retention_days: int | None = Field(None, ge=0)
    retention_justification: Paragraph
    purposes: list[Purpose]
    recipients: list[Recipient] = Field(default_factory=list)
    commissioning_notice_sent: date | None = Field(None, description="REG-2")


class Habilitation(Strict):
    """A named person allowed to see images (ACC-1..3)."""

    id: Identifier
    name: Label
    role: Literal["maire", "adjoint", "live", "admin"]
    rights: list[Right] = Field(default_factory=list)
    delegation: OptionalText = Field(
        "", description="adjoint: arrêté of delegated police powers (ACC-2)")
    service: OptionalText = Field("", description="live: the recipient service (ACC-3)")
    email: OptionalText = ""


class Recording(Strict):
    """The recorded stream (CAM-1..3)."""

    width: int = Field(ge=1)
    height: int = Field(ge=1)
    fps: int = Field(ge=1, le=120)
    codec: Literal["h264", "h265"] = "h264"
    bitrate_kbps: int = Field(ge=64)


class Rect(Strict):
    """A rectangle in normalised image coordinates (0..1)."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(gt=0, le=1)
    h: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _inside_image(self) -> Rect:
        if self.x + self.w > 1 + 1e-9 or self.y + self.h > 1 + 1e-9:
            raise ValueError("the rectangle extends past the image edge (x + w and y + h ≤ 1)")
        return self

    def contains(self, other: Rect) -> bool:
        """True when `other` lies entirely inside this rectangle."""
        eps = 1e-9
        return (self.x - eps <= other.x and self.y - eps <= other.y
                and other.x + other.w <= self.x + self.w + eps
                and other.y + other.h <= self.y + self.h + eps)


class PrivateZone(Strict):
    """A dwelling, its entrance or any private place in the field of view (CAM-5)."""

    id: Identifier
    description: Text
    area: Rect


class PrivacyMask(Strict):
    """A privacy mask programmed on the camera."""

    id: Identifier
    area: Rect


class Camera(Strict):
    """One camera of the mast (narrow field or context)."""

    name: Hostname
    role: Literal["narrow", "context"]
    ip: IPv4Address
    model: Label
    location: Text = Field(description="Location text shown with the video (CAM-4)")
    placement: Literal["outdoor", "indoor"] = "outdoor"
    public_highway: bool = True
    covered_area: Text = Field(description="What the camera films (dossier)")
    purposes: list[int] = Field(description="Codes of the site's purposes (AUTH-3)")
    recording: Recording
    capture_fps: int = Field(ge=1, le=120, description="Real sensor rate (CAM-3)")
    audio: bool = False
    analytics: list[Analytic] = Field(default_factory=list, description="CAM-6 allowlist")
    night_mode: Literal["ir", "low_light", "site_lighting", "none"]
    private_zones: list[PrivateZone] = Field(default_factory=list)
    privacy_masks: list[PrivacyMask] = Field(default_factory=list)
    switch_port: InterfaceName
    onvif_port: Port = 80
    rtsp_path: RtspPath = "/stream1"


class Vlan(Strict):
    """A VLAN and its subnet."""

    id: int = Field(ge=2, le=4094)
    subnet: IPv4Network


class Link(Strict):
    """The camera mast → mairie link (CAM-8, NET-4)."""

    kind: Literal["fibre", "copper", "wireless"] = "fibre"
    capacity_mbps: int = Field(ge=1)
    encryption: OptionalText = ""


class Network(Strict):
    """Commune LAN: camera VLAN, management VLAN, uplink VLAN, the mast link, the WAN."""

    camera_vlan: Vlan
    management_vlan: Vlan
    uplink_vlan_id: int = Field(ge=2, le=4094)
    link: Link
    wan_address: IPv4Interface = Field(description="Firewall address on the collect network")
    wan_gateway: IPv4Address


class Ups(Strict):
    """The 2000 VA UPS watched by NUT."""

    model: Label
    va: int = Field(ge=500)
    driver: DriverName = "usbhid-ups"
    shutdown_battery_percent: int = Field(30, ge=5, le=90)


class Storage(Strict):
    """Recording storage of the NVR (CAM-9)."""

    mount: AbsolutePath = "/srv/beffroi/video"
    capacity_gb: int = Field(ge=1)
    disks: int = Field(2, ge=1)
    raid: Literal["none", "raid1", "raid5", "raid6"] = "raid1"


class Nvr(Strict):
    """The recording server running `recorder/`."""

    hostname: Hostname
    ip: IPv4Address
    storage: Storage
    ups: Ups
    segment_seconds: int | None = Field(None, ge=2, le=600)


class Firewall(Strict):
    """Firewall + VPN concentrator (spoke of the crisis-cell hub, NET-2)."""

    hostname: Hostname
    camera_ip: IPv4Address
    management_ip: IPv4Address
    vpn_kind: Literal["wireguard"] = "wireguard"
    vpn_address: IPv4Address
    wireguard_public_key: WireGuardPublicKey
    wan_open_ports: list[Port] = Field(default_factory=list,
                                       description="Extra WAN ports opened in clear (NET-2)")


class SwitchPorts(Strict):
    """Port plan of the core switch; unlisted ports are shut."""

    count: int = Field(8, ge=4, le=52)
    prefix: InterfaceName = "GigabitEthernet0/"
    first: int = Field(1, ge=0)
    uplink: InterfaceName
    nvr: InterfaceName
    firewall: InterfaceName
    workstation: InterfaceName


class Switch(Strict):
    """The core switch in the mairie."""

    hostname: Hostname
    platform: Literal["ios", "junos", "procurve"] = "ios"
    model: Label
    ip: IPv4Address
    ports: SwitchPorts


class Workstation(Strict):
    """The operator workstation (24\" screen)."""

    hostname: Hostname
    ip: IPv4Address


class Site(Strict):
    """`sites/<slug>.yml`: one commune."""

    commune: Label
    slug: Slug
    site_id: int = Field(ge=1, le=4095, description="Unique; drives the addressing plan")
    insee: str = Field(pattern=r"^([0-9]{5}|2[AB][0-9]{3})$")  # ASCII: \d takes any script
    population: int = Field(ge=0)
    controller: Controller
    installer: Installer
    authorization: Authorization
    habilitations: list[Habilitation]
    cameras: list[Camera]
    network: Network
    nvr: Nvr
    switch: Switch
    firewall: Firewall
    workstation: Workstation
    ntp_servers: list[NtpSource] | None = Field(None, description="Override department sources")
    notes: OptionalParagraph = ""
    # Cerfa fields and example-data markers that only the dossiers read.
    dossier: SiteDossier = Field(default_factory=SiteDossier)
    alerts: SiteAlerts = Field(default_factory=SiteAlerts)  # the commune's own alert routes

    def ntp_sources(self, department_servers: list[str]) -> list[str]:
        """TIME-1 sources: the site's own list when declared (even empty), else the department's."""
        return list(self.ntp_servers if self.ntp_servers is not None else department_servers)
