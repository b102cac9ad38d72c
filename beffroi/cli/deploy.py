"""`beffroi deploy --site SLUG`: converge a commune — Linux hosts, switch, cameras, operator
workstation — then the department's crisis cell and monitoring host."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from beffroi.cli.output import console, err_console
from beffroi.lab.topology import DEFAULT_LAB


def deploy(
    site: Annotated[str, typer.Option("--site", "-s", help="Commune slug, e.g. evrange.")],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Inventory directory.")]
    = Path("inventories/moselle"),
    lab: Annotated[str, typer.Option("--lab", help="Lab name (`beffroi lab up --name`).")]
    = DEFAULT_LAB,
    production: Annotated[bool, typer.Option(
        "--production", help="A real department: ./ansible.cfg and the inventory's own "
        "addresses (vault password from ANSIBLE_VAULT_PASSWORD_FILE). Without it, deploy "
        "targets the lab and refuses when the lab is not up: nothing is contacted.")] = False,
    logs: Annotated[Path | None, typer.Option(
        "--logs", help="Folder of the plays' logs (default out/deploy/<slug>).")] = None,
) -> None:
    """Run the plays in order — Linux hosts (playbooks/site.yml), switch and cameras
    (playbooks/network.yml), operator workstation (playbooks/workstation.yml), crisis cell
    (playbooks/crisis_cell.yml), department monitoring (playbooks/monitoring.yml) — with
    progress, then a recap per play. Stops at the first failing play.

    Exit codes: 0 every play succeeded; 1 a play failed (see its log); 2 usage error or refused
    (lab not up, unknown site).
    """
    from beffroi.deploy import DeployRefused, lab_target, production_target
    from beffroi.deploy import deploy as run_deploy
    from beffroi.findings import BeffroiError
    from beffroi.inventory import load_inventory
    from beffroi.lab.errors import LabError

    try:
        inv = load_inventory(inventory)
        if site not in inv.sites:
            raise DeployRefused(f"unknown commune {site} in {inventory}; known: "
                                f"{', '.join(sorted(inv.sites))}")
        target = production_target(inventory) if production else lab_target(inventory, lab,
                                                                             site)
    except (DeployRefused, LabError, BeffroiError) as exc:
        err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    runs = run_deploy(site, target, logs or Path("out") / "deploy" / site, console)
    for run in runs:
        table = Table(title=f"{run.name} — {run.playbook} ({run.seconds:.0f} s, log {run.log})",
                      title_justify="left")
        for col in ("host", "ok", "changed", "unreachable", "failed", "skipped"):
            table.add_column(col, justify="left" if col == "host" else "right")
        for host, r in sorted(run.recap.items()):
            table.add_row(host, str(r.ok), str(r.changed), str(r.unreachable),
                          f"[red]{r.failed}[/]" if r.failed else "0", str(r.skipped))
        console.print(table)
    failed = next((r for r in runs if r.rc != 0), None)
    if failed is not None:
        console.print(f"[red]deploy stopped: {failed.name} failed (exit {failed.rc}); "
                      f"see {failed.log}[/]", soft_wrap=True)
        raise typer.Exit(1)
    total = sum(r.changed for r in runs)
    console.print(f"[green]✔[/] {site} deployed: {len(runs)} plays, changed={total}")
