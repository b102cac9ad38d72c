"""`beffroi drift`: live state vs the rendered intent, as a table, diffs or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from beffroi.cli.output import console, err_console, print_error
from beffroi.drift.report import EXIT_USAGE, DeviceDrift, Status, exit_code
from beffroi.findings import BeffroiError

_STYLE = {Status.OK: "green", Status.DRIFTED: "red", Status.UNREACHABLE: "yellow",
          Status.SKIPPED: "dim"}


def drift(
    site: Annotated[list[str] | None, typer.Option(
        "--site", "-s", help="Commune slug, or crisis-cell / monitoring for the department's "
        "own hosts, as `beffroi render` names them (repeatable). Default: every commune, the "
        "crisis-cell hub and the monitoring host.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    show_diff: Annotated[bool, typer.Option(
        "--diff", help="Print the unified diff (- live, + intended) of each drifted device.")]
    = False,
    inventory: Annotated[Path, typer.Option("--inventory", "-i")] = Path("inventories/moselle"),
    endpoints: Annotated[Path | None, typer.Option(
        "--endpoints", "-e", envvar="BEFFROI_ENDPOINTS",
        help="YAML file mapping inventory host → {host, port, …} (lab, simulators). Only "
             "the devices it lists are contacted.")] = None,
    production: Annotated[bool, typer.Option(
        "--production", help="No endpoints file: audit every device at its inventory address "
        "(a real department, from its management network). Without it, and without "
        "--endpoints, drift refuses: nothing is contacted.")] = False,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", "-k", help="Only these device kinds: switch, camera, nvr, firewall, "
        "workstation, crisis_cell, monitoring.")] = None,
    workers: Annotated[int, typer.Option(help="Devices audited in parallel.")] = 16,
    metrics_file: Annotated[Path | None, typer.Option(
        "--metrics-file", help="Also write the results as Prometheus series (node-exporter "
        "textfile, e.g. /var/lib/prometheus/node-exporter/beffroi_drift.prom on the monitoring "
        "host): DriftFailed / DriftNotRun read them (docs/monitoring.md).")] = None,
) -> None:
    """Compare live devices with the rendered intent (the files the roles deploy).

    Switch: running config vs the rendered config, normalised; a line of a kind the intent
    does not render (SNMP community, local user, enable password, extra vty range …) is NET-3
    drift. Cameras: ONVIF read-back vs the rendered camera settings (CAM-1/2/3 resolution and
    fps, CAM-5 masks, TIME-1 NTP) and NET-3 accounts: the vaulted account the only one and
    Administrator, no factory login answering. NVR and firewall, with pyinfra facts over SSH:
    rendered files' content, owner and mode, the whole loaded nftables ruleset, every field of
    every WireGuard peer, sshd's effective configuration, root and sudo accounts, services.
    The crisis-cell hub and the monitoring host (--site crisis-cell, --site monitoring) are
    checked the same way against their own files (viewer, wall, Prometheus, Alertmanager,
    wg-quick, sshd, journald, sudoers …), their WireGuard peers every commune's spoke and
    nothing else. A
    camera whose masks, resolution or fps cannot be read back counts as drifted (fail closed).
    Secrets are masked in every output, new live values included.

    Output: one row per device — ok, drifted (with the rule ids at stake), unreachable, or
    skipped (not listed in the endpoints file). --diff adds each drifted device's unified diff;
    --format json prints {"clean", "exit_code", "date", "devices": [...]} for pipelines
    (write it to out/<slug>/evidence/drift.json: the dossiers then cite it).

    Nothing is contacted unless the devices are named: --endpoints (lab, simulators) or
    --production (every device at its inventory address, for a real department).

    Exit codes: 0 every audited device matches its intent; 1 at least one device drifted;
    2 usage or inventory error; 3 no drift found but at least one device could not be
    reached (the audit is incomplete).
    """
    from beffroi.drift.audit import KINDS, plan, run
    from beffroi.drift.department import department_sites
    from beffroi.inventory import load_inventory
    from network.endpoints import EndpointsError, load_endpoints

    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    kinds = tuple(kind or KINDS)
    if bad := [k for k in kinds if k not in KINDS]:
        raise typer.BadParameter(f"unknown kind(s) {', '.join(bad)}; choose among "
                                 f"{', '.join(KINDS)}", param_hint="--kind")
    if endpoints is None and not production:
        # never reach the inventory's real addresses by default (a lab not up, a test, a typo)
        err_console.print("[red]error:[/] drift needs the devices to contact: --endpoints FILE "
                          "(the lab's inventory, `beffroi lab status`) or --production for every "
                          "device at its inventory address; nothing was contacted", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        # None (--production): every device at its inventory address; a file must list devices
        eps = load_endpoints(endpoints, required=True) if endpoints is not None else None
        inv = load_inventory(inventory)
        known = [*sorted(inv.sites), *department_sites(inv)]
        slugs = site or known
        if unknown := [s for s in slugs if s not in known]:
            raise BeffroiError(f"unknown commune(s) {', '.join(unknown)} in {inventory}; "
                               f"known: {', '.join(known)}")
        results = run(plan(inv, slugs, eps, kinds), workers)
    except EndpointsError as exc:
        err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    code = exit_code(results)
    if metrics_file is not None:
        from beffroi.drift.metrics import write_textfile

        try:
            write_textfile(metrics_file, results)
        except OSError as exc:
            err_console.print(f"[red]error:[/] cannot write {metrics_file}: {exc.strerror}",
                              soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None
    if fmt == "json":
        # `date`: when the audit ran — the dossiers cite it (beffroi/dossiers/evidence.py)
        print(json.dumps({"clean": code == 0, "exit_code": code,
                          "date": datetime.now(UTC).isoformat(timespec="seconds"),
                          "devices": [r.to_json() for r in results]},
                         ensure_ascii=False, indent=2))
    else:
        _print_table(results, show_diff)
    raise typer.Exit(code)


def _print_table(results: list[DeviceDrift], show_diff: bool) -> None:
    table = Table(title="Drift: live state vs rendered intent", title_justify="left")
    for col in ("site", "device", "kind", "status", "rules", "detail"):
        table.add_column(col, overflow="fold")
    for r in results:
        style = _STYLE[r.status]
        table.add_row(r.site, r.device, r.kind, f"[{style}]{r.status.value}[/]",
                      ", ".join(r.rules), r.detail)
    console.print(table)
    for r in results:
        if r.status in (Status.DRIFTED, Status.UNREACHABLE):
            # the whole finding on one line of its own: a table cell folds paths mid-word
            console.print(Text.assemble((r.device, "bold"), f" {r.status.value} "
                                        f"({', '.join(r.rules) or '-'}): {r.detail}"),
                          soft_wrap=True, highlight=False)
        if show_diff and r.diff:
            console.print(f"[bold]{r.device}[/] ({r.site}, {r.kind})")
            console.print(r.diff, markup=False, highlight=False, soft_wrap=True)
        if show_diff and r.unverifiable:
            console.print(f"[dim]{r.device}: not verifiable on this device: "
                          f"{'; '.join(r.unverifiable)}[/]", soft_wrap=True)
    counts = {s: sum(1 for r in results if r.status is s) for s in Status}
    console.print(", ".join(f"{n} {s.value}" for s, n in counts.items() if n) or "no devices")
