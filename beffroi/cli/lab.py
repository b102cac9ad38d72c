"""`beffroi lab`: the lab of real hosts (podman systemd containers addressed from the model)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from beffroi.cli.output import console, err_console
from beffroi.lab.errors import LabError
from beffroi.lab.topology import DEFAULT_LAB, DEFAULT_SITES

lab_app = typer.Typer(help="lab commands.", no_args_is_help=True)

NameOpt = Annotated[str, typer.Option("--name", "-n", help="Lab name (label beffroi.lab).")]
InventoryOpt = Annotated[Path, typer.Option("--inventory", "-i", help="Inventory directory.")]
SiteOpt = Annotated[list[str] | None, typer.Option(
    "--site", "-s", help="Commune slug (repeatable); default evrange.")]


def _fail(exc: LabError) -> typer.Exit:
    err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str], None]]:
    """A rich spinner whose text follows the current step (debootstrap lines included)."""
    with console.status(title) as status:
        def update(line: str) -> None:
            status.update(f"{title}: {line[:100]}")
        yield update


@lab_app.command()
def image(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="debootstrap again even if "
                                          "the tarball is cached.")] = False,
) -> None:
    """Build (debootstrap) or import the lab image localhost/beffroi-lab:bookworm-<recipe>."""
    from beffroi.lab.image import ensure_image

    try:
        with _progress("lab image") as progress:
            res = ensure_image(progress, rebuild=rebuild)
    except LabError as exc:
        raise _fail(exc) from None
    how = {"present": "already present (warm)", "imported": "imported from the cached tarball",
           "built": "built with debootstrap (cold)"}[res.source]
    console.print(f"[green]✔[/] {res.name} {how} in {res.seconds:.1f} s")
    console.print(f"  tarball: {res.tarball}")


@lab_app.command()
def up(
    site: SiteOpt = None,
    name: NameOpt = DEFAULT_LAB,
    inventory: InventoryOpt = Path("inventories/moselle"),
) -> None:
    """Create the lab: VLAN + WAN networks, firewall, NVR, camera test host, crisis cell, and
    the commune's switch and cameras as simulators at their model addresses (fake-switches;
    ONVIF ipycam + RTSP of a clip pre-encoded at each camera's declared size and rate)."""
    from beffroi.findings import BeffroiError
    from beffroi.inventory import load_inventory
    from beffroi.lab.lifecycle import up as lab_up
    from beffroi.lab.topology import build_topology

    try:
        inv = load_inventory(inventory)
        topo = build_topology(inv, name, site or list(DEFAULT_SITES))
        with _progress(f"lab {name} up") as progress:
            res = lab_up(topo, progress, inv=inv)
    except (LabError, BeffroiError) as exc:
        raise _fail(LabError(str(exc))) from None
    console.print(f"[green]✔[/] lab {name} up in {res.seconds:.1f} s "
                  f"(image {res.image_source}; {len(res.created)} object(s) created)")
    _print_hosts(name)
    if res.simulators:
        console.print(f"device simulators started: {', '.join(res.simulators)}")
    console.print(f"SSH key: {res.key}")
    console.print(f"drift endpoints (every device): {res.endpoints}")
    console.print(f"Ansible inventory override: [bold]{res.inventory}[/]")
    groups = " ".join(f"-l commune_{s.replace('-', '_')}" for s in topo.sites[:1])
    # the lab's own configuration (test vault password, lab overrides), never ./ansible.cfg
    console.print(f"  ANSIBLE_CONFIG=lab/ansible.cfg ansible-playbook -i {inventory} "
                  f"-i lab/inventory -i {res.inventory} playbooks/site.yml {groups}",
                  soft_wrap=True)


@lab_app.command()
def down(name: NameOpt = DEFAULT_LAB) -> None:
    """Remove exactly what `lab up` created (label beffroi.lab=NAME) and its host routes."""
    from beffroi.lab.lifecycle import down as lab_down

    try:
        with _progress(f"lab {name} down") as progress:
            res = lab_down(name, progress)
    except LabError as exc:
        raise _fail(exc) from None
    console.print(f"[green]✔[/] lab {name} down in {res.seconds:.1f} s: "
                  f"{len(res.containers)} container(s), {len(res.networks)} network(s), "
                  f"{len(res.routes)} host route(s), {len(res.simulators)} simulator(s) removed")


def _print_json(name: str) -> None:
    from beffroi.lab.access import KEY_NAME
    from beffroi.lab.lifecycle import inventory_path
    from beffroi.lab.lifecycle import status as lab_status
    from beffroi.lab.paths import state_dir

    hosts = [dataclasses.asdict(r) for r in lab_status(name)]
    print(json.dumps({"lab": name, "key": str(state_dir(name) / KEY_NAME),
                      "inventory": str(inventory_path(name)), "hosts": hosts}, indent=2))


def _print_hosts(name: str) -> int:
    from beffroi.lab.lifecycle import status as lab_status

    rows = lab_status(name)
    table = Table(title=f"lab {name} (containers {name}-<host>)")
    for col in ("host", "kind", "state", "systemd / simulators", "SSH / device", "addresses"):
        table.add_column(col, no_wrap=col != "addresses")
    for r in rows:
        colour = "green" if r.systemd in ("running", "degraded") or (
            "pid" in r.systemd and "stopped" not in r.systemd) else "red"
        addrs = "\n".join(f"{ip} {net.removeprefix(name + '-')}"
                          for net, ip in r.addresses.items())
        table.add_row(r.hostname, r.kind, r.state, f"[{colour}]{r.systemd}[/]", r.ssh_host,
                      addrs)
    console.print(table)
    return len(rows)


@lab_app.command()
def status(
    name: NameOpt = DEFAULT_LAB,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable (Molecule's "
                                          "create.yml reads it).")] = False,
) -> None:
    """Hosts of the lab, their addresses and systemd state."""
    try:
        if as_json:
            _print_json(name)
            return
        count = _print_hosts(name)
    except LabError as exc:
        raise _fail(exc) from None
    if count == 0:
        console.print(f"lab {name} is down (no container labelled beffroi.lab={name})")
