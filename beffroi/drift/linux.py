"""Linux hosts (NVR, firewall, workstation, crisis-cell hub, monitoring host): pyinfra facts vs
the rendered files of the same host.

Checked: SHA-256 of every rendered file that has a destination (content diff on mismatch, with
vaulted secrets masked), owner/group/mode of those files, the whole loaded nftables ruleset
(a host whose files include one, `nft.py`), every field of every WireGuard peer (firewall, hub
and monitoring host, `wgpeers.py`), sshd's effective configuration and the accounts holding
root or sudo (`hostsec.py`), and services that must run.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from contextlib import suppress
from typing import Any

from beffroi.drift import hostsec, nft, wgpeers
from beffroi.drift.department import KINDS as HUB_KINDS  # their peers: the communes' spokes
from beffroi.drift.report import DeviceDrift, Status
from beffroi.files import NFT_CHECK, WG_CHECK
from beffroi.lab.overrides import LAB_ADMINS, lab_variant
from beffroi.render import Output, render_file
from beffroi.secrets import mask, vaulted_values
from network.endpoints import Endpoint


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
                     ctx: dict[str, Any], endpoint: Endpoint, admins: frozenset[str] = frozenset()
                     ) -> DeviceDrift:
    """Compare one Linux host with its rendered files, ruleset, peers, sshd, accounts and
    services. `ctx`: the host's intent (a commune's, or the hub's or monitoring host's own);
    `admins`: the department's administrators (who may hold sudo)."""
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
        ruleset = any(o.validate == NFT_CHECK for o, _ in files)
        if ruleset:
            _nftables(facts, files, notes, diffs, rules, result)
        if kind == "firewall":
            _wireguard(facts, ctx, notes, rules)
        elif kind in HUB_KINDS:
            _hub_wireguard(facts, files, ctx, notes, rules)
        _access(facts, files, set(admins) | (LAB_ADMINS if endpoint.lab else set()),
                ctx["sshd"]["admin_group"], notes, rules)
        _services(facts, kind, ctx, notes, rules)
    finally:
        facts.close()
    if notes:
        result.status = Status.DRIFTED
        result.detail = "; ".join(notes)
        result.diff = "".join(diffs)
        result.rules = sorted(rules)
    else:
        result.detail = "files, modes, sshd, accounts, services" + (
            ", ruleset" if ruleset else "") + (
            ", peers" if kind == "firewall" or kind in HUB_KINDS else "") + " match the intent"
    result.seconds = time.monotonic() - started
    return result


def _nftables(facts: _Facts, files: list[tuple[Output, str]], notes: list[str],
              diffs: list[str], rules: set[str], result: DeviceDrift) -> None:
    # the ruleset is the file the intent has checked by `nft -c`, wherever it lands
    want = nft.rendered(next(t for o, t in files if o.validate == NFT_CHECK))
    if want is None:
        result.unverifiable.append("nftables ruleset (NET-1): cannot load the rendered ruleset "
                                   "in a private namespace on this machine")
        return
    have = nft.parse(facts.command(nft.LIST + " 2>&1"))
    if have is None:
        rules.add("NET-1")
        notes.append("the loaded nftables ruleset cannot be read (nft -j list ruleset)")
        return
    for table, what in nft.differences(have, want):
        rules.add("NET-1")
        notes.append(what)
        diffs.append("".join(difflib.unified_diff(
            have.text.get(table, "").splitlines(True), want.text.get(table, "").splitlines(True),
            f"{result.device}: nft list ruleset (live)",
            f"{result.device}: rendered ruleset (intended)")))


def _wireguard(facts: _Facts, ctx: dict[str, Any], notes: list[str], rules: set[str]) -> None:
    wg = ctx["wireguard"]
    found = wgpeers.differences(facts.command(f"wg show {wg['interface']} dump 2>/dev/null"),
                                wg, ctx.get("monitoring"))
    if found:
        rules.add("NET-2")
        notes.extend(found)


def _hub_wireguard(facts: _Facts, files: list[tuple[Output, str]], ctx: dict[str, Any],
                   notes: list[str], rules: set[str]) -> None:
    """The hub's or monitoring host's peers: every commune's spoke, as its rendered WireGuard
    file says, and nothing else (NET-2)."""
    out, conf = next(((o, t) for o, t in files if o.validate == WG_CHECK), (None, ""))
    if out is None:
        return
    interface = out.dest.rsplit("/", 1)[-1].removesuffix(".conf")  # wg-quick@NAME reads NAME.conf
    names = {str(p["public_key"]): f"spoke of {p['slug']}" for p in ctx.get("peers", [])}
    want_iface, want_peers = wgpeers.rendered_peers(conf, names)
    found = wgpeers.compare(facts.command(f"wg show {interface} dump 2>/dev/null"), interface,
                            want_iface, want_peers, "not a commune's spoke the intent declares")
    if found:
        rules.add(out.rule)
        notes.extend(f"{what} (redeploy the host's role: `wg-quick` reloads the rendered peers)"
                     for what in found)


def _access(facts: _Facts, files: list[tuple[Output, str]], admins: set[str], group: str,
            notes: list[str], rules: set[str]) -> None:
    """sshd, modes of the rendered files, accounts: who can get in (NET-3)."""
    modes = [hostsec.FileMode(o.dest, o.owner, o.group, o.mode, o.rule)
             for o, _ in files if o.dest] + hostsec.hardening_files()
    sshd = next((t for o, t in files if o.dest == hostsec.SSHD_CONFIG), "")
    found = hostsec.sections(facts.command(hostsec.probe(modes, sshd)))
    for rule, what in hostsec.mode_differences(found, modes):
        rules.add(rule)
        notes.append(what)
    access = hostsec.sshd_differences(found) + hostsec.account_differences(found, admins, group)
    if access:
        rules.add("NET-3")
        notes.extend(access)


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
