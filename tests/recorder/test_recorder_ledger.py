"""Register and journal: append-only, hash-chained, signed; verify names the first broken line
(REG-1, JRN-2)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from recorder.ledger import Ledger


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _filled(tmp_path: Path, key: Ed25519PrivateKey, n: int = 5) -> Ledger:
    led = Ledger(tmp_path / "journal", "journal", key)
    for i in range(n):
        led.append("login", {"user": f"u{i}"})
    return led


def _lines(led: Ledger) -> tuple[Path, list[str]]:
    path = sorted(led.dir.glob("*.jsonl"))[-1]
    return path, path.read_text().splitlines(keepends=True)


def test_each_entry_carries_previous_hash_and_verifies(tmp_path: Path,
                                                       key: Ed25519PrivateKey) -> None:
    led = _filled(tmp_path, key)
    entries = list(led.entries())
    assert [e["seq"] for e in entries] == [0, 1, 2, 3, 4]
    for prev, cur in itertools.pairwise(entries):
        assert cur["prev"] == prev["hash"]
    assert led.verify(key.public_key()) == (5, None)


def test_altered_line_is_named_by_verify(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    led = _filled(tmp_path, key)
    path, lines = _lines(led)
    lines[2] = lines[2].replace('"u2"', '"intrus"')
    path.write_text("".join(lines))
    count, problem = led.verify(key.public_key())
    assert problem is not None and count == 2
    assert problem.line == 3 and "altered" in problem.message and path.name in problem.file


def test_removed_line_breaks_the_chain(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    led = _filled(tmp_path, key)
    path, lines = _lines(led)
    del lines[1]
    path.write_text("".join(lines))
    _, problem = led.verify(key.public_key())
    assert problem is not None and problem.line == 2 and "chain broken" in problem.message


def test_rehashed_forgery_fails_on_signature(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    """Someone without the NVR key recomputes the hash of an edited entry: the signature fails."""
    from recorder.ledger import entry_hash

    led = _filled(tmp_path, key, n=1)
    path, lines = _lines(led)
    entry = json.loads(lines[0])
    entry["data"]["user"] = "forged"
    entry["hash"] = entry_hash(entry)
    path.write_text(json.dumps(entry) + "\n")
    _, problem = led.verify(key.public_key())
    assert problem is not None and "bad signature" in problem.message


def test_other_key_does_not_verify(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    led = _filled(tmp_path, key, n=2)
    _, problem = led.verify(Ed25519PrivateKey.generate().public_key())
    assert problem is not None and problem.line == 1


def test_torn_last_write_is_dropped_and_recorded(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    led = _filled(tmp_path, key, n=3)
    path, _ = _lines(led)
    with open(path, "a") as fh:
        fh.write('{"seq": 3, "kind": "log')  # power cut in the middle of a write
    assert led.verify(key.public_key())[1] is not None
    led.append("login", {"user": "after"})
    kinds = [e["kind"] for e in led.entries()]
    assert kinds == ["login"] * 3 + ["torn_write_dropped", "login"]
    assert led.verify(key.public_key()) == (5, None)


def test_journal_prune_drops_old_months_and_stays_verifiable(tmp_path: Path,
                                                             key: Ed25519PrivateKey) -> None:
    """JRN-2: months older than the journal retention go; the shortened chain still verifies."""
    led = _filled(tmp_path, key, n=3)
    path, _ = _lines(led)
    old = led.dir / "2000-01.jsonl"
    path.rename(old)  # pretend these entries were written long ago ...
    led.append("login", {"user": "recent"})  # ... and this one in the current month
    assert len(list(led.dir.glob("*.jsonl"))) == 2
    removed = led.prune_before(cutoff=2e9)
    assert removed == ["2000-01.jsonl"]
    entries = list(led.entries())
    assert entries[0]["seq"] == 3 and entries[-1]["kind"] == "journal_pruned"
    assert led.verify(key.public_key())[1] is None


def test_removing_the_head_without_prune_entry_is_detected(tmp_path: Path,
                                                            key: Ed25519PrivateKey) -> None:
    led = _filled(tmp_path, key, n=4)
    path, lines = _lines(led)
    path.write_text("".join(lines[2:]))
    _, problem = led.verify(key.public_key())
    assert problem is not None and "head removed" in problem.message


def test_entries_longer_than_the_tail_window_chain_correctly(tmp_path: Path,
                                                             key: Ed25519PrivateKey) -> None:
    led = Ledger(tmp_path / "register", "register", key)
    led.append("recording", {"note": "x" * 20000})
    led.append("recording", {"note": "y" * 9000})
    led.append("recording", {"note": "z"})
    assert [e["seq"] for e in led.entries()] == [0, 1, 2]
    assert led.verify(key.public_key()) == (3, None)
