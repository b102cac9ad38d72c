"""Plan and run a drift audit: render each commune once, then check its devices concurrently.

The intent compared is `render_site(..., reveal_secrets=True)`: the very bytes the roles deploy.
Devices of every selected site go into one thread pool, so sites are audited concurrently and a
slow or dead device does not hold the others up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from beffroi.drift.report import DeviceDrift, Status
from beffroi.drift.switch import check_switch
from beffroi.inventory import Inventory
from beffroi.render import Output, render_site
from network.endpoints import Endpoint

KINDS = ("switch", "camera", "nvr", "firewall")


@dataclass(frozen=True)
class Target:
    """One device to audit and how."""

    site: str
    device: str
    kind: str
    check: Callable[[], DeviceDrift]
    # pyinfra connectors that spawn processes (@podman/…, @local) need gevent's default loop,
    # which lives only in the main thread: such checks run there, one after the other
    in_caller: bool = False


def _skipped(site: str, device: str, kind: str) -> Callable[[], DeviceDrift]:
    return lambda: DeviceDrift(site, device, kind, Status.SKIPPED,
                               "not in the endpoints file: not part of this lab")


def plan(inv: Inventory, slugs: list[str], endpoints: dict[str, Endpoint],
         kinds: tuple[str, ...] = KINDS) -> list[Target]:
    """The devices of the selected communes, each with its check bound to its intent.

    With an endpoints file, only the devices it lists are contacted (the others are skipped);
    without one, devices are reached at their inventory addresses.
    """
    from beffroi.intent import site_intent

    targets: list[Target] = []
    for slug in slugs:
        ctx = site_intent(inv, slug, reveal_secrets=True).context()
        rendered = render_site(inv, slug, reveal_secrets=True)
        by_device: dict[str, list[tuple[Output, str]]] = {}
        for out, text in rendered.items():
            by_device.setdefault(out.device, []).append((out, text))
        for device, files in by_device.items():
            kind = files[0][0].kind
            if kind not in kinds:
                continue
            endpoint = endpoints.get(device) if endpoints else _default_endpoint(ctx, kind,
                                                                                 device)
            if endpoint is None:
                targets.append(Target(slug, device, kind, _skipped(slug, device, kind)))
                continue
            targets.append(Target(slug, device, kind,
                                  _checker(slug, device, kind, ctx, files, endpoint),
                                  in_caller=kind in ("nvr", "firewall")
                                  and endpoint.host.startswith("@")))
    return targets


def _default_endpoint(ctx: dict[str, Any], kind: str, device: str) -> Endpoint:
    """The inventory's management address of a device (production, no endpoints file)."""
    if kind == "switch":
        return Endpoint(ctx["switch"]["ip"])
    if kind == "camera":
        cam = next(c for c in ctx["cameras"] if device.endswith(c["name"]))
        return Endpoint(cam["ip"], cam["onvif_port"])
    if kind == "nvr":
        return Endpoint(ctx["nvr"]["ip"])
    return Endpoint(ctx["firewall"]["management_ip"])


def _checker(site: str, device: str, kind: str, ctx: dict[str, Any],
             files: list[tuple[Output, str]], endpoint: Endpoint) -> Callable[[], DeviceDrift]:
    if kind == "switch":
        return lambda: check_switch(site, ctx["switch"], files[0][1], endpoint)
    if kind == "camera":
        from beffroi.drift.camera import check_camera
        return lambda: check_camera(site, device, files[0][1], endpoint)
    from beffroi.drift.linux import check_linux_host
    return lambda: check_linux_host(site, device, kind, files, ctx, endpoint)


def run(targets: list[Target], workers: int = 16) -> list[DeviceDrift]:
    """Run every check in a thread pool; results in plan order."""
    def guarded(t: Target) -> DeviceDrift:
        started = time.monotonic()
        try:
            return t.check()
        except Exception as exc:  # one broken device must not hide the others' verdicts
            return DeviceDrift(t.site, t.device, t.kind, Status.UNREACHABLE,
                               f"audit failed: {type(exc).__name__}: {exc}",
                               seconds=time.monotonic() - started)
    pooled = [t for t in targets if not t.in_caller]
    done: dict[int, DeviceDrift] = {}
    if pooled:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pooled)))) as pool:
            done = {id(t): r for t, r in zip(pooled, pool.map(guarded, pooled), strict=True)}
    done.update({id(t): guarded(t) for t in targets if t.in_caller})
    return [done[id(t)] for t in targets]
