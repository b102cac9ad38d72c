"""The communes of an essaimage are one compact site: their rendered intents are identical once
site-specific values (slug, name, addresses, keys) are normalised, except where their site
files declare a difference. The fourth commune is made by `beffroi site new` in the test."""

from __future__ import annotations

import copy
import difflib
import ipaddress
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rollout_kit import department

from beffroi import addressing
from beffroi.inventory import load_inventory
from beffroi.render import render_site

IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b")
KEY = re.compile(r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")  # a WireGuard public key
OTHERS = ["roussy-le-village", "hettange-grande", "kanfen"]


def _leaves(doc: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(doc, dict):
        return {k: v for key, val in doc.items() for k, v in _leaves(val, (*path, key)).items()}
    if isinstance(doc, list):
        return {k: v for i, val in enumerate(doc) for k, v in _leaves(val, (*path, i)).items()}
    return {path: doc}


def _identity(root: Path, slug: str) -> dict[str, str]:
    """A commune's own values, read from its site file: name, slug, addresses, keys."""
    doc = yaml.safe_load((root / "sites" / f"{slug}.yml").read_text(encoding="utf-8"))
    values = {str(doc["commune"]): "<commune>", slug.replace("-", "_"): "<slug_>",
              slug: "<slug>"}
    shared = {str(v) for name in ("department.yml", "crisis-cell.yml")
              for v in _leaves(yaml.safe_load((root / name).read_text(encoding="utf-8"))).values()}
    for path, value in _leaves(doc).items():
        text = str(value)
        # a department host a site file names (the crisis cell as an alert relay) is no value
        # of the commune's own
        if (IP.fullmatch(text) or KEY.match(text)) and text not in shared:
            values[text] = "<" + ".".join(map(str, path)) + ">"
    return values


def _normalised(root: Path, slug: str) -> dict[str, str]:
    """Every rendered file of `slug`, its own values replaced by placeholders; addresses the
    model derives (VLAN subnets, WAN, tunnel) are replaced by their offset in a site pool."""
    inv = load_inventory(root)
    ident = _identity(root, slug)
    assert inv.department is not None
    site = inv.sites[slug]
    # addresses the model derives from site_id (subnets, WAN, tunnel): named by plan field
    allocated = addressing.plan(inv.department.addressing, site.site_id, len(site.cameras))
    for name, value in vars(allocated).items():
        for one in value if isinstance(value, tuple) else (value,):
            ident.setdefault(str(one), f"<plan.{name}>")
            if isinstance(one, ipaddress.IPv4Interface):
                ident.setdefault(str(one.ip), f"<plan.{name}.ip>")
    out = {}
    for item, text in render_site(inv, slug).items():
        # whole addresses only: 10.57.0.7 must not rewrite the start of 10.57.0.74
        text = IP.sub(lambda m: _placeholder(ident, m[0]), text)
        for value in sorted(ident, key=len, reverse=True):
            if not IP.fullmatch(value):
                text = text.replace(value, ident[value])
        out[item.relpath.replace(slug, "<slug>")] = text
    return out


def _placeholder(ident: dict[str, str], address: str) -> str:
    """An address's placeholder; a declared address written with its pool's prefix (the tunnel
    address `10.58.0.2/22`) keeps the prefix after its placeholder."""
    if address in ident:
        return ident[address]
    ip, _, prefix = address.partition("/")
    return f"{ident[ip]}/{prefix}" if prefix and ip in ident else address


def _diff(a: dict[str, str], b: dict[str, str]) -> dict[str, list[list[str]]]:
    """Per file, its changed hunks (each a list of -/+ lines)."""
    changed: dict[str, list[list[str]]] = {}
    for name in sorted(set(a) | set(b)):
        hunks: list[list[str]] = []
        for ln in difflib.unified_diff(a.get(name, "").splitlines(), b.get(name, "").splitlines(),
                                       lineterm="", n=0):
            if ln.startswith("@@"):
                hunks.append([])
            elif ln[:1] in "+-" and not ln.startswith(("+++", "---")):
                hunks[-1].append(ln)
        if hunks:
            changed[name] = hunks
    return changed


@pytest.fixture(scope="module")
def dept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Moselle's three communes plus Kanfen (`beffroi site new`)."""
    return department(tmp_path_factory.mktemp("sameness") / "moselle")


def test_commune_declaring_what_evrange_declares_renders_what_evrange_renders(
        dept: Path) -> None:
    """Kanfen keeps its identity (name, slug, site_id, addresses, keys, vault) and takes every
    other declaration of Évrange: no rendered file may differ after normalisation."""
    ev = yaml.safe_load((dept / "sites" / "evrange.yml").read_text(encoding="utf-8"))
    ka_file = dept / "sites" / "kanfen.yml"
    ka = yaml.safe_load(ka_file.read_text(encoding="utf-8"))
    hybrid = copy.deepcopy(ev)
    ka_leaves = _leaves(ka)

    def put(doc: Any, path: tuple[Any, ...], value: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    for path, value in _leaves(ev).items():
        text = str(value)
        if IP.fullmatch(text) or KEY.match(text):
            # Kanfen's own address or key at that place; an address only Évrange declares (its
            # alert route's relay, a department host) stays as it is
            put(hybrid, path, ka_leaves.get(path, value))
        elif isinstance(value, str) and ("Évrange" in value or "evrange" in value):
            put(hybrid, path, text.replace("Évrange", "Kanfen").replace("evrange", "kanfen"))
    for key in ("commune", "slug", "site_id"):
        hybrid[key] = ka[key]
    ka_file.write_text(yaml.safe_dump(hybrid, allow_unicode=True, sort_keys=False), "utf-8")
    try:
        assert _diff(_normalised(dept, "evrange"), _normalised(dept, "kanfen")) == {}
    finally:
        ka_file.write_text(yaml.safe_dump(ka, allow_unicode=True, sort_keys=False), "utf-8")


@pytest.mark.parametrize("other", OTHERS)
def test_every_rendered_difference_is_a_declared_difference(dept: Path, other: str) -> None:
    """Each line that differs from Évrange's, once normalised, carries a value that the two
    site files declare differently (a name, a retention, a camera, a person …)."""
    docs = {s: _leaves(yaml.safe_load((dept / "sites" / f"{s}.yml").read_text("utf-8")))
            for s in ("evrange", other)}
    idents = {s: _identity(dept, s) for s in docs}
    declared = set()
    for slug, leaves in docs.items():
        mine, theirs = leaves, docs["evrange" if slug == other else other]
        for path, value in mine.items():
            if theirs.get(path) != value and str(value) not in idents[slug] and str(value):
                text = str(value)  # as the normalised render shows it
                for own in sorted(idents[slug], key=len, reverse=True):
                    text = text.replace(own, idents[slug][own])
                declared.add(text)
    diff = _diff(_normalised(dept, "evrange"), _normalised(dept, other))
    assert diff, f"{other} declares differences from Évrange: some file must differ"
    # a hunk (one contiguous change, e.g. a whole [[users]] block) is explained when one of its
    # lines carries a declared value
    # whole values only: a declared 21 explains "retention_days = 21", not "10.57.0.210"
    tokens = [re.compile(rf"(?<![\w.]){re.escape(v)}(?![\w.])") for v in declared]
    unexplained = [f"{name}: {hunk}" for name, hunks in diff.items() for hunk in hunks
                   if not any(t.search(line) for line in hunk for t in tokens)]
    assert unexplained == []
