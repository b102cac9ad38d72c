"""The ruleset comparison itself: what counts (every table) and what does not (traffic)."""

from __future__ import annotations

import json

from beffroi.drift import nft


def _listing(packets: int, handle: int, extra_table: bool = False) -> str:
    items: list[dict[str, object]] = [
        {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
        {"table": {"family": "inet", "name": "beffroi", "handle": handle}},
        {"chain": {"family": "inet", "table": "beffroi", "name": "forward", "handle": 1,
                   "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
        {"rule": {"family": "inet", "table": "beffroi", "chain": "forward", "handle": 7,
                  "expr": [{"counter": {"packets": packets, "bytes": packets * 60}},
                           {"drop": None}]}}]
    if extra_table:
        items.append({"table": {"family": "ip", "name": "copycat", "handle": 9}})
    text = ("table inet beffroi {\n\tchain forward {\n\t\tcounter packets "
            f"{packets} bytes {packets * 60} drop\n\t}}\n}}\n")
    return json.dumps({"nftables": items}) + f"\n{nft.SPLIT}\n" + text


def test_counter_values_and_handles_are_not_drift() -> None:
    live, want = nft.parse(_listing(1234, 42)), nft.parse(_listing(0, 3))
    assert live is not None and want is not None
    assert nft.differences(live, want) == []
    assert live.text == want.text   # the diff shown would not show counters either


def test_a_table_the_rendered_file_does_not_create_is_drift() -> None:
    live, want = nft.parse(_listing(0, 1, extra_table=True)), nft.parse(_listing(0, 1))
    assert live is not None and want is not None
    (table, what), = nft.differences(live, want)
    assert table == "ip copycat" and what.startswith("extra nftables table ip copycat")


def test_output_that_is_not_nft_json_is_unreadable_not_clean() -> None:
    assert nft.parse("Error: Could not process rule: Operation not permitted") is None
