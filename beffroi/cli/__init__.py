"""`beffroi` command line: one command per job (validate, render, site new, schema, …)."""

from __future__ import annotations

import os
import sys

from beffroi.cli.app import app


def main() -> None:
    """Console-script entry point; user errors exit with a message, never a traceback.

    An unexpected failure is reported in one line (exit 3); BEFFROI_DEBUG=1 shows the traceback.
    """
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("BEFFROI_DEBUG"):
            raise
        sys.stderr.write(f"beffroi: internal error: {type(exc).__name__}: {exc}\n"
                         "This is a bug: rerun with BEFFROI_DEBUG=1 and report the traceback.\n")
        sys.exit(3)
