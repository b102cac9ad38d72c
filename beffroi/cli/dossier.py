"""`beffroi dossier`: préfecture request, AIPD, signage, essaimage — HTML + PDF from the model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from beffroi.cli.output import console, err_console, print_error
from beffroi.findings import BeffroiError

if TYPE_CHECKING:
    from beffroi.dossiers.render import Document

DEFAULT_INVENTORY = Path("inventories/moselle")
DEFAULT_OUT = Path("out/dossiers")

dossier_app = typer.Typer(help="Legal and decision dossiers (préfecture, AIPD, signage, "
                               "compact, crisis-cell, essaimage).", no_args_is_help=True)

SiteOpt = Annotated[str, typer.Option("--site", "-s", help="Commune slug, e.g. evrange.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Output directory (default out/dossiers/<slug>).")]
InventoryOpt = Annotated[Path, typer.Option("--inventory", "-i", help="Inventory directory.")]
PdfOpt = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also lay out the PDF.")]
EvidenceOpt = Annotated[Path | None, typer.Option(
    "--evidence", "-e", help="Verification records (drift.json, deploy.json, benchmarks.json); "
    "default out/<slug>/evidence.")]


def _write(doc: Document, out_dir: Path, pdf: bool) -> None:
    """Write HTML (+ PDF, with a progress spinner) and print the paths."""
    from beffroi.dossiers import write_document

    with console.status(f"Mise en page de {doc.stem} ({out_dir})…"):
        paths = write_document(doc, out_dir, pdf=pdf)
    for path in paths:  # soft_wrap: a path is copied from the terminal, never wrapped
        console.print(f"  {path}", soft_wrap=True)
    console.print(f"[green]✔[/] {doc.stem}: {len(paths)} file(s) in {out_dir}", soft_wrap=True)


def _site_dossier(kind: str, site: str, out: Path | None, inventory: Path, pdf: bool,
                  evidence: Path | None = None) -> None:
    from beffroi.dossiers import SITE_DOSSIERS
    from beffroi.dossiers.evidence import default_dir
    from beffroi.inventory import load_inventory

    if not inventory.is_dir():
        err_console.print(f"[red]error:[/] inventory {inventory} is not a directory")
        raise typer.Exit(2)
    try:
        with console.status(f"Validation de {site} et calcul du dossier {kind}…"):
            doc = SITE_DOSSIERS[kind](load_inventory(inventory), site, None,
                                      evidence or default_dir(site))
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None
    _write(doc, out or DEFAULT_OUT / site, pdf)


@dossier_app.command()
def prefecture(site: SiteOpt, out: OutOpt = None, inventory: InventoryOpt = DEFAULT_INVENTORY,
               pdf: PdfOpt = True, evidence: EvidenceOpt = None) -> None:
    """The prefectoral request (Cerfa 13806*04 data, attachments, what is still missing)."""
    _site_dossier("prefecture", site, out, inventory, pdf, evidence)


@dossier_app.command()
def aipd(site: SiteOpt, out: OutOpt = None, inventory: InventoryOpt = DEFAULT_INVENTORY,
         pdf: PdfOpt = True, evidence: EvidenceOpt = None) -> None:
    """The AIPD: processing, proportionality, scored risks, crisis cell, register, DPO opinion."""
    _site_dossier("aipd", site, out, inventory, pdf, evidence)


@dossier_app.command()
def signage(site: SiteOpt, out: OutOpt = None, inventory: InventoryOpt = DEFAULT_INVENTORY,
            pdf: PdfOpt = True) -> None:
    """The information panels' text, one per filmed zone."""
    _site_dossier("signage", site, out, inventory, pdf)


@dossier_app.command()
def compact(site: SiteOpt, out: OutOpt = None, inventory: InventoryOpt = DEFAULT_INVENTORY,
            pdf: PdfOpt = True, evidence: EvidenceOpt = None) -> None:
    """The report on the compact system: technical, economic, organisational."""
    _site_dossier("compact", site, out, inventory, pdf, evidence)


@dossier_app.command("crisis-cell")
def crisis_cell(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory (default out/dossiers/crisis-cell).")] = None,
    inventory: InventoryOpt = DEFAULT_INVENTORY, pdf: PdfOpt = True,
    evidence: EvidenceOpt = None,
) -> None:
    """Feasibility of live streams to the crisis cell: legal (L252-3), technical, economic,
    organisational."""
    from beffroi.dossiers.crisis import build_crisis_cell
    from beffroi.dossiers.evidence import default_dir
    from beffroi.inventory import load_inventory

    if not inventory.is_dir():
        err_console.print(f"[red]error:[/] inventory {inventory} is not a directory")
        raise typer.Exit(2)
    try:
        with console.status("Calcul de l'étude de faisabilité de la cellule de crise…"):
            doc = build_crisis_cell(load_inventory(inventory), None,
                                    evidence or default_dir("crisis-cell"))
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(1) from None
    _write(doc, out or DEFAULT_OUT / "crisis-cell", pdf)


@dossier_app.command()
def essaimage(
    communes: Annotated[int | None, typer.Option(
        "--communes", "-n", min=1, help="Number of communes (pilots first, then the template "
        "site).")] = None,
    all_communes: Annotated[bool, typer.Option(
        "--all", help="The whole department (largest projection point).")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output directory (default out/dossiers/essaimage).")] = None,
    inventory: InventoryOpt = DEFAULT_INVENTORY,
    pdf: PdfOpt = True,
) -> None:
    """The essaimage decision dossier: costs, storage, crisis-cell sizing, projection, roles.

    Without --communes or --all, the dossier covers the inventory's pilot sites.
    """
    from beffroi.dossiers.essaimage import build_essaimage
    from beffroi.inventory import load_inventory

    if communes is not None and all_communes:
        raise typer.BadParameter("give --communes N or --all, not both", param_hint="--all")
    if not inventory.is_dir():
        err_console.print(f"[red]error:[/] inventory {inventory} is not a directory")
        raise typer.Exit(2)
    try:
        with console.status("Calcul de la projection et des graphiques…"):
            inv = load_inventory(inventory)
            n = inv.department.department.communes if all_communes and inv.department else communes
            doc = build_essaimage(inv, n)
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None
    _write(doc, out or DEFAULT_OUT / "essaimage", pdf)
