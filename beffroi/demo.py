"""`make demo`: validate the Moselle inventory, render Évrange, write its dossiers, summarise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from beffroi.findings import BeffroiError, Severity, has_errors
from beffroi.inventory import load_inventory
from beffroi.render import render_site_to
from beffroi.validate import check_inventory

DEMO_SITE = "evrange"
console = Console(highlight=False)


def _summary_table(inventory: Path) -> tuple[Table, bool]:
    inv = load_inventory(inventory)
    findings = check_inventory(inv)
    dept = inv.department.department.name if inv.department else "?"
    table = Table(title=f"Inventory {inventory} — department {dept}")
    for col in ("commune", "site_id", "cameras", "retention", "arrêté", "errors", "warnings"):
        table.add_column(col)
    for slug, site in sorted(inv.sites.items(), key=lambda kv: kv[1].site_id):
        own = [f for f in findings if f.file == inv.sources[slug].file]
        table.add_row(site.commune, str(site.site_id), str(len(site.cameras)),
                      f"{site.authorization.retention_days} j",
                      site.authorization.arrete_ref or "[yellow]en attente[/]",
                      str(sum(f.severity is Severity.ERROR for f in own)),
                      str(sum(f.severity is Severity.WARNING for f in own)))
    return table, not has_errors(findings)


def _nft_check(path: Path) -> str:
    """Check the rendered ruleset with nft itself when it is available (needs root)."""
    nft = shutil.which("nft")
    if nft is None:
        return "nft not installed: ruleset not checked"
    result = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True,
                            check=False)
    return "nft -c: ok" if result.returncode == 0 else f"nft -c failed: {result.stderr.strip()}"


def run_demo(inventory: Path, out: Path) -> int:
    """Run the demo; returns the exit code."""
    table, clean = _summary_table(inventory)
    console.print(table)
    if not clean:
        console.print("[red]the inventory has errors: run `beffroi validate` for details[/]")
        return 1
    try:
        written = render_site_to(inventory, DEMO_SITE, out / "render")
    except BeffroiError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    tree = Tree(f"[bold]{out / 'render' / DEMO_SITE}[/] (secrets shown as <vault>)")
    nodes: dict[tuple[str, ...], Tree] = {(): tree}
    for path in written:
        rel = path.relative_to(out / "render" / DEMO_SITE)
        for depth in range(1, len(rel.parts)):
            key = rel.parts[:depth]
            if key not in nodes:
                nodes[key] = nodes[key[:-1]].add(f"[blue]{key[-1]}/[/]")
        nodes[rel.parts[:-1]].add(f"{rel.name} ({path.stat().st_size} o)")
    console.print(tree)
    nft_file = next(p for p in written if p.name == "nftables.conf")
    console.print(f"firewall ruleset: {_nft_check(nft_file)}")
    try:
        from beffroi.dossiers import closing_note, write_site_dossiers
    except ImportError:
        console.print("[dim]dossiers: not available in this build[/]")
        return 0
    inv = load_inventory(inventory)
    with console.status("Dossiers: préfecture, AIPD, signalisation, système compact, cellule "
                        "de crise, essaimage (PDF)…"):
        docs = write_site_dossiers(inv, DEMO_SITE, out / "dossiers",
                                   out / DEMO_SITE / "evidence")
    console.print(f"[bold]Dossiers of {DEMO_SITE}[/] written to {out / 'dossiers'}:")
    for doc in docs:
        console.print(f"  {doc}")
    for line in closing_note(inv, DEMO_SITE):
        console.print(f"[bold]cost[/] {line}")
    return 0
