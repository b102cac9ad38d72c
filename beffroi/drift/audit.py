"""Plan and run a drift audit: render each commune once, then check its devices concurrently.

The intent compared is the site's, built once (secrets revealed) and rendered: the very bytes,
destinations and rule ids the roles deploy from (`beffroi/files.py`). The department's own hosts
(`--site crisis-cell`, `--site monitoring`) are compared with theirs (`department.py`).
Devices of every selected site go into one thread pool, so sites are audited concurrently and a
slow or dead device does not hold the others up.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from beffroi.drift import department
from beffroi.drift.redact import redact_result
from beffroi.drift.report import DeviceDrift, Status
from beffroi.drift.switch import check_switch
from beffroi.inventory import KNOWN_HOSTS_FILE, Inventory
from beffroi.render import Output, refuse_invalid, render_intent
from beffroi.secrets import vaulted_values
from network.endpoints import Endpoint, EndpointsError

# A commune's devices (from its intent), then the department's own hosts (from theirs)
KINDS: tuple[str, ...] = ("switch", "camera", "nvr", "firewall", "workstation")
LINUX_KINDS: tuple[str, ...] = ("nvr", "firewall", "workstation")
KINDS += department.KINDS   # the crisis-cell hub, the monitoring host


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
    vaulted: tuple[str, ...] = ()   # the site's vaulted values, masked in every verdict


def _skipped(site: str, device: str, kind: str) -> Callable[[], DeviceDrift]:
    return lambda: DeviceDrift(site, device, kind, Status.SKIPPED,
                               "not in the endpoints file: not part of this lab")


@dataclass(frozen=True)
class Reach:
    """Which addresses an audit may contact: exactly the endpoints it was given, or (given is
    None, production) each device at its inventory address. An empty set of endpoints is
    refused: it would otherwise read as "no restriction"."""

    given: dict[str, Endpoint] | None
    known_hosts: str = ""  # production: host keys checked against the department's file

    def __post_init__(self) -> None:
        if self.given is not None and not self.given:
            raise EndpointsError("the endpoints given list no device: nothing to audit (give a "
                                 "file that maps inventory hosts to addresses)")

    def endpoint(self, ctx: dict[str, Any], kind: str, device: str) -> Endpoint | None:
        """Where to reach `device`, or None when it is not to be contacted (skipped)."""
        return self.at(device, lambda: _default_endpoint(ctx, kind, device))

    def at(self, device: str, default: Callable[[], Endpoint]) -> Endpoint | None:
        """`device`'s endpoint given, or (production) `default()`, its inventory address."""
        if self.given is None:
            return dataclasses.replace(default(), known_hosts=self.known_hosts)
        return self.given.get(device)

    def allowed(self, endpoint: Endpoint) -> bool:
        """True when `endpoint` is one of those given (always true in production)."""
        return self.given is None or any(
            (e.host, e.port) == (endpoint.host, endpoint.port) for e in self.given.values())

    def guard(self, device: str, endpoint: Endpoint) -> Endpoint:
        """`endpoint`, or EndpointsError if it is not one of the endpoints given."""
        if not self.allowed(endpoint):
            raise EndpointsError(f"{device}: refusing to contact {endpoint.host}:"
                                 f"{endpoint.port}, which is not in the endpoints given")
        return endpoint


def plan(inv: Inventory, slugs: list[str], endpoints: dict[str, Endpoint] | None,
         kinds: tuple[str, ...] = KINDS) -> list[Target]:
    """The devices of the selected communes, each with its check bound to its intent.

    With endpoints (a lab, simulators), only the devices they list are contacted, at those
    addresses (the others are skipped); with None, devices are reached at their inventory
    addresses. Every check goes through `Reach.guard` before its connector runs.
    """
    from beffroi.intent import site_intent

    reach = Reach(endpoints, str(inv.root.resolve() / KNOWN_HOSTS_FILE))
    # who may hold sudo on the Linux hosts (role common's administrators)
    admins = frozenset(a.name for a in inv.department.defaults.admins) \
        if inv.department is not None else frozenset()
    targets: list[Target] = []
    for slug in slugs:
        if slug in department.SITES:
            targets += _department_host(inv, slug, reach, admins, kinds)
            continue
        refuse_invalid(inv, slug)
        intent = site_intent(inv, slug, reveal_secrets=True)
        ctx = intent.context()
        vaulted = tuple(vaulted_values(ctx))
        rendered = render_intent(intent, kinds)
        by_device: dict[str, list[tuple[Output, str]]] = {}
        for out, text in rendered.items():
            by_device.setdefault(out.device, []).append((out, text))
        for device, files in by_device.items():
            kind = files[0][0].kind
            if kind not in kinds:
                continue
            endpoint = reach.endpoint(ctx, kind, device)
            if endpoint is None:
                targets.append(Target(slug, device, kind, _skipped(slug, device, kind)))
                continue
            targets.append(Target(slug, device, kind,
                                  _checker(slug, device, kind, ctx, files,
                                           reach.guard(device, endpoint), reach, admins),
                                  in_caller=kind in LINUX_KINDS
                                  and endpoint.host.startswith("@"), vaulted=vaulted))
    return targets


