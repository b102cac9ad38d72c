"""What a given kind of switch can represent: a real IOS device, or the fake-switches simulator.

A profile lists the intended lines a device is known not to model. Those lines are neither
pushed nor compared, and every report names them as "not verifiable on this device" so nobody
mistakes a simulator's silence for compliance. A real device uses the empty profile: every
intended line is pushed and checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """A device family's known limits."""

    name: str
    unmodelled: tuple[re.Pattern[str], ...] = field(default_factory=tuple)
    note: str = ""


def _p(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


PROFILES: dict[str, Profile] = {
    "cisco-ios": Profile("cisco-ios"),
    # fake-switches 1.5.0 models VLANs, interfaces (description, switchport, shutdown) and SVI
    # addresses only; every other line answers "No such command" (see docs/network.md).
    "fake-switches": Profile(
        "fake-switches",
        unmodelled=_p(r"^hostname ", r"^(no )?ip http", r"^(no )?cdp ", r"^service ",
                      r"^ip domain", r"^ip default-gateway ", r"^ntp ", r"^logging ",
                      r"^line ", r"^transport ", r"^switchport port-security"),
        note="fake-switches 1.5.0: no hostname/NTP/syslog/http/vty/port-security commands; "
             "no flash file system, archive or SCP, so napalm cannot load a candidate"),
    # fake-switches 1.5.0 juniper_generic over NETCONF: VLANs (name, vlan-id) and interfaces
    # (description, disable, ethernet-switching port-mode and numeric vlan members) only
    "fake-switches-junos": Profile(
        "fake-switches-junos",
        unmodelled=_p(r"^set system ", r"^set ethernet-switching-options ",
                      r"^set interfaces vlan ", r"^set vlans \S+ l3-interface ",
                      r"^set routing-options "),
        note="fake-switches 1.5.0 juniper: no system/routing/port-security statements, no "
             "SVI; commit confirmed accepted but not timed"),
}


def profile(name: str) -> Profile:
    """The named profile; an empty name is a real Cisco IOS device."""
    try:
        return PROFILES[name or "cisco-ios"]
    except KeyError:
        raise ValueError(f"unknown switch profile {name!r}; known: {', '.join(PROFILES)}"
                         ) from None
