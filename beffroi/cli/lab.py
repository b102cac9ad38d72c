"""`beffroi lab` commands (filled in by the lab issue)."""

from __future__ import annotations

import typer

lab_app = typer.Typer(help="lab commands.", no_args_is_help=True)
