"""IOS-style configuration text as comparable data: sections, normalisation, diff, delta.

A config is a list of top-level lines, each with its indented child lines. Two configs are
compared section by section with children as sets (IOS prints an interface's lines in its own
order, not in the order they were typed). Only what the intent manages is compared: a running
section is in scope when the intent has a section of the same kind (`vlan`, `interface`,
`ntp server`, `ip http` …), so a device's own defaults (banner, aaa, crypto) are not drift.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# lines a device prints around its configuration, never part of the intent
_NOISE = re.compile(r"^(Building configuration|Current configuration|version |end$|!|;)")
# global settings that have one value: setting the new one replaces the old, never negate
_SINGLETONS = ("hostname ", "ip default-gateway ", "ip domain-name ", "ip domain name ")
_WORD_PREFIX = re.compile(r"^([A-Za-z-]+?)\s*(\d.*)$")
# What a switch prints of itself that the intent does not render and that grants no access,
# copies no traffic and holds no secret (an allowlist: any other unrendered line is drift, NET-3).
DEVICE_DEFAULTS = re.compile(
    r"^(banner (motd|login|exec) |boot-(start|end)-marker$|boot system |service (timestamps|pad"
    r"|counters|compress-config|internal)\b|no service (pad|config|dhcp)\b|"
    r"spanning-tree (mode|extend system-id|loopguard default|portfast (bpduguard )?default)\b|"
    r"vtp (mode|domain|version) |no aaa new-model$|ip ssh version 2$|ip ssh time-out |"
    r"ip ssh authentication-retries |crypto pki (trustpoint|certificate) |crypto key |"
    r"control-plane$|line con 0$|memory-size |system mtu |license |redundancy$|mode sso$|"
    r"diagnostic bootup |errdisable recovery |ip forward-protocol nd$|no ip (source-route|"
    r"bootp server|domain-lookup|finger|gratuitous-arps)$|vlan internal allocation |"
    r"no logging console$|logging buffered |clock timezone (UTC|GMT)( 0( 0)?)?$)")
# kinds that grant or gate access to the switch (or hold its secrets): NET-3, not NET-1
ACCESS_KINDS = re.compile(r"^(no )?(line|username|enable|snmp-server|aaa|tacacs|radius|ip ssh|"
                          r"ip http|crypto|ip scp|ip ftp|ip tftp|privilege|service password)\b")
# words that name a line when removing it: `no username bob`, not the whole line
_REMOVAL_WORDS = {"username": 2, "enable": 2, "snmp-server community": 3, "snmp-server host": 3,
                  "snmp-server user": 3, "snmp-server group": 3, "monitor session": 3}


@dataclass(frozen=True)
class Section:
    """A top-level line and its children (stripped, order-insensitive)."""

    header: str
    children: frozenset[str] = field(default_factory=frozenset)

    def lines(self) -> list[str]:
        """The section as config text lines, children sorted for a stable, readable diff."""
        return [self.header, *(f" {c}" for c in sorted(self.children))]


@dataclass
class Config:
    """An ordered set of sections keyed by header."""

    sections: dict[str, Section] = field(default_factory=dict)

    def text(self) -> str:
        """Normalised text (what diffs are made of)."""
        return "".join(f"{line}\n" for s in self.sections.values() for line in s.lines())


def _canonical_header(line: str) -> str:
    """`interface vlan 120` and `interface Vlan120` are the same interface."""
    words = line.split()
    if words[0] == "interface" and len(words) > 1:
        name = "".join(words[1:])
        match = _WORD_PREFIX.match(name)
        if match:
            name = match.group(1).capitalize() + match.group(2) if match.group(1).islower() \
                else name
        return f"interface {name}"
    return " ".join(words)


def parse(text: str) -> Config:
    """Parse IOS-style text; drops comments and banner lines, `no shutdown` (IOS's default
    state of a configured port, never printed) and the always-present default VLAN 1."""
    cfg = Config()
    header: str | None = None
    children: dict[str, list[str]] = {}
    for raw in text.splitlines():
        if not raw.strip() or _NOISE.match(raw.strip()):
            continue
        if raw[0] in " \t":
            if header is None:
                continue
            child = " ".join(raw.split())
            if child != "no shutdown" and child != "exit":
                children[header].append(child)
            continue
        header = _canonical_header(raw)
        children.setdefault(header, [])
    for head, kids in children.items():
        if head == "vlan 1" and not kids:
            continue
        cfg.sections[head] = Section(head, frozenset(kids))
    return cfg


def kind(header: str) -> str:
    """What sort of setting a line is: `vlan`, `interface`, `ntp server`, `ip http` …"""
    words = header.removeprefix("no ").split()
    if words[0] in ("vlan", "interface", "hostname", "username"):
        return words[0]
    if words[0] in ("line", "enable") and len(words) > 1:   # every `line vty` range is one kind
        return " ".join(words[:2])
    return " ".join(words[:-1] if len(words) > 1 else words)


@dataclass(frozen=True)
class Scoped:
    """Intended and running configs restricted to what can be compared on this device."""

    intended: Config
    running: Config
    unverifiable: tuple[str, ...]   # intended lines this device cannot represent
    unmanaged: int                  # running device defaults the intent does not render
    foreign: tuple[str, ...] = ()   # running lines of kinds the intent does not render (NET-3)


def scope(intended: Config, running: Config, unmodelled: Iterable[re.Pattern[str]] = (),
          account: str = "") -> Scoped:
    """Keep what the intent manages; drop lines the device is known not to model.

    A running section of a kind the intent does not render is a device default only when
    `DEVICE_DEFAULTS` allows it, or when it is the vaulted `account` (`username ACCOUNT …`) or
    the enable secret the switch was bootstrapped with; any other is foreign: kept in the
    running side (so it shows in the diff and apply removes it) and listed for NET-3.
    """
    patterns = tuple(unmodelled)

    def modelled(line: str) -> bool:
        return not any(p.search(line) for p in patterns)

    unverifiable: list[str] = []
    want = Config()
    for s in intended.sections.values():
        if not modelled(s.header):
            unverifiable += [s.header, *(f"{s.header} / {c}" for c in sorted(s.children))]
            continue
        dropped = [c for c in sorted(s.children) if not modelled(c)]
        unverifiable += [f"{s.header} / {c}" for c in dropped]
        want.sections[s.header] = Section(s.header, s.children - set(dropped))
    kinds = {kind(h) for h in want.sections}
    have = Config()
    unmanaged = 0
    foreign: list[str] = []
    for s in running.sections.values():
        if not modelled(s.header):
            continue
        if kind(s.header) not in kinds:
            if _device_default(s.header, account):
                unmanaged += 1
                continue
            foreign.append(s.header)
        have.sections[s.header] = Section(s.header,
                                          frozenset(c for c in s.children if modelled(c)))
    return Scoped(want, have, tuple(unverifiable), unmanaged, tuple(foreign))


def _device_default(header: str, account: str) -> bool:
    """A running line the intent does not render but the device legitimately carries."""
    words = header.split()
    if account and words[:2] == ["username", account]:
        return "privilege" not in words or "privilege 15" in header   # the vaulted admin
    return bool(DEVICE_DEFAULTS.match(header)) or words[:2] == ["enable", "secret"]


def rule_of(header: str) -> str:
    """NET-3 for what gates access to the switch, NET-1 (video network isolation) otherwise."""
    return "NET-3" if ACCESS_KINDS.match(header) else "NET-1"


def changed_headers(intended: Config, running: Config) -> list[str]:
    """Headers of the sections that differ (missing, extra or with other children)."""
    heads = list(intended.sections) + [h for h in running.sections
                                       if h not in intended.sections]
    return [h for h in heads if intended.sections.get(h) != running.sections.get(h)]


def unified_diff(running: Config, intended: Config, device: str) -> str:
    """A diff a human reads in a terminal: `-` live only, `+` intended only."""
    order = list(intended.sections) + [h for h in running.sections
                                       if h not in intended.sections]

    def text(cfg: Config) -> list[str]:
        return [f"{line}\n" for h in order if h in cfg.sections
                for line in cfg.sections[h].lines()]
    return "".join(difflib.unified_diff(text(running), text(intended),
                                        f"{device} (running)", f"{device} (intended)", n=2))


def _negate(line: str) -> str:
    return line[3:] if line.startswith("no ") else f"no {line}"


def delta(intended: Config, running: Config) -> list[str]:
    """Configuration commands that turn `running` into `intended` (merge, then removals)."""
    cmds: list[str] = []
    for head, want in intended.sections.items():
        have = running.sections.get(head)
        if have is not None and have.children == want.children:
            continue
        cmds.append(head)   # a one-line setting, or entering the section to edit
        old = have.children if have is not None else frozenset()
        cmds += [f" {_negate(c)}" for c in sorted(old - want.children)]
        cmds += [f" {c}" for c in sorted(want.children - old)]
        if want.children or old:
            cmds.append(" exit")
    for head in running.sections:
        if head in intended.sections or head.startswith(_SINGLETONS):
            continue
        if head.startswith("interface ") and not _is_virtual(head):
            cmds.append(f"default {head}")   # a physical port cannot be removed, only reset
        else:
            cmds.append(_negate(_removal_name(head)))
    return cmds


def _removal_name(header: str) -> str:
    """The words that name a line for `no …`: `username bob`, `snmp-server community X`."""
    words = header.split()
    for prefix, count in _REMOVAL_WORDS.items():
        if header.startswith(prefix + " "):
            return " ".join(words[:count])
    return header


def _is_virtual(header: str) -> bool:
    name = header.split(" ", 1)[1].lower()
    return name.startswith(("vlan", "port-channel", "loopback", "tunnel"))
