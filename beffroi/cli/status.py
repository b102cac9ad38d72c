"""`beffroi status`: the fleet view of the Moselle Fibre engineer, per commune and camera."""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from beffroi.cli.output import console, err_console, print_error
from beffroi.findings import BeffroiError

PASSWORD_ENV = "BEFFROI_STATUS_PASSWORD_FILE"


def _endpoints(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BeffroiError(f"{path}: unreadable endpoints file ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) and isinstance(v.get("api"),
                                                                               str)
                                             for v in data.values()):
        raise BeffroiError(f"{path}: expected `<commune>: {{api: URL}}` entries")
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items()}


def _password(path: Path | None) -> str:
    path = path or (Path(os.environ[PASSWORD_ENV]) if os.environ.get(PASSWORD_ENV) else None)
    if path is None:
        raise BeffroiError(f"no status password: pass --password-file or set {PASSWORD_ENV} "
                           "(the monitoring account's password, from the department's vault)")
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BeffroiError(f"{path}: cannot read the status password ({exc.strerror})") from None


def _print(rows: list[dict[str, Any]]) -> None:
    table = Table(title="fleet status")
    for col in ("commune", "camera", "state", "last seg.", "gaps 24h", "disk free", "clock",
                "tunnel", "drift", "health"):
        table.add_column(col)
    for r in rows:
        ok = "[green]ok[/]" if r["healthy"] else "[red]UNHEALTHY[/]"
        disk = "" if r["disk_free_percent"] is None else f"{r['disk_free_percent']:.0f} %"
        clock = {True: "synced", False: "[red]NOT synced[/]", None: "?"}[r["clock_synchronised"]]
        hs = r["tunnel_handshake_age_seconds"]
        tunnel = "?" if hs is None else f"{hs:.0f} s"
        cams = r["cameras"] or [{"camera": "—", "state": "", "last_segment_age": None,
                                 "gaps_24h": None}]
        for i, c in enumerate(cams):
            age = "" if c["last_segment_age"] is None else f"{c['last_segment_age']:.0f} s"
            gaps = "" if c["gaps_24h"] is None else str(c["gaps_24h"])
            first = i == 0
            table.add_row(r["commune"] if first else "", c["camera"], c["state"], age, gaps,
                          disk if first else "", clock if first else "",
                          tunnel if first else "", escape(r["drift"]) if first else "",
                          ok if first else "")
    console.print(table)
    for r in rows:
        for p in r["problems"] + [f"{c['camera']}: {p}" for c in r["cameras"]
                                  for p in c["problems"]]:
            console.print(f"[red]✘[/] {r['commune']}: {escape(p)}", soft_wrap=True)


def status(
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Inventory directory.")]
    = Path("inventories/moselle"),
    site: Annotated[list[str] | None, typer.Option("--site", "-s", help="Only these communes "
                                                   "(repeatable).")] = None,
    endpoints: Annotated[Path | None, typer.Option(
        help="YAML `<commune>: {api: URL}` (a lab or a tunnel); default the model's NVR "
             "address and recorder API port.")] = None,
    account: Annotated[str, typer.Option(help="The status account (role admin: no video).")]
    = "monitoring",
    password_file: Annotated[Path | None, typer.Option(help=f"Its password (or ${PASSWORD_ENV}).")]
    = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA of the recorders' certificates.")]
    = None,
    tunnel_metrics: Annotated[str | None, typer.Option(
        help="The hub's WireGuard exporter URL (wireguard_latest_handshake_seconds).")] = None,
    evidence: Annotated[Path, typer.Option(help="Where `beffroi drift` evidence is kept "
                                           "(<dir>/<slug>/evidence/drift.json).")] = Path("out"),
    max_segment_age: Annotated[float, typer.Option(help="Seconds before a camera's last "
                                                   "segment is too old.")] = 180.0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Per commune and camera: recording state, last segment age, gaps in 24 h, disk headroom,
    clock sync, tunnel handshake age, last drift result.

    Exit 0 when every commune is healthy, 1 when one is not, 2 on a usage error.
    """
    from beffroi.fleet.health import Limits, assess, drift_result
    from beffroi.fleet.probe import Account, read_handshakes, read_recorder
    from beffroi.inventory import load_inventory

    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    try:
        inv = load_inventory(inventory)
        ends = _endpoints(endpoints)
        acct = Account(account, _password(password_file))
        slugs = site or (sorted(ends) if ends else sorted(inv.sites))
        missing = [s for s in slugs if s not in inv.sites]
        if missing or inv.department is None:
            raise BeffroiError(f"unknown commune(s) {', '.join(missing)} in {inventory}")
    except BeffroiError as exc:
        print_error(exc)
        raise typer.Exit(2) from None
    tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    hubs = read_handshakes(tunnel_metrics, tls) if tunnel_metrics else {}
    port = inv.department.defaults.recorder_api_port
    rows = []
    for slug in slugs:
        s = inv.sites[slug]
        base = ends.get(slug, {}).get("api", f"https://{s.nvr.ip}:{port}")
        reading = read_recorder(base.rstrip("/"), acct, tls if base.startswith("https") else None)
        handshake = hubs.get(str(s.firewall.wireguard_public_key), 0.0) if tunnel_metrics \
            else None
        rows.append(assess(slug, reading, Limits(segment_age=max_segment_age),
                           drift_result(evidence / slug / "evidence" / "drift.json"),
                           handshake).to_json())
    if fmt == "json":
        print(json.dumps({"healthy": all(r["healthy"] for r in rows), "communes": rows},
                         ensure_ascii=False, indent=1))
    else:
        _print(rows)
        if not rows:
            err_console.print("no commune to read")
    raise typer.Exit(0 if all(r["healthy"] for r in rows) else 1)
