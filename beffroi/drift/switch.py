"""Switch drift: napalm running config vs the rendered IOS config, as a normalised diff."""

from __future__ import annotations

import time

from beffroi.drift.report import DeviceDrift, Status
from network.endpoints import Endpoint
from network.errors import NetworkError, UnreachableError
from network.switch.driver import Credentials, driver_for


def credentials(switch_ctx: dict[str, object]) -> Credentials:
    """The vaulted switch account of the intent context."""
    creds = switch_ctx.get("credentials") or {}
    assert isinstance(creds, dict)
    return Credentials(str(creds.get("username", "")), str(creds.get("password", "")),
                       str(creds.get("enable_secret", "")))


def check_switch(site: str, switch_ctx: dict[str, object], intended: str, endpoint: Endpoint
                 ) -> DeviceDrift:
    """Compare one switch with its rendered config."""
    device = str(switch_ctx["hostname"])
    started = time.monotonic()
    result = DeviceDrift(site, device, "switch", Status.OK)
    try:
        drv = driver_for(str(switch_ctx["platform"]), device, endpoint, credentials(switch_ctx))
        cmp = drv.compare(intended)
    except UnreachableError as exc:
        result.status, result.detail = Status.UNREACHABLE, str(exc)
    except NetworkError as exc:
        result.status, result.detail = Status.UNREACHABLE, str(exc)
    else:
        result.unverifiable = list(cmp.unverifiable)
        if cmp.in_sync and not cmp.foreign:
            result.detail = "running config matches the intent"
        else:
            changed = sum(1 for line in cmp.diff.splitlines()
                          if line[:1] in "+-" and not line.startswith(("+++", "---")))
            result.status = Status.DRIFTED
            result.diff = cmp.diff + "".join(f"-{line}\n" for line in cmp.foreign
                                             if f"-{line}\n" not in cmp.diff)
            result.detail = f"{changed} line(s) differ from the intent"
            if cmp.foreign:
                result.detail += ("; NET-3: lines of kinds the intent does not render (remove "
                                  "them, or render them from the intent): "
                                  + "; ".join(cmp.foreign))
            # NET-1 VLAN / port isolation; NET-3 what gates access (accounts, vty, SNMP)
            result.rules = list(cmp.rules) or ["NET-1"]
        if cmp.unverifiable:
            result.detail += f"; {len(cmp.unverifiable)} intended line(s) not verifiable on " \
                             "this device"
    result.seconds = time.monotonic() - started
    return result
