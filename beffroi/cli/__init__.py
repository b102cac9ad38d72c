"""`beffroi` command line: one command per job (validate, render, site new, schema, …)."""

from __future__ import annotations

import sys

from beffroi.cli.app import app


def main() -> None:
    """Console-script entry point; user errors exit with a message, never a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
