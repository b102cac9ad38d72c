"""The escaping filters and serializers: a value comes back as the same literal, or is refused.

TOML and YAML round-trip through their real readers (`tomllib`, PyYAML) for any text hypothesis
finds; each line-based filter refuses every spelling of a line break.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.escaping import FILTERS, UnsafeValue, to_toml, to_yaml

LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00", "\t",
               "\x1b", "\u202e", "\u2066", "\ufeff"]
LINE_FILTERS = sorted(name for name in FILTERS if name not in ("to_toml", "to_yaml", "nft_ports",
                                                                "nft_addr", "to_json", "pem"))

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # any text but surrogates
keys = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=10)
scalars = st.one_of(text, st.booleans(), st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False), st.lists(text, max_size=3))
tables = st.dictionaries(keys, scalars, max_size=4)
documents = st.dictionaries(keys, st.one_of(scalars, tables, st.lists(tables, min_size=1,
                                                                      max_size=3)), max_size=5)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isinf(a) and a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b and type(a) is type(b))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_to_toml_round_trips_through_tomllib(doc: dict[str, Any]) -> None:
    assert _same(tomllib.loads(to_toml(doc)), doc)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_to_yaml_round_trips_through_safe_load(doc: dict[str, Any]) -> None:
    assert _same(yaml.safe_load(to_yaml(doc)), doc)


@given(st.dictionaries(keys, st.recursive(text | st.integers() | st.booleans(),
                                          lambda inner: st.lists(inner, max_size=3), max_leaves=6),
                       max_size=4))
def test_to_json_round_trips(doc: dict[str, Any]) -> None:
    import json

    from beffroi.escaping import to_json

    assert json.loads(to_json(doc)) == doc


def test_pem_filter_passes_a_key_and_refuses_anything_else() -> None:
    from beffroi import vault
    from beffroi.escaping import UnsafeValue, pem

    key = vault.ed25519_private_pem()
    assert pem(key) == key.strip()
    assert pem("<vault>") == "<vault>"
    for bad in ("hello", key + "\nExecStart=/bin/sh", key.replace("MC4C", "MC4C\n[Service]")):
        with pytest.raises(UnsafeValue):
            pem(bad)


def test_to_toml_writes_the_recorder_shape() -> None:
    doc = {"recorder": {"site": "evrange", "retention_days": 15},
           "cameras": [{"id": "cam-a", "location": 'Mât "nord"\\ #1'}],
           "users": [{"id": "u", "cameras": ["*"]}, {"id": "v", "cameras": []}]}
    text = to_toml(doc)
    assert text.startswith("[recorder]\n") and "\n[[cameras]]\n" in text
    assert tomllib.loads(text) == doc


@pytest.mark.parametrize("name", LINE_FILTERS)
@pytest.mark.parametrize("brk", LINE_BREAKS, ids=repr)
def test_every_line_filter_refuses_every_line_break(name: str, brk: str) -> None:
    with pytest.raises(UnsafeValue):
        FILTERS[name](f"Évrange{brk}allow all")


@pytest.mark.parametrize(("name", "value"), [
    ("chrony_word", "100.64.0.123 iburst"), ("chrony_word", "ntp#1"),
    ("ios_word", "Gi1/0/1 shutdown"), ("ios_text", "camera ?"),
    ("junos_word", 'ge-0/0/1"'), ("procurve_string", 'a "b"'),
    ("nft_string", 'a" accept'), ("nft_string", "x" * 129), ("nft_word", "tcp;"),
    ("wg_value", "key # comment"), ("systemd_word", "/srv/a /etc"),
    ("systemd_value", "trailing\\"), ("sshd_word", "no yes"), ("nut_word", "usbhid-ups x"),
    ("apt_word", '1"; APT::x "1'), ("apt_word", "true;"), ("apt_word", "{"),
    ("sudoers_word", "admins,root"), ("sudoers_word", "ALL=(ALL)"), ("sudoers_word", "#0"),
])
def test_word_filters_refuse_what_their_syntax_cannot_carry(name: str, value: str) -> None:
    with pytest.raises(UnsafeValue):
        FILTERS[name](value)


def test_quoting_filters_escape_quotes_and_backslashes() -> None:
    assert FILTERS["junos_string"]('a "b" \\c') == '"a \\"b\\" \\\\c"'
    assert FILTERS["nut_string"]('UPS "2000" \\') == '"UPS \\"2000\\" \\\\"'
    assert FILTERS["nft_string"]("NET-1: cameras # { } ;") == '"NET-1: cameras # { } ;"'
    assert FILTERS["systemd_value"]("100%") == "100%%"
    assert FILTERS["html"]('<a href="x">&') == "&lt;a href=&#34;x&#34;&gt;&amp;"


def test_nft_sets_are_validated_addresses_and_ports() -> None:
    assert FILTERS["nft_addr"]("100.64.0.123,100.64.0.124") == "{ 100.64.0.123, 100.64.0.124 }"
    assert FILTERS["nft_addr"]("10.57.0.64/27") == "10.57.0.64/27"
    assert FILTERS["nft_ports"]([554, 80]) == "{ 554, 80 }"
    for bad in ("10.57.0.65/27", "any", "10.0.0.1; flush ruleset"):
        with pytest.raises(UnsafeValue):
            FILTERS["nft_addr"](bad)
    for port in (0, 70000, "22 accept", True):
        with pytest.raises(UnsafeValue):
            FILTERS["nft_ports"]([port])
