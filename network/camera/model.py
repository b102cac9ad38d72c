"""A camera's desired settings (from its rendered file) and its live state (ONVIF read-back).

The desired side is parsed from `templates/camera/camera.yml.j2`'s output — the very file the
camera role renders — so no second description of a camera's intent exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# CAM-1..3 floors per role (arrêté du 3 août 2007 art. 2): one home, shared with the recorder.
from recorder.legal import size_rule, stream_floor

UTC_NAMES = {"UTC", "UTC0", "GMT", "GMT0", "GMT+00:00", "GMT+0", "UTC+00:00", "ETC/UTC"}


@dataclass(frozen=True)
class Mask:
    """A rectangular privacy mask in image fractions (0..1, origin top-left)."""

    x: float
    y: float
    w: float
    h: float

    def key(self) -> tuple[float, float, float, float]:
        """Rounded coordinates, so a device's float round-trip compares equal."""
        return (round(self.x, 3), round(self.y, 3), round(self.w, 3), round(self.h, 3))


@dataclass(frozen=True)
class Encoder:
    """The recorded (main) stream's encoder settings."""

    codec: str
    width: int
    height: int
    fps: int
    bitrate_kbps: int


@dataclass(frozen=True)
class Desired:
    """What the camera must be, as rendered."""

    name: str
    role: str
    timezone: str
    ntp_servers: tuple[str, ...]
    username: str
    password: str
    remove_default: bool
    encoder: Encoder
    masks: tuple[Mask, ...]
    audio: bool
    analytics: tuple[str, ...]
    services_disabled: tuple[str, ...]
    night_mode: str


@dataclass
class Live:
    """What the camera reports; None where the device does not expose the setting."""

    datetime_type: str | None = None
    timezone: str | None = None
    ntp_from_dhcp: bool | None = None
    ntp_servers: tuple[str, ...] | None = None
    users: dict[str, str] | None = None            # name → level
    encoder: Encoder | None = None
    encoder_token: str = ""
    masks: tuple[Mask, ...] | None = None          # None: no Media2 mask service
    mask_tokens: dict[tuple[float, float, float, float], str] = field(default_factory=dict)


class CameraFileError(ValueError):
    """The rendered camera file cannot be read (names the field)."""


def parse_desired(text: str) -> Desired:
    """Desired settings from a rendered camera file."""
    try:
        d: Any = yaml.safe_load(text)
        enc = d["encoder"]
        return Desired(
            name=str(d["name"]), role=str(d["role"]),
            timezone=str(d["time"]["timezone"]),
            ntp_servers=tuple(str(s) for s in d["time"]["ntp_servers"]),
            username=str(d["account"]["username"]), password=str(d["account"]["password"]),
            remove_default=bool(d["account"]["remove_default"]),
            encoder=Encoder(str(enc["codec"]).upper(), int(enc["width"]), int(enc["height"]),
                            int(enc["fps"]), int(enc["bitrate_kbps"])),
            masks=tuple(Mask(float(m["x"]), float(m["y"]), float(m["w"]), float(m["h"]))
                        for m in d.get("privacy_masks") or []),
            audio=bool(d.get("audio", False)),
            analytics=tuple(d.get("analytics") or []),
            services_disabled=tuple(d.get("services_disabled") or []),
            night_mode=str(d.get("night_mode", "")))
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise CameraFileError(f"rendered camera file is not usable: {type(exc).__name__}: "
                              f"{exc}") from None


def floor_violations(role: str, enc: Encoder) -> list[tuple[str, str]]:
    """(rule, message) for every legal floor an encoder setting falls below."""
    width, height, fps = stream_floor(role)
    out = []
    if enc.width < width or enc.height < height:
        out.append((size_rule(role), f"resolution {enc.width}×{enc.height} is below the legal "
                                     f"minimum {width}×{height} for a {role} camera"))
    if enc.fps < fps:
        out.append(("CAM-3", f"{enc.fps} fps is below the legal minimum {fps} fps for a "
                             f"{role} camera"))
    return out
