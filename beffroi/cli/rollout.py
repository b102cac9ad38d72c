"""`beffroi rollout`: the department's communes converged in waves by Ansible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from beffroi.cli.output import console, err_console, print_error
from beffroi.findings import BeffroiError
from beffroi.lab.topology import DEFAULT_LAB

InventoryOpt = Annotated[Path, typer.Option("--inventory", "-i", help="Inventory directory.")]


def _print_plan(data: dict[str, object], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"rollout plan: {data['communes']} communes")
    for col in ("wave", "communes", "first", "last"):
        table.add_column(col)
    waves = data["waves"]
    assert isinstance(waves, list)
    for w in waves:
        table.add_row(str(w["wave"]), str(len(w["communes"])), w["communes"][0],
                      w["communes"][-1])
    console.print(table)
    console.print(f"serial {data['serial']}  forks {data['forks']}", soft_wrap=True)


def _print_outcome(data: dict[str, object]) -> None:
    table = Table(title="rollout: per commune")
    for col in ("wave", "commune", "result", "time", "hosts / failure"):
        table.add_column(col)
    communes = data["communes"]
    assert isinstance(communes, list)
    colours = {"ok": "green", "not started": "yellow"}
    for r in communes:
        detail = r["failure"] or ", ".join(f"{h} {s}" for h, s in r["hosts"].items())
        secs = "" if r["seconds"] is None else f"{r['seconds']:.1f} s"
        colour = colours.get(r["result"], "red")
        table.add_row(str(r["wave"]), r["commune"], f"[{colour}]{r['result']}[/]", secs,
                      escape(detail))
    console.print(table)
    console.print(f"ansible-playbook exit {data['ansible_rc']} in {data['seconds']} s; "
                  f"log {data['log']}", soft_wrap=True)


def rollout(
    inventory: InventoryOpt = Path("inventories/moselle"),
    plan_only: Annotated[bool, typer.Option("--plan", help="Compute and print the waves; "
                                            "contact no host.")] = False,
    site: Annotated[list[str] | None, typer.Option(
        "--site", "-s", help="Only these communes (repeatable); default all.")] = None,
    canary: Annotated[int, typer.Option(help="Communes in the first wave.")] = 1,
    wave_size: Annotated[int, typer.Option(help="Communes in each later wave.")] = 25,
    lab: Annotated[str, typer.Option("--lab", help="Lab to deploy on (`beffroi lab up`).")]
    = DEFAULT_LAB,
    lab_inventory: Annotated[Path | None, typer.Option(
        "--lab-inventory", hidden=True, help="A lab inventory override (tests).")] = None,
    production: Annotated[bool, typer.Option(
        "--production", help="Deploy real hosts with ./ansible.cfg (no lab).")] = False,
    state: Annotated[Path | None, typer.Option(
        help="State file of finished communes (default out/rollout/<dept>/state.json).")]
    = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore the state file: converge "
                                        "every commune again.")] = False,
    crisis_cell: Annotated[bool, typer.Option("--crisis-cell/--no-crisis-cell",
                                              help="Converge the hub after the waves.")]
    = True,
    playbook: Annotated[Path | None, typer.Option(hidden=True, help="Another playbook "
                                                  "with the same wave play (tests).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Ansible's output.")]
    = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Converge the department's communes in waves (Ansible serial, max_fail_percentage 0,
    strategy free inside a wave), after a pre-flight validation of the whole department.

    A failed commune stops its wave; a rerun resumes with the unfinished communes. Exit 0 when
    every commune is ok, 1 on a pre-flight error or a failed commune, 2 on a usage error
    (no lab and no --production).
    """
    from beffroi.inventory import load_inventory
    from beffroi.lab.lifecycle import inventory_path
    from beffroi.rollout.plan import plan_waves, preflight
    from beffroi.rollout.run import PLAYBOOK, Target, load_state, run_plan, save_state

    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    try:
        inv = load_inventory(inventory)
        preflight(inv)
        state_file = state or Path("out/rollout") / inv.root.name / "state.json"
        done = {} if (fresh or plan_only) else load_state(state_file)["finished"]
        plan = plan_waves(inv, canary, wave_size, site, set(done))
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None
    if plan_only:
        _print_plan(plan.to_json(), fmt)
        raise typer.Exit(0)
    if not plan.waves:
        console.print(f"[green]✔[/] every commune is finished ({state_file}); --fresh to "
                      "converge them again")
        raise typer.Exit(0)
    lab_inv = lab_inventory or inventory_path(lab)
    if production and lab_inventory is not None:
        raise typer.BadParameter("--production deploys real hosts: no lab inventory",
                                 param_hint="--production")
    if not production and not lab_inv.exists():
        err_console.print(f"[red]error:[/] no running lab '{escape(lab)}' ({lab_inv} is "
                          "missing): bring it up (`beffroi lab up --site SLUG ...`) or pass "
                          "--production to deploy the real department. Nothing was contacted.",
                          soft_wrap=True)
        raise typer.Exit(2)
    target = Target(inv.root, None if production else lab_inv, playbook or PLAYBOOK,
                    {"beffroi_rollout_crisis_cell": crisis_cell})
    outcome = run_plan(target, plan, state_file.parent, echo=verbose and fmt == "text")
    save_state(state_file, load_state(state_file) if not fresh else {"finished": {}},
               outcome.results)
    data = outcome.to_json()
    (state_file.parent / "report.json").write_text(json.dumps(data, indent=1), "utf-8")
    if fmt == "json":
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        _print_outcome(data)
    raise typer.Exit(0 if data["ok"] else 1)
