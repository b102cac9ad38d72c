"""Findings, never a crash: random YAML documents, random text and random mutations of a valid
site fed to `beffroi validate --format json` (in-process CLI: the exit code is the real one).

Whatever the input, the command exits 0 or 1, prints a JSON list of findings, and raises
nothing (an escaped exception would be the traceback an engineer must never see).
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validation.inventory_kit import MOSELLE, InventoryCopy, invoke_beffroi

TARGETS = ("sites/evrange.yml", "department.yml", "crisis-cell.yml")
# 150 examples each in `make test`; BEFFROI_FUZZ_EXAMPLES=5000 for a deeper hunt.
FUZZ = settings(max_examples=int(os.environ.get("BEFFROI_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Keys Beffroi knows, so random mappings sometimes reach deep into the model.
KNOWN_KEYS = sorted({"commune", "slug", "site_id", "cameras", "authorization", "network", "nvr",
                     "switch", "firewall", "retention_days", "issued", "expires", "purposes",
                     "code", "regime", "ip", "subnet", "recording", "fps", "width", "hostname",
                     "password", "wireguard_public_key", "addressing", "pool", "time",
                     "ntp_servers", "habilitations", "id", "role", "rights"})
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.dates(),
    st.sampled_from(["10.57.0.300", "10.57.0.0/33", "2024-02-30", "~", "yes", "0x1F",
                     "fIEVlF+LML5S6hDrhhZUj2Ur7PqPucPuSmWCg0/+tgk=", "", " ", "a[0]"]),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=12), st.integers())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)
yaml_soup = st.text(alphabet=st.sampled_from(list("ab1:-[]{}'\"&*!|>#%@`,?\n\t .")) |
                    st.characters(), max_size=300)

EVRANGE: dict[str, Any] = yaml.safe_load((MOSELLE / "sites/evrange.yml").read_text())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


SITE_PATHS = sorted(_paths(EVRANGE), key=repr)


@pytest.fixture(scope="module")
def fuzz_inventory(tmp_path_factory: pytest.TempPathFactory) -> InventoryCopy:
    """One copy for all examples; each example rewrites one file and restores it."""
    root = tmp_path_factory.mktemp("fuzz") / "moselle"
    shutil.copytree(MOSELLE, root)
    return InventoryCopy(root)


def _validate_with(inv: InventoryCopy, target: str, text: str) -> None:
    path = inv.file(target)
    original = path.read_bytes()
    try:
        # surrogatepass: a lone surrogate becomes bytes that are not UTF-8 (also worth feeding)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        result = invoke_beffroi(["validate", str(inv.root), "--format", "json"])
    finally:
        path.write_bytes(original)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    findings = result.json()
    assert isinstance(findings, list)
    if result.exit_code == 1:
        assert any(f["severity"] == "error" for f in findings)


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


@FUZZ
@given(target=st.sampled_from(TARGETS), doc=values)
def test_random_yaml_document_gives_findings_not_a_crash(
        fuzz_inventory: InventoryCopy, target: str, doc: Any) -> None:
    _validate_with(fuzz_inventory, target, _dump(doc))


@FUZZ
@given(target=st.sampled_from(TARGETS), text=yaml_soup)
def test_random_text_gives_findings_not_a_crash(
        fuzz_inventory: InventoryCopy, target: str, text: str) -> None:
    _validate_with(fuzz_inventory, target, text)


def _mutate(data: Any, path: tuple[Any, ...], op: str, value: Any, new_key: Any) -> Any:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif isinstance(parent, dict):  # rename
        parent[new_key] = parent.pop(last)
    else:
        parent.insert(0, value)
    return data


@FUZZ
@given(path=st.sampled_from(SITE_PATHS), op=st.sampled_from(["delete", "replace", "rename"]),
       value=values, new_key=keys)
def test_random_mutation_of_a_valid_site_gives_findings_not_a_crash(
        fuzz_inventory: InventoryCopy, path: tuple[Any, ...], op: str, value: Any,
        new_key: Any) -> None:
    data = _mutate(copy.deepcopy(EVRANGE), path, op, value, new_key)
    _validate_with(fuzz_inventory, "sites/evrange.yml", _dump(data))


def test_fuzz_inventory_is_valid_before_mutation(fuzz_inventory: InventoryCopy) -> None:
    result = invoke_beffroi(["validate", str(fuzz_inventory.root), "--format", "json"])
    assert (result.exit_code, result.json()) == (0, [])


def test_site_paths_cover_the_whole_site_file() -> None:
    assert ("cameras", 0, "recording", "fps") in SITE_PATHS
    assert len(SITE_PATHS) > 150
    assert Path(MOSELLE / "sites/evrange.yml").is_file()


# --- issue 9: control characters anywhere in a string field are refused at that field ---------
# Every character a line-based parser or a reader trips on: controls (\n \r \t NUL DEL NEL…),
# format characters (bidi overrides and isolates, zero-width, BOM), line/paragraph separators.
control_characters = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])


def _value_at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


STRING_PATHS = sorted((p for p in SITE_PATHS if isinstance(_value_at(EVRANGE, p), str)), key=repr)


@FUZZ
@given(path=st.sampled_from(STRING_PATHS), before=st.text(max_size=12).filter(str.isprintable),
       char=control_characters, after=st.text(max_size=12).filter(str.isprintable))
def test_control_character_in_any_string_field_is_refused_at_that_field(
        fuzz_inventory: InventoryCopy, path: tuple[Any, ...], before: str, char: str,
        after: str) -> None:
    data = _mutate(copy.deepcopy(EVRANGE), path, "replace", before + char + after, None)
    # Escaped (ASCII) YAML: a raw NEL or U+2028 would already be folded by the YAML reader.
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=False, sort_keys=False)
    target = fuzz_inventory.file("sites/evrange.yml")
    original = target.read_bytes()
    try:
        target.write_text(text, encoding="utf-8")
        result = invoke_beffroi(["validate", str(fuzz_inventory.root), "--format", "json"])
    finally:
        target.write_bytes(original)
    assert result.exit_code == 1, (path, repr(char), result.output)
    where = ".".join(str(p) for p in path)
    at_field = [f for f in result.json() if f["severity"] == "error"
                and f["path"].replace("[", ".").replace("]", "") == where]
    assert at_field, (path, repr(char), result.json())
