"""The whole loaded nftables ruleset vs what the rendered file loads (NET-1).

Both sides are `nft -j list ruleset` of a loaded ruleset: the rendered file is loaded here in a
throwaway network namespace (`unshare -n nft -f`), the host's is read live. Every table counts:
one the rendered file does not create (a copy of camera traffic, a port forward) is drift as
much as a changed rule. Normalised: object handles and counter values (traffic, not intent)
are dropped; rule order within a chain is kept.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Any

SPLIT = "@@beffroi-nft-text@@"
_TABLE = re.compile(r"^table (\S+ \S+) \{$")
_COUNTER = re.compile(r"counter packets \d+ bytes \d+")
# values that change with traffic or time, never with intent
_VOLATILE = {"handle", "packets", "bytes", "expires", "used"}
LIST = f"nft -j list ruleset; echo {SPLIT}; nft list ruleset"


@dataclass(frozen=True)
class Ruleset:
    """A loaded ruleset: normalised JSON objects and printed text, per table."""

    objects: dict[str, list[str]]   # "family name" → its objects, normalised JSON, in order
    text: dict[str, str]            # "family name" → `nft list ruleset` text of that table


def parse(output: str) -> Ruleset | None:
    """`LIST`'s output as a Ruleset, or None when it is not nft's JSON (nft missing, denied)."""
    raw, _, text = output.partition(SPLIT)
    try:
        data: Any = json.loads(raw or "{}")
        items = data["nftables"]
    except (ValueError, KeyError, TypeError):
        return None
    objects: dict[str, list[str]] = {}
    for item in items:
        (kind, body), = item.items()
        if kind == "metainfo":
            continue
        name = f"{body['family']} {body['name'] if kind == 'table' else body['table']}"
        objects.setdefault(name, []).append(json.dumps({kind: _stable(body)}, sort_keys=True))
    return Ruleset(objects, _tables(text.lstrip("\n")))


def _stable(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _stable(v) for k, v in node.items() if k not in _VOLATILE}
    if isinstance(node, list):
        return [_stable(v) for v in node]
    return node


def _tables(listing: str) -> dict[str, str]:
    out: dict[str, str] = {}
    current: str | None = None
    for line in listing.splitlines():
        m = _TABLE.match(line)
        if m:
            current = m.group(1)
            out[current] = ""
        if current is not None:
            out[current] += _COUNTER.sub("counter", line) + "\n"
        if line == "}":
            current = None
    return out


def rendered(ruleset_file: str) -> Ruleset | None:
    """The rendered ruleset as loaded, or None if this machine cannot load it in a private
    network namespace (no nft, no privilege)."""
    if not shutil.which("nft") or not shutil.which("unshare"):
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".nft") as f:
        f.write(ruleset_file)
        f.flush()
        done = subprocess.run(["unshare", "-n", "sh", "-c", f"nft -f {f.name} && {LIST}"],
                              capture_output=True, text=True, timeout=20, check=False)
    return parse(done.stdout) if done.returncode == 0 else None


def differences(live: Ruleset, want: Ruleset) -> list[tuple[str, str]]:
    """(table, what) for every table added, missing or changed on the host."""
    out = []
    for name in sorted(set(live.objects) | set(want.objects)):
        if name not in want.objects:
            out.append((name, f"extra nftables table {name}, not in the rendered ruleset "
                              "(remove it: `nft delete table " + name + "`, or redeploy)"))
        elif name not in live.objects:
            out.append((name, f"nftables table {name} of the rendered ruleset is not loaded"))
        elif live.objects[name] != want.objects[name]:
            out.append((name, f"loaded nftables table {name} differs from the rendered "
                              "ruleset"))
    return out