def _department_host(inv: Inventory, site: str, reach: Reach, admins: frozenset[str],
                     kinds: tuple[str, ...]) -> list[Target]:
    """The hub or the monitoring host (none when its kind is not audited), reached at its
    inventory address in production, else only if the endpoints list it."""
    kind = department.KINDS[department.SITES.index(site)]
    if kind not in kinds:
        return []
    host = department.host_intent(inv, site)
    endpoint = reach.at(host.host, lambda: Endpoint(host.address))
    if endpoint is None:
        return [Target(site, host.host, kind, _skipped(site, host.host, kind))]
    return [Target(site, host.host, kind,
                   _checker(site, host.host, kind, host.ctx, host.files,
                            reach.guard(host.host, endpoint), reach, admins),
                   in_caller=endpoint.host.startswith("@"),
                   vaulted=tuple(vaulted_values(host.ctx)))]


def _default_endpoint(ctx: dict[str, Any], kind: str, device: str) -> Endpoint:
    """The inventory's management address of a device (production, no endpoints file)."""
    if kind == "switch":
        return Endpoint(ctx["switch"]["ip"])
    if kind == "camera":
        cam = next(c for c in ctx["cameras"] if device.endswith(c["name"]))
        return Endpoint(cam["ip"], cam["onvif_port"])
    if kind == "nvr":
        return Endpoint(ctx["nvr"]["ip"])
    if kind == "workstation":
        return Endpoint(ctx["workstation"]["ip"])
    return Endpoint(ctx["firewall"]["management_ip"])


def _switch(site: str, device: str, endpoint: Endpoint, **kw: Any) -> DeviceDrift:
    return check_switch(site, kw["ctx"]["switch"], kw["files"][0][1], endpoint)


def _camera(site: str, device: str, endpoint: Endpoint, **kw: Any) -> DeviceDrift:
    from beffroi.drift.camera import check_camera
    return check_camera(site, device, kw["files"][0][1], endpoint)


def _linux(site: str, device: str, endpoint: Endpoint, **kw: Any) -> DeviceDrift:
    from beffroi.drift.linux import check_linux_host
    return check_linux_host(site, device, kw["kind"], kw["files"], kw["ctx"], endpoint,
                            kw.get("admins", frozenset()))


# kind → the function that contacts the device (the only code that opens a connection)
CONNECTORS: dict[str, Callable[..., DeviceDrift]] = {
    "switch": _switch, "camera": _camera, "nvr": _linux, "firewall": _linux,
    "workstation": _linux, **dict.fromkeys(department.KINDS, _linux)}


def _checker(site: str, device: str, kind: str, ctx: dict[str, Any],
             files: list[tuple[Output, str]], endpoint: Endpoint, reach: Reach,
             admins: frozenset[str] = frozenset()) -> Callable[[], DeviceDrift]:
    def check() -> DeviceDrift:
        # checked again when the connection is about to be made, not only when planned
        connect = CONNECTORS[kind]
        return connect(site, device, reach.guard(device, endpoint), kind=kind, ctx=ctx,
                       files=files, admins=admins)
    return check


def _caller_owns_gevent_default_loop() -> None:
    """pyinfra runs on gevent, and only gevent's default loop — the first hub ever made — can
    watch child processes (the @podman connector spawns `podman exec`, in the caller's thread):
    make the caller's hub first, so a pooled SSH check cannot take the default loop."""
    with suppress(ImportError):
        import gevent  # type: ignore[import-untyped]

        gevent.get_hub()


def run(targets: list[Target], workers: int = 16) -> list[DeviceDrift]:
    """Run every check in a thread pool; results in plan order, secrets redacted."""
    _caller_owns_gevent_default_loop()
    def guarded(t: Target) -> DeviceDrift:
        started = time.monotonic()
        try:
            result = t.check()
        except Exception as exc:  # one broken device must not hide the others' verdicts
            result = DeviceDrift(t.site, t.device, t.kind, Status.UNREACHABLE,
                                 f"audit failed: {type(exc).__name__}: {exc}",
                                 seconds=time.monotonic() - started)
        return redact_result(result, t.vaulted)   # the one exit of every verdict
    pooled = [t for t in targets if not t.in_caller]
    done: dict[int, DeviceDrift] = {}
    if pooled:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pooled)))) as pool:
            done = {id(t): r for t, r in zip(pooled, pool.map(guarded, pooled), strict=True)}
    done.update({id(t): guarded(t) for t in targets if t.in_caller})
    return [done[id(t)] for t in targets]
