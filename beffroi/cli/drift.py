"""`beffroi drift` commands (filled in by the drift issue)."""

from __future__ import annotations

import typer

drift_app = typer.Typer(help="drift commands.", no_args_is_help=True)
