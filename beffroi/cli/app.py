"""The typer application: commands are thin; the work lives in beffroi's modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from beffroi import __version__
from beffroi.cli.deploy import deploy
from beffroi.cli.dossier import dossier_app
from beffroi.cli.drift import drift
from beffroi.cli.drill import drill
from beffroi.cli.lab import lab_app
from beffroi.cli.output import console, print_error, print_findings
from beffroi.cli.rollout import rollout
from beffroi.cli.status import status
from beffroi.findings import BeffroiError, has_errors
from beffroi.safefile import path_problem

DEFAULT_INVENTORY = Path("inventories/moselle")
# markdown: a docstring's line breaks are the source's, not the terminal's — help rewraps them
app = typer.Typer(help="Beffroi — a commune's video-protection site declared once, rendered "
                       "once, deployed, audited and documented from the same model.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode="markdown")
site_app = typer.Typer(help="Manage commune sites.", no_args_is_help=True)
app.add_typer(site_app, name="site")
app.add_typer(dossier_app, name="dossier",
              help="Legal and decision dossiers (préfecture, AIPD, signage, compact, "
                   "crisis-cell, essaimage).")
app.add_typer(lab_app, name="lab", help="The lab of real hosts (podman systemd containers).")
app.command("drift")(drift)
app.command("deploy")(deploy)
app.command("rollout")(rollout)
app.command("status")(status)
app.command("drill")(drill)

InventoryOpt = Annotated[Path, typer.Option("--inventory", "-i", help="Inventory directory.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="text or json.")]


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")


@app.command()
def version() -> None:
    """Print Beffroi's version."""
    console.print(__version__)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="Inventory directory or one site file.")]
    = DEFAULT_INVENTORY,
    fmt: FormatOpt = "text",
) -> None:
    """Check an inventory against the legal (compliance.md) and engineering rules.

    Exit 0 when clean (warnings allowed), 1 when any error finding, 2 on usage error.
    """
    from beffroi.validate import validate_path

    _check_format(fmt)
    problem = path_problem(path)
    if problem:
        console.print(f"[red]error:[/] {path}: {problem}", soft_wrap=True)
        raise typer.Exit(2)
    inv, findings = validate_path(path)
    title = f"{path} — {len(inv.sites)} site(s)"
    print_findings(findings, fmt, title)
    raise typer.Exit(1 if has_errors(findings) else 0)


@app.command()
def render(
    site: Annotated[str, typer.Option("--site", "-s", help="Commune slug, e.g. evrange; "
                                      "crisis-cell or monitoring for those hosts.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    inventory: InventoryOpt = DEFAULT_INVENTORY,
) -> None:
    """Write the intended configuration of every device of a commune into OUT."""
    from beffroi.render import render_site_to

    try:
        written = render_site_to(inventory, site, out)
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None
    for path in written:
        console.print(f"  {path}")
    console.print(f"[green]✔[/] {len(written)} files rendered for {site} in {out}")


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="site, department or crisis-cell.")] = "site",
) -> None:
    """Print the JSON Schema of a site file (for editors' YAML completion)."""
    from beffroi.model import CrisisCell, Department, Site

    models: dict[str, type[BaseModel]] = {"site": Site, "department": Department,
                                          "crisis-cell": CrisisCell}
    if kind not in models:
        raise typer.BadParameter(f"choose among {', '.join(models)}", param_hint="KIND")
    print(json.dumps(models[kind].model_json_schema(), ensure_ascii=False, indent=2))


@site_app.command("new")
def site_new(
    name: Annotated[str, typer.Argument(help="The commune's name, e.g. 'Kanfen'.")],
    inventory: InventoryOpt = DEFAULT_INVENTORY,
    mayor: Annotated[str, typer.Option(help="The maire's full name.")] = "Maire Àdésigner",
    insee: Annotated[str, typer.Option(help="INSEE code of the commune.")] = "57000",
    population: Annotated[int | None, typer.Option(
        help="Population (dossiers); at least 1, omit if unknown.")] = None,
) -> None:
    """Add a commune: next free site_id and subnets, fresh WireGuard keys and credentials.

    Exit 2 when an argument cannot be written into a site file (a line break in NAME or
    --mayor, an INSEE code that is not 5 digits or 2A/2B + 3 digits, a population below 1).
    """
    from beffroi.sitenew import SiteArgumentError, new_site

    try:
        made = new_site(inventory, name, mayor=mayor, insee=insee, population=population)
    except SiteArgumentError as exc:
        print_error(exc)
        raise typer.Exit(2) from None
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None
    console.print(f"[green]✔[/] {name}: site_id {made.site_id}\n  site file  {made.site_file}\n"
                  f"  secrets    {made.vault_file} (ansible-vault)\n"
                  "Complete the TODO fields, then run `beffroi validate`.")


@app.command("verify-export")
def verify_export(
    site: Annotated[str, typer.Argument(help="The site's slug, e.g. 'evrange'.")],
    directory: Annotated[Path, typer.Argument(help="The export directory.")],
    inventory: InventoryOpt = DEFAULT_INVENTORY,
) -> None:
    """Verify an NVR export against the site's public key from the vault (EXP-1/EXP-2)."""
    from beffroi.nvrkey import verify_export as check

    try:
        ok, message = check(inventory, site, directory)
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(1) from None
    if not ok:
        console.print(f"[red]✘[/] {message}")
        raise typer.Exit(1)
    console.print(f"[green]✔[/] {message}")


@app.command()
def demo(inventory: InventoryOpt = DEFAULT_INVENTORY,
         out: Annotated[Path, typer.Option(help="Where to write Évrange's files.")]
         = Path("out/demo"),
         lab: Annotated[bool, typer.Option("--lab/--no-lab",
                                           help="Also deploy Évrange on the lab and audit it.")]
         = False) -> None:
    """The main job: validate Moselle, render Évrange, write its dossiers; with --lab, deploy
    it on the lab of real hosts (lab up, converge, idempotence, crisis cell, drift)."""
    from beffroi.demo import DEMO_SITE, run_demo

    code = run_demo(inventory, out)
    if code == 0 and lab:
        from beffroi.demo_lab import run_lab_demo

        code = run_lab_demo(inventory, DEMO_SITE, out)
    raise typer.Exit(code)
