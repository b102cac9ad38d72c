"""How findings and errors are shown: rich for people, JSON for pipelines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from beffroi.findings import BeffroiError, Finding, Severity, to_json

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_findings(findings: Sequence[Finding], fmt: str, title: str = "") -> None:
    """Findings as a table (text) or as the JSON list of DESIGN.md."""
    if fmt == "json":
        print(to_json(findings))
        return
    if not findings:
        console.print(f"[green]✔[/] {title or 'valid'}: no findings")
        return
    if title:
        console.print(f"[bold]{title}[/]")
    for f in findings:
        sev = "[red]error[/]" if f.severity is Severity.ERROR else "[yellow]warning[/]"
        field = f" [cyan]{f.path}[/]" if f.path else ""
        console.print(f"{f.file}:{f.line}: {sev} [bold]{f.rule}[/]{field}: {f.message}",
                      soft_wrap=True)
        extra = " — ".join(x for x in (f.hint and f"→ {f.hint}", f.citation) if x)
        if extra:
            console.print(f"    [dim]{extra}[/]", soft_wrap=True)
    counts = Counter(f.severity for f in findings)
    console.print(f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s)")


def print_error(exc: BeffroiError) -> None:
    """A user-facing failure: its message, then its findings if any."""
    # soft_wrap: a message is one line a script can grep; escape: user text is never markup
    err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
    if exc.findings:
        print_findings(exc.findings, "text")
