"""`beffroi drift`: live state vs the rendered intent (filled in by the drift issue)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def drift(
    site: Annotated[list[str] | None, typer.Option("--site", "-s", help="Commune slug(s).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    inventory: Annotated[Path, typer.Option("--inventory", "-i")] = Path("inventories/moselle"),
) -> None:
    """Compare live devices with the rendered intent. Exit 0 clean, 1 drift."""
    typer.echo("drift: not implemented yet", err=True)
    raise typer.Exit(2)
