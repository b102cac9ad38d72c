"""`beffroi dossier` commands (filled in by the dossier issue)."""

from __future__ import annotations

import typer

dossier_app = typer.Typer(help="dossier commands.", no_args_is_help=True)
