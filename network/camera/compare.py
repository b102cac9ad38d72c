"""A camera's live state vs its rendered settings: each difference with its rule id.

Shared by the drift read-back (`readback.py`, plain SOAP) and the converge (`camera.py`,
onvif-zeep-async): both compare the same `Live` with the same `Desired`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from network.camera.model import UTC_NAMES, Desired, Live, floor_violations

ADMINISTRATOR = "Administrator"   # the vaulted account's ONVIF level (NET-3)
# settings of the rendered file that ONVIF Profile S cannot read back (reported, not checked)
NOT_IN_ONVIF = {
    "audio": "CAM-6", "analytics": "CAM-6", "night_mode": "CAM-7",
    "services_disabled": "NET-3",
}


@dataclass(frozen=True)
class Difference:
    """One setting that differs: which rule it serves, intended vs live."""

    rule: str
    field: str
    want: str
    have: str


@dataclass
class CameraCheck:
    """A camera's live state compared with its rendered settings."""

    device: str
    differences: list[Difference] = field(default_factory=list)
    fail_closed: list[tuple[str, str]] = field(default_factory=list)   # (rule, why)
    intrusions: list[tuple[str, str]] = field(default_factory=list)    # (rule, what answers)
    below_floor: list[tuple[str, str]] = field(default_factory=list)   # live under the law
    unverifiable: list[str] = field(default_factory=list)
    diff: str = ""

    @property
    def rules(self) -> list[str]:
        """Compliance ids at stake, sorted, without repeats."""
        ids = {d.rule for d in self.differences} | {r for r, _ in self.fail_closed}
        ids |= {r for r, _ in self.intrusions}
        return sorted(ids | {r for r, _ in self.below_floor})

    @property
    def in_sync(self) -> bool:
        """Nothing differs and every legally required setting could be read."""
        return not self.differences and not self.fail_closed and not self.intrusions


def _view(d: Desired | None, live: Live | None) -> dict[str, str]:
    """The comparable settings as `field: value` strings (both sides the same shape)."""
    if d is not None:
        e = d.encoder
        return {"time.mode": "NTP", "time.timezone": "UTC",
                "time.ntp_servers": ", ".join(d.ntp_servers), "time.ntp_from_dhcp": "false",
                "accounts": f"{d.username} ({ADMINISTRATOR})" + ("" if d.remove_default
                                                                  else ", …"),
                "encoder.codec": e.codec, "encoder.resolution": f"{e.width}x{e.height}",
                "encoder.fps": str(e.fps), "encoder.bitrate_kbps": str(e.bitrate_kbps),
                "privacy_masks": _masks(sorted(m.key() for m in d.masks))}
    assert live is not None
    tz = (live.timezone or "?").upper()
    enc = live.encoder
    return {"time.mode": str(live.datetime_type),
            "time.timezone": "UTC" if tz in UTC_NAMES else str(live.timezone),
            "time.ntp_servers": "?" if live.ntp_servers is None else ", ".join(live.ntp_servers),
            "time.ntp_from_dhcp": str(live.ntp_from_dhcp).lower(),
            "accounts": "?" if live.users is None
            else ", ".join(f"{u} ({lvl})" for u, lvl in sorted(live.users.items())),
            "encoder.codec": enc.codec if enc else "?",
            "encoder.resolution": f"{enc.width}x{enc.height}" if enc else "?",
            "encoder.fps": str(enc.fps) if enc else "?",
            "encoder.bitrate_kbps": str(enc.bitrate_kbps) if enc else "?",
            "privacy_masks": "?" if live.masks is None
            else _masks(sorted(m.key() for m in live.masks))}


def _masks(keys: list[tuple[float, float, float, float]]) -> str:
    return "; ".join(f"x={x} y={y} w={w} h={h}" for x, y, w, h in keys) or "none"


def _rule(field_name: str, role: str) -> str:
    if field_name.startswith("time."):
        return "TIME-1"
    if field_name == "accounts":
        return "NET-3"
    if field_name in ("encoder.resolution", "encoder.codec"):
        return "CAM-1" if role == "narrow" else "CAM-2"
    if field_name == "encoder.fps":
        return "CAM-3"
    if field_name == "encoder.bitrate_kbps":
        return "CAM-8"
    return "CAM-5"


def compare(device: str, want: Desired, live: Live) -> CameraCheck:
    """Field-by-field comparison, the rule id of each difference, and a unified diff."""
    check = CameraCheck(device)
    a, b = _view(want, None), _view(None, live)
    for key, value in a.items():
        if key == "accounts" and not want.remove_default:
            if (live.users or {}).get(want.username) != ADMINISTRATOR:
                check.differences.append(Difference("NET-3", key, value, b[key]))
            continue
        if b[key] != value and b[key] != "?":
            check.differences.append(Difference(_rule(key, want.role), key, value, b[key]))
    if live.encoder is None:
        check.fail_closed.append(("CAM-3", "the device does not report its encoder "
                                           "configuration: resolution and fps (CAM-1..3) "
                                           "cannot be verified"))
    else:
        check.below_floor = floor_violations(want.role, live.encoder)
    if want.masks and live.masks is None:
        check.fail_closed.append(("CAM-5", "the device exposes no privacy-mask service "
                                           "(ONVIF Media2): the declared masks cannot be "
                                           "verified"))
    if live.ntp_servers is None:
        check.unverifiable.append("time.ntp_servers (TIME-1): no GetNTP on this device")
    check.unverifiable += [f"{k} ({rule}): not readable over ONVIF Profile S"
                           for k, rule in NOT_IN_ONVIF.items()]
    check.diff = "".join(difflib.unified_diff(
        [f"{k}: {v}\n" for k, v in b.items()], [f"{k}: {v}\n" for k, v in a.items()],
        f"{device} (live)", f"{device} (intended)", n=0))
    return check
