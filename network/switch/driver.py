"""The switch driver boundary: what every platform driver offers the role and the drift audit.

A driver gets the rendered intended configuration (the template output, the only description of
desired state) and the device's endpoint and credentials. It never invents settings.

Drivers are found by import path (`DRIVERS`), as NAPALM's `get_network_driver` does: this
interface module never imports its drivers, which import it, so there is no import circle.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol, cast

from network.endpoints import Endpoint
from network.errors import NetworkError
from network.switch.profiles import Profile, profile


@dataclass(frozen=True)
class Credentials:
    """Login and enable secret, from the commune's vault."""

    username: str
    password: str
    enable_secret: str = ""


@dataclass
class Comparison:
    """Running vs intended, in the scope the device can represent."""

    device: str
    diff: str                               # unified diff, "" when in sync
    commands: list[str]                     # what apply would send
    unverifiable: tuple[str, ...] = ()      # intended lines this device cannot model
    unmanaged: int = 0                      # running device defaults the intent does not render
    foreign: tuple[str, ...] = ()           # running lines of kinds the intent does not render
    rules: tuple[str, ...] = ()             # rule ids of what differs (NET-1, NET-3)

    @property
    def in_sync(self) -> bool:
        """True when nothing the device can represent differs from the intent."""
        return not self.diff


@dataclass
class ApplyResult:
    """What an apply did (or would do, in check mode)."""

    device: str
    changed: bool
    diff: str
    method: str                             # napalm | netmiko
    commands: list[str] = field(default_factory=list)
    fallback_reason: str = ""               # why napalm's candidate/commit path was not used
    unverifiable: tuple[str, ...] = ()


class SwitchDriver(Protocol):
    """One platform's way to read and converge a switch."""

    def running_config(self) -> str:
        """The device's running configuration as text."""
        ...

    def compare(self, intended: str) -> Comparison:
        """Running vs the rendered intent."""
        ...

    def apply(self, intended: str, check: bool = False) -> ApplyResult:
        """Converge the device to the rendered intent; in check mode only report."""
        ...


class DriverFactory(Protocol):
    """What a driver class is called with."""

    def __call__(self, device: str, endpoint: Endpoint, creds: Credentials, profile: Profile,
                 timeout: float = 10.0) -> SwitchDriver:
        """A driver of one device."""
        ...


# platform → "module:Class"; imported only when a device of that platform is driven.
DRIVERS: dict[str, str] = {
    "ios": "network.switch.ios:IosDriver",        # napalm / netmiko over SSH
    "junos": "network.switch.junos:JunosDriver",  # NETCONF (ncclient)
}


def driver_class(platform: str, device: str) -> DriverFactory:
    """The driver class of a platform, imported from its path in `DRIVERS`."""
    path = DRIVERS.get(platform)
    if path is None:
        raise NetworkError(device, f"no driver for platform {platform!r}: the ProCurve template "
                           "renders, but no ProCurve simulator exists here to prove a driver "
                           "against (docs/network.md)")
    module_name, _, class_name = path.partition(":")
    return cast(DriverFactory, getattr(importlib.import_module(module_name), class_name))


def driver_for(platform: str, device: str, endpoint: Endpoint, creds: Credentials,
               timeout: float = 10.0) -> SwitchDriver:
    """The driver of a platform: `ios` (napalm/netmiko), `junos` (NETCONF); `procurve` has a
    template but no driver (no simulator to prove one against)."""
    prof: Profile = profile(endpoint.profile)
    return driver_class(platform, device)(device, endpoint, creds, prof, timeout)
