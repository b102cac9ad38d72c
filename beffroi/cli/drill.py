"""`beffroi drill`: fault drills, each printing what it did, checked and measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from beffroi.cli.output import console
from beffroi.lab.topology import DEFAULT_LAB


def drill(
    names: Annotated[list[str] | None, typer.Argument(help="Drills to run (default: every "
                                                      "loopback drill).")] = None,
    lab: Annotated[bool, typer.Option("--lab", help="Run the lab drills too (nvr-restart, "
                                      "wan-cut, crisis-cell-stopped): they need a lab brought "
                                      "up AND deployed (`beffroi demo --lab`, or `beffroi lab "
                                      "up` then `beffroi deploy`).")] = False,
    name: Annotated[str, typer.Option("--name", help="Lab the lab drills act on (as `beffroi "
                                      "lab up --name`).")] = DEFAULT_LAB,
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Inventory the lab was "
                                            "built from.")] = Path("inventories/moselle"),
    site: Annotated[str, typer.Option("--site", "-s", help="Deployed commune the lab drills "
                                      "act on.")] = "evrange",
    list_only: Annotated[bool, typer.Option("--list", help="List the drills.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Run fault drills; exit 0 when every drill run passed, 1 otherwise.

    Without --lab (`make drill-loopback`): the loopback drills, on real parts on 127.0.0.1
    (camera stream, recorder restart, disk full, UPS low battery, clock step); they need no
    lab. With --lab, the lab drills too, on the commune a running lab has deployed.
    """
    from beffroi.drills import lab as lab_drills
    from beffroi.drills.catalog import load_all
    from beffroi.drills.runner import run

    drills = load_all()
    lab_drills.use(lab_drills.LabTarget(inventory, name, site))
    if list_only:
        for d in drills.values():
            console.print(f"{d.name:22} {d.level:9} {d.summary}")
        raise typer.Exit(0)
    unknown = [n for n in names or [] if n not in drills]
    if unknown:
        raise typer.BadParameter(f"unknown drill(s) {', '.join(unknown)}; see --list",
                                 param_hint="NAMES")
    chosen = names or [n for n, d in drills.items() if d.level == "loopback" or lab]
    reports = []
    for name in chosen:
        if fmt == "text":
            console.print(f"[bold]drill {name}[/]: {escape(drills[name].summary)}")
        rep = run(name)
        reports.append(rep)
        if fmt == "text":
            for line in rep.did:
                console.print(f"  did      {escape(line)}")
            for c in rep.checks:
                mark = "[green]✔[/]" if c.ok else "[red]✘[/]"
                console.print(f"  checked  {mark} {escape(c.what)}"
                              + (f" ({escape(c.detail)})" if c.detail else ""), soft_wrap=True)
            for label, secs in rep.recovery.items():
                console.print(f"  recovery {escape(label)}: [bold]{secs:.1f} s[/]")
            if rep.error:
                console.print(f"  [red]error[/] {escape(rep.error)}", soft_wrap=True)
            verdict = "[green]PASS[/]" if rep.passed else "[red]FAIL[/]"
            console.print(f"  {verdict} in {rep.seconds:.0f} s")
    if fmt == "json":
        print(json.dumps([r.to_json() for r in reports], ensure_ascii=False, indent=1))
    else:  # the verdict at a glance, after pages of checks
        failed = [r.name for r in reports if not r.passed]
        console.print(f"[bold]{len(reports) - len(failed)} of {len(reports)} drill(s) passed[/]"
                      + (f"; failed: {escape(', '.join(failed))}" if failed else ""))
    raise typer.Exit(0 if reports and all(r.passed for r in reports) else 1)
