"""Junos configuration as `set` lines: the text form of the intent, the XML form of NETCONF.

The template renders `set` lines (the flat form Junos itself prints with `show | display set`),
so a diff is a list of statements. The device's NETCONF `<configuration>` is turned into the
same lines, and intended lines into the XML `edit-config` takes.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET

# What a Junos switch carries that the intent does not render and that grants no access,
# copies no traffic and holds no secret beyond the root password every Junos device must have
# (an allowlist: any other unrendered statement is drift, NET-3; see config.DEVICE_DEFAULTS).
DEVICE_DEFAULTS = re.compile(
    r"^set (version |system (root-authentication |time-zone |commit |"
    r"max-configurations-on-flash |services netconf ssh$|syslog (file|user) )|chassis |"
    r"protocols (lldp|lldp-med|rstp|igmp-snooping) |poe interface )")

# containers whose children are named entries written without a keyword: `interfaces ge-0/0/1`
_IMPLICIT = {"interfaces": "interface", "vlans": "vlan"}
# keywords followed by the name of an entry: `unit 0`, `server 10.0.0.1`
_KEYED = {"unit", "server", "host", "route", "address", "interface"}
# keywords followed by a value
_LEAVES = {"description", "port-mode", "members", "vlan-id", "host-name", "next-hop",
           "mac-limit", "any", "l3-interface"}


def parse_set(text: str) -> list[str]:
    """The `set` statements of a text (comments and blank lines dropped), normalised spacing."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("set "):
            out.append(" ".join(_quote(t) for t in shlex.split(line)))
    return out


def _quote(token: str) -> str:
    """Junos quotes values with spaces in double quotes."""
    return f'"{token}"' if " " in token else token


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def from_xml(xml: str) -> list[str]:
    """`set` lines of a NETCONF reply's <configuration>."""
    root = ET.fromstring(xml)
    conf = next((e for e in root.iter() if _local(e.tag) == "configuration"), None)
    lines: list[str] = []
    if conf is not None:
        _walk(conf, ["set"], lines)
    return lines


def _walk(node: ET.Element, path: list[str], lines: list[str]) -> None:
    for child in node:
        tag = _local(child.tag)
        name = next((c.text for c in child if _local(c.tag) == "name"), None)
        rest = [c for c in child if _local(c.tag) != "name"]
        if name is not None and _local(node.tag) in _IMPLICIT:
            _emit_entry(child, [*path, name], rest, lines)
        elif name is not None:
            _emit_entry(child, [*path, tag, name], rest, lines)
        elif len(child) == 0:
            text = (child.text or "").strip()
            value = [_quote(text)] if text else []
            lines.append(" ".join([*path, tag, *value]))
        else:
            _walk(child, [*path, tag], lines)


def _emit_entry(child: ET.Element, path: list[str], rest: list[ET.Element],
                lines: list[str]) -> None:
    if not rest:
        lines.append(" ".join(path))
        return
    holder = ET.Element(child.tag)
    holder.extend(rest)
    _walk(holder, path, lines)


def to_xml(lines: list[str], operations: dict[tuple[str, str], str] | None = None) -> str:
    """`<config><configuration>` for edit-config; `operations` puts `operation="…"` on whole
    entries, e.g. {("interfaces", "ge-0/0/1"): "replace", ("vlans", "ROGUE"): "delete"}."""
    ops = operations or {}
    conf = ET.Element("configuration")
    for line in lines:
        tokens = shlex.split(line)[1:]
        node, i = conf, 0
        while i < len(tokens):
            tok = tokens[i]
            if node.tag in _IMPLICIT:
                node = _entry(node, _IMPLICIT[node.tag], tok)
                op = ops.get((_parent_container(conf, node), tok))
                if op:
                    node.set("operation", op)
                i += 1
            elif tok in _KEYED and i + 1 < len(tokens):
                node = _entry(node, tok, tokens[i + 1])
                i += 2
            elif tok in _LEAVES and i + 1 < len(tokens):
                leaf = ET.SubElement(node, tok)
                leaf.text = tokens[i + 1]
                i += 2
                node = leaf
            elif i == len(tokens) - 1:
                ET.SubElement(node, tok)
                i += 1
            else:
                found = node.find(tok)
                node = found if found is not None else ET.SubElement(node, tok)
                i += 1
    for (container, name), op in ops.items():   # entries only removed have no lines
        holder = conf.find(container)
        holder = holder if holder is not None else ET.SubElement(conf, container)
        entry = _entry(holder, _IMPLICIT[container], name)
        entry.set("operation", op)
    return "<config>" + ET.tostring(conf, encoding="unicode") + "</config>"


def _entry(parent: ET.Element, tag: str, name: str) -> ET.Element:
    for child in parent.findall(tag):
        if child.findtext("name") == name:
            return child
    entry = ET.SubElement(parent, tag)
    ET.SubElement(entry, "name").text = name
    return entry


def _parent_container(conf: ET.Element, entry: ET.Element) -> str:
    for container in conf:
        if entry in list(container):
            return container.tag
    return ""


def foreign(want: list[str], running: list[str], account: str = "") -> list[str]:
    """Running statements outside the interfaces and VLANs (compared entry by entry) that the
    intent does not render, that `DEVICE_DEFAULTS` does not allow and that are not the vaulted
    `account` (`set system login user ACCOUNT …`): `set snmp community`, another login user,
    `set system services telnet` beside the rendered ssh."""
    rendered = set(want)
    out = []
    for line in running:
        if entry_of(line) or line in rendered or DEVICE_DEFAULTS.match(line):
            continue
        if account and line.startswith(f"set system login user {account} "):
            continue
        out.append(line)
    return out


def entry_of(line: str) -> tuple[str, str] | None:
    """(`interfaces`|`vlans`, name) a line belongs to, or None for other statements."""
    tokens = shlex.split(line)
    if len(tokens) >= 3 and tokens[1] in _IMPLICIT:
        return tokens[1], tokens[2]
    return None
