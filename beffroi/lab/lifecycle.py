"""`lab up`, `lab down`, `lab status`: create, remove and show what a lab is made of.

Everything created carries the label `beffroi.lab=<lab>`; `down` removes only what has it.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from beffroi.inventory import Inventory
from beffroi.lab import access, devices, hostroutes, podman
from beffroi.lab.errors import LabError
from beffroi.lab.image import IMAGE_NAME, ensure_image
from beffroi.lab.paths import cache_dir, state_dir
from beffroi.lab.topology import HostSpec, NetworkSpec, Topology

Progress = Callable[[str], None]


@dataclass
class UpResult:
    """What `up` did and where Ansible finds the hosts."""

    inventory: Path
    key: Path
    image_source: str
    created: list[str] = field(default_factory=list)
    seconds: float = 0.0
    simulators: list[str] = field(default_factory=list)  # device simulators started now
    endpoints: Path | None = None  # every device of the lab, for `beffroi drift --endpoints`


@dataclass
class DownResult:
    """What `down` removed."""

    containers: list[str]
    networks: list[str]
    routes: list[IPv4Network]
    seconds: float = 0.0
    simulators: list[int] = field(default_factory=list)  # pids of the simulators killed


@dataclass(frozen=True)
class HostStatus:
    """One lab container as it runs now."""

    container: str
    hostname: str
    kind: str
    site: str
    state: str
    addresses: dict[str, str]
    systemd: str
    ssh_host: str


def _labels(lab: str, **extra: str) -> list[str]:
    args = ["--label", f"{podman.LABEL}={lab}"]
    for key, value in extra.items():
        args += ["--label", f"{podman.LABEL}.{key}={value}"]
    return args


def _owned_by(labels: dict[str, str] | None, lab: str) -> bool:
    return bool(labels) and (labels or {}).get(podman.LABEL) == lab


def _ensure_network(net: NetworkSpec, lab: str) -> bool:
    """Create an --internal network (no route out, not routed by the host); True if new."""
    if podman.network_exists(net.name):
        info = podman.inspect_network(net.name)
        if not _owned_by(info.get("labels"), lab):
            raise LabError(f"network {net.name} exists but does not belong to lab {lab}: "
                           "remove it or choose another --name")
        subnets = [s.get("subnet") for s in info.get("subnets") or []]
        if str(net.subnet) not in subnets:
            raise LabError(f"network {net.name} has subnet {subnets}, the model says "
                           f"{net.subnet}: run `beffroi lab down --name {lab}` then up again")
        return False
    extra = {"role": net.role, **({"site": net.site} if net.site else {})}
    podman.run(["network", "create", "--internal", "--disable-dns",
                "--subnet", str(net.subnet), "--gateway", str(net.gateway),
                *_labels(lab, **extra), net.name])
    return True


def _check_free(wanted: list[NetworkSpec], lab: str) -> None:
    """One lab per subnet on a machine: name the network (and lab) already holding it."""
    for existing in podman.networks():
        for sub in existing.get("subnets") or []:
            taken = IPv4Network(str(sub.get("subnet")), strict=False)
            for net in wanted:
                if net.subnet.overlaps(taken):
                    owner = (existing.get("labels") or {}).get(podman.LABEL)
                    who = f" of lab {owner}" if owner else ""
                    hint = (f"take it down first: `beffroi lab down --name {owner}`" if owner
                            else "remove that network or change the site's addressing")
                    raise LabError(
                        f"subnet {net.subnet} (network {net.name} of lab {lab}) is already used "
                        f"by podman network {existing.get('name')}{who} ({taken}): the lab uses "
                        f"the model's own subnets, so one lab per commune at a time; {hint}")


def _run_args(host: HostSpec, lab: str, image: str) -> list[str]:
    args = ["run", "-d", "--name", host.container, "--hostname", host.hostname,
            *_labels(lab, host=host.hostname, kind=host.kind, site=host.site or "",
                    ssh=str(host.ssh_ip)),
            "--systemd=always", "--cap-add", "NET_ADMIN", "--device", "/dev/net/tun"]
    if host.forwarding:
        args += ["--sysctl", "net.ipv4.ip_forward=1"]
    for att in host.attachments:
        args += ["--network", f"{att.network}:ip={att.ip}"]
    return [*args, image, "/lib/systemd/systemd"]


def _ensure_container(host: HostSpec, lab: str, image: str) -> bool:
    """Run the systemd container, or start it if stopped; True if newly created."""
    if podman.container_exists(host.container):
        info = podman.inspect_container(host.container)
        if not _owned_by((info.get("Config") or {}).get("Labels"), lab):
            raise LabError(f"container {host.container} exists but does not belong to lab "
                           f"{lab}: remove it or choose another --name")
        if not (info.get("State") or {}).get("Running"):
            podman.run(["start", host.container])
        return False
    podman.run(_run_args(host, lab, image))
    return True


def _apply_routes(host: HostSpec) -> None:
    for route in host.routes:
        podman.exec_in(host.container, ["ip", "route", "replace", route.dst, "via",
                                        str(route.via)])


def _other_states(lab: str) -> list[Path]:
    """State dirs of the other labs that still exist in podman (stale dirs do not count)."""
    root = cache_dir() / "labs"
    if not root.is_dir():
        return []
    return [p for p in root.iterdir() if p.is_dir() and p.name != lab
            and (podman.containers_with_label(podman.LABEL, p.name)
                 or podman.networks_with_label(podman.LABEL, p.name))]


@contextmanager
def _exclusive() -> Iterator[None]:
    """One `up`/`down` at a time on this machine: labs share host routes and podman state."""
    root = cache_dir() / "labs"
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def up(topo: Topology, progress: Progress, image: str = IMAGE_NAME,
       inv: Inventory | None = None) -> UpResult:
    """Create (or complete) the lab; rerunning it changes nothing that is already right.

    With the inventory, the commune's switch and cameras are in the lab too (simulators at
    their model addresses, beffroi/lab/devices.py); without it, only the Linux hosts.
    """
    with _exclusive():
        return _up(topo, progress, image, inv)


def _up(topo: Topology, progress: Progress, image: str, inv: Inventory | None) -> UpResult:
    start = time.monotonic()
    podman.require_podman()
    img = ensure_image(progress, name=image)
    state = state_dir(topo.lab)
    key = access.ensure_key(state, topo.lab)
    created: list[str] = []
    missing = [n for n in topo.networks if not podman.network_exists(n.name)]
    _check_free(missing, topo.lab)
    # podman refuses a subnet a host route covers: lift our blackholes while creating.
    lifted = hostroutes.lift(topo.blackholes) if missing else []
    try:
        for net in topo.networks:
            progress(f"network {net.name} ({net.subnet})")
            if _ensure_network(net, topo.lab):
                created.append(net.name)
    finally:
        hostroutes.restore(lifted)
    progress("blackhole routes for the lab pools")
    hostroutes.add(topo.blackholes, state)
    for host in topo.hosts:
        progress(f"container {host.container}")
        if _ensure_container(host, topo.lab, image):
            created.append(host.container)
    for host in topo.hosts:
        progress(f"routes and SSH key on {host.container}")
        _apply_routes(host)
        access.authorize(host.container, key)
    sims: list[str] = []
    if inv is not None and topo.devices:
        progress("switch and camera containers")
        created += devices.ensure_containers(topo, image)
        sims = devices.start(topo, inv, progress)
    else:
        topo = Topology(topo.lab, topo.sites, topo.networks, topo.hosts, topo.blackholes)
    progress("waiting for sshd on every host")
    access.wait_for_sshd(topo.hosts)
    inventory = access.write_inventory(topo, state, key)
    endpoints = access.write_endpoints(topo, state, key)
    return UpResult(inventory, key, img.source, created, time.monotonic() - start, sims,
                    endpoints)


def down(lab: str, progress: Progress) -> DownResult:
    """Remove the containers, networks and host routes labelled for this lab, nothing else."""
    with _exclusive():
        return _down(lab, progress)


def _down(lab: str, progress: Progress) -> DownResult:
    start = time.monotonic()
    progress("stopping the device simulators")
    killed = devices.stop(lab)
    containers = [c["Names"][0] for c in podman.containers_with_label(podman.LABEL, lab)]
    if containers:
        progress(f"removing {len(containers)} container(s)")
        podman.run(["rm", "-f", "-t", "0", *containers])
    networks = podman.networks_with_label(podman.LABEL, lab)
    if networks:
        progress(f"removing {len(networks)} network(s)")
        podman.run(["network", "rm", *networks])
    state = state_dir(lab)
    routes = hostroutes.remove(state, _other_states(lab))
    if state.is_dir():
        shutil.rmtree(state)
    return DownResult(containers, networks, routes, time.monotonic() - start, killed)


def _addresses(info: dict[str, Any]) -> dict[str, str]:
    nets = ((info.get("NetworkSettings") or {}).get("Networks") or {})
    return {name: str(n.get("IPAddress", "")) for name, n in sorted(nets.items())}


def status(lab: str) -> list[HostStatus]:
    """The lab's containers with their addresses and systemd state."""
    rows: list[HostStatus] = []
    sims = devices.running(lab)
    for entry in podman.containers_with_label(podman.LABEL, lab):
        name = entry["Names"][0]
        info = podman.inspect_container(name)
        labels: dict[str, str] = (info.get("Config") or {}).get("Labels") or {}
        state = str((info.get("State") or {}).get("Status", "?"))
        systemd = "-"
        kind = labels.get(f"{podman.LABEL}.kind", "?")
        if kind in ("switch", "camera"):
            # a device: no systemd, its simulators run on the host in its namespace
            host = labels.get(f"{podman.LABEL}.host", name)
            systemd = ", ".join(sims.get(host, [])) or "no simulator"
        elif state == "running":
            res = podman.exec_in(name, ["systemctl", "is-system-running"], check=False,
                                 timeout=30)
            systemd = res.stdout.strip() or res.stderr.strip() or "?"
        rows.append(HostStatus(name, labels.get(f"{podman.LABEL}.host", name),
                               labels.get(f"{podman.LABEL}.kind", "?"),
                               labels.get(f"{podman.LABEL}.site", ""), state,
                               _addresses(info), systemd,
                               labels.get(f"{podman.LABEL}.ssh", "")))
    return sorted(rows, key=lambda r: (r.site, r.kind, r.container))


def inventory_path(lab: str) -> Path:
    """Where `up` writes the Ansible inventory override of this lab."""
    return state_dir(lab) / access.INVENTORY_DIR
