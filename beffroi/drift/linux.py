"""Linux hosts (NVR, firewall): pyinfra facts vs the rendered files of the same host.

Checked: SHA-256 of every rendered file that has a destination (content diff on mismatch, with
vaulted secrets masked), the loaded nftables ruleset (firewall), services that must run, and
the WireGuard peers (firewall). The nftables comparison canonicalises the rendered ruleset by
loading it into a throwaway network namespace here (`unshare -n nft -f`), so both sides are
`nft list ruleset` output of the same tool.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from typing import Any

from beffroi.drift.report import DeviceDrift, Status
from beffroi.files import NFT_CHECK
from beffroi.lab.overrides import lab_variant
from beffroi.render import Output, render_file
from beffroi.secrets import mask, vaulted_values
from network.endpoints import Endpoint

_TABLE = re.compile(r"^table (\S+ \S+) \{$")


def tables(listing: str) -> dict[str, str]:
    """`nft list ruleset` split into its tables (family name → text)."""
    out: dict[str, str] = {}
    current: str | None = None
    for line in listing.splitlines():
        m = _TABLE.match(line)
        if m:
            current = m.group(1)
            out[current] = ""
        if current is not None:
            out[current] += line + "\n"
        if line == "}":
            current = None
    return out


def canonical_ruleset(rendered: str) -> str | None:
    """The rendered ruleset as `nft list ruleset` prints it, or None if this machine cannot
    load it in a private network namespace (no nft, no privilege)."""
    if not shutil.which("nft") or not shutil.which("unshare"):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".nft") as f:
        f.write(rendered)
        f.flush()
        done = subprocess.run(["unshare", "-n", "sh", "-c",
                               f"nft -f {f.name} && nft list ruleset"],
                              capture_output=True, text=True, timeout=20, check=False)
    return done.stdout if done.returncode == 0 else None


class _Facts:
    """A pyinfra session on one host (SSH, or a connector such as @podman/NAME)."""

    def __init__(self, endpoint: Endpoint) -> None:
        from pyinfra.api.config import Config
        from pyinfra.api.connect import connect_all
        from pyinfra.api.inventory import Inventory
        from pyinfra.api.state import State

        name = endpoint.host
        data: dict[str, Any] = {}
        if not name.startswith("@"):
            data = {"ssh_port": endpoint.port or 22, "ssh_user": endpoint.username or "root"}
            if endpoint.ssh_key:
                data["ssh_key"] = endpoint.ssh_key
            if not endpoint.check_host_key:   # lab containers get new host keys on every up
                data["ssh_strict_host_key_checking"] = "no"
                data["ssh_known_hosts_file"] = "/dev/null"
            elif endpoint.known_hosts:  # production: the department's pinned keys, no TOFU
                data["ssh_strict_host_key_checking"] = "yes"
                data["ssh_known_hosts_file"] = endpoint.known_hosts
        # pyinfra's constructors are not annotated
        self.inventory = Inventory(([(name, data)], {}))  # type: ignore[no-untyped-call]
        self.state = State(self.inventory, Config(CONNECT_TIMEOUT=10))  # type: ignore[no-untyped-call]
        from pyinfra.api.exceptions import PyinfraError
        with suppress(PyinfraError):   # raised when no host could be connected
            connect_all(self.state)
        self.host = self.inventory.get_host(name)
        self.ok = bool(getattr(self.host, "connected", False)) and \
            self.host not in self.state.failed_hosts

    def fact(self, cls: Any, **kwargs: Any) -> Any:
        return self.host.get_fact(cls, **kwargs)

    def command(self, command: str) -> str:
        from pyinfra.facts.server import Command
        return str(self.fact(Command, command=f"{command}; true") or "")

    def close(self) -> None:
        from pyinfra.api.connect import disconnect_all
        disconnect_all(self.state)


def check_linux_host(site: str, device: str, kind: str, files: list[tuple[Output, str]],
                     ctx: dict[str, Any], endpoint: Endpoint) -> DeviceDrift:
    """Compare one NVR or firewall with its rendered files, ruleset, services and peers."""
    from pyinfra.facts.files import FileContents, Sha256File

    started = time.monotonic()
    result = DeviceDrift(site, device, kind, Status.OK)
    facts = _Facts(endpoint)
    if not facts.ok:
        result.status = Status.UNREACHABLE
        result.detail = f"pyinfra could not connect to {endpoint.host}:{endpoint.port or 22}"
        return result
    notes: list[str] = []
    diffs: list[str] = []
    rules: set[str] = set()
    secrets = vaulted_values(ctx)  # masked in every diff
    if endpoint.lab:   # a lab host: its lab's own settings (beffroi/lab/overrides.py), no other
        files = [(out, render_file(ctx, variant) if (variant := lab_variant(out)) else text)
                 for out, text in files]
    try:
        for out, text in files:
            if not out.dest:
                continue
            live_hash = facts.fact(Sha256File, path=out.dest)
            if live_hash == hashlib.sha256(text.encode()).hexdigest():
                continue
            rules.add(out.rule)
            if live_hash is None:
                notes.append(f"{out.dest} missing")
                continue
            notes.append(f"{out.dest} differs")
            live = "\n".join(facts.fact(FileContents, path=out.dest) or []) + "\n"
            diffs.append("".join(difflib.unified_diff(
                mask(live, secrets).splitlines(True), mask(text, secrets).splitlines(True),
                f"{device}:{out.dest} (live)", f"{device}:{out.dest} (intended)")))
        if kind == "firewall":
            _nftables(facts, files, notes, diffs, rules, result)
            _wireguard(facts, ctx, notes, rules)
        _services(facts, kind, ctx, notes, rules)
    finally:
        facts.close()
    if notes:
        result.status = Status.DRIFTED
        result.detail = "; ".join(notes)
        result.diff = "".join(diffs)
        result.rules = sorted(rules)
    else:
        result.detail = "files, services" + (", ruleset and peers" if kind == "firewall"
                                             else "") + " match the intent"
    result.seconds = time.monotonic() - started
    return result


def _nftables(facts: _Facts, files: list[tuple[Output, str]], notes: list[str],
              diffs: list[str], rules: set[str], result: DeviceDrift) -> None:
    # the ruleset is the file the intent has checked by `nft -c`, wherever it lands
    rendered = next(t for o, t in files if o.validate == NFT_CHECK)
    want = canonical_ruleset(rendered)
    if want is None:
        result.unverifiable.append("nftables ruleset (NET-1): cannot load the rendered ruleset "
                                   "in a private namespace on this machine")
        return
    have = tables(facts.command("nft list ruleset 2>&1"))
    for name, text in tables(want).items():
        if have.get(name) != text:
            rules.add("NET-1")
            notes.append(f"loaded nftables table {name} differs from the rendered ruleset")
            diffs.append("".join(difflib.unified_diff(
                (have.get(name) or "").splitlines(True), text.splitlines(True),
                f"{result.device}: nft list ruleset (live)",
                f"{result.device}: rendered ruleset (intended)")))


def _wireguard(facts: _Facts, ctx: dict[str, Any], notes: list[str], rules: set[str]) -> None:
    wg = ctx["wireguard"]
    dump = facts.command(f"wg show {wg['interface']} dump 2>/dev/null").splitlines()
    peers = {line.split("\t")[0]: line.split("\t") for line in dump[1:] if "\t" in line}
    if not dump:
        rules.add("NET-2")
        notes.append(f"WireGuard interface {wg['interface']} is not up")
    elif set(peers) != {wg["hub"]["public_key"]}:
        rules.add("NET-2")
        notes.append(f"WireGuard peers {sorted(peers)} ≠ the crisis-cell hub only "
                     f"({wg['hub']['public_key']})")


def _services(facts: _Facts, kind: str, ctx: dict[str, Any], notes: list[str],
              rules: set[str]) -> None:
    expected = ctx["services"].get(kind, [])  # from the intent, like every other expectation
    units = [s["unit"] for s in expected]
    rule_of = {s["unit"]: s["rule"] for s in expected}
    if not units:
        return
    states = facts.command("systemctl is-active " + " ".join(units)).splitlines()
    for unit, state in zip(units, states + ["unknown"] * len(units), strict=False):
        if state.strip() != "active":
            rules.add(rule_of[unit])
            notes.append(f"service {unit} is {state.strip() or 'unknown'}")
