"""Blackhole routes on the host for the lab's address pools, while a lab is up.

Added with a high metric: the bridges' connected routes (metric 0, same or longer prefix) win,
so lab traffic flows between containers, and if a bridge is missing a lab packet dies here
instead of leaving the machine by the default route. Several labs may share a route: each
lab's state lists the routes it needs and `lab down` deletes one only when no other lab does.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from ipaddress import IPv4Network
from pathlib import Path

from beffroi.lab.errors import LabError

METRIC = 4242  # ours, and worse than any connected route
ROUTES_FILE = "blackhole-routes"


def _ip(args: list[str]) -> subprocess.CompletedProcess[str]:
    ip = shutil.which("ip")
    if ip is None:
        raise LabError("`ip` (iproute2) is not installed on the host")
    return subprocess.run([ip, *args], capture_output=True, text=True, check=False)


def present(net: IPv4Network) -> bool:
    """True when our blackhole route for net is in the host's main table."""
    out = _ip(["-4", "route", "show", "type", "blackhole", str(net)]).stdout
    return any(f"metric {METRIC}" in line for line in out.splitlines())


def add(nets: Iterable[IPv4Network], state: Path) -> list[IPv4Network]:
    """Ensure a blackhole route per pool; record them in state; return the ones added now."""
    added: list[IPv4Network] = []
    nets = list(nets)
    for net in nets:
        if present(net):
            continue
        res = _ip(["-4", "route", "add", "blackhole", str(net), "metric", str(METRIC)])
        if res.returncode != 0:
            raise LabError(f"cannot add the blackhole route for {net}: {res.stderr.strip()} "
                           "(the lab needs root or CAP_NET_ADMIN on the host)")
        added.append(net)
    state.mkdir(parents=True, exist_ok=True)
    (state / ROUTES_FILE).write_text("".join(f"{n}\n" for n in nets), encoding="utf-8")
    return added


def recorded(state: Path) -> list[IPv4Network]:
    """The blackhole routes a lab's state says it needs."""
    path = state / ROUTES_FILE
    if not path.is_file():
        return []
    return [IPv4Network(line.strip()) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def remove(state: Path, other_states: Iterable[Path]) -> list[IPv4Network]:
    """Delete this lab's blackhole routes unless another lab still needs them."""
    still_needed = {net for other in other_states for net in recorded(other)}
    removed: list[IPv4Network] = []
    for net in recorded(state):
        if net in still_needed or not present(net):
            continue
        res = _ip(["-4", "route", "del", "blackhole", str(net), "metric", str(METRIC)])
        if res.returncode != 0:
            raise LabError(f"cannot delete the blackhole route for {net}: {res.stderr.strip()}")
        removed.append(net)
    (state / ROUTES_FILE).unlink(missing_ok=True)
    return removed


def lift(nets: Iterable[IPv4Network]) -> list[IPv4Network]:
    """Delete our blackholes for nets for a moment (podman checks subnets against routes)."""
    lifted: list[IPv4Network] = []
    for net in nets:
        if present(net):
            _ip(["-4", "route", "del", "blackhole", str(net), "metric", str(METRIC)])
            lifted.append(net)
    return lifted


def restore(nets: Iterable[IPv4Network]) -> None:
    """Put lifted blackholes back (other labs may rely on them)."""
    for net in nets:
        if not present(net):
            _ip(["-4", "route", "add", "blackhole", str(net), "metric", str(METRIC)])
