"""Signed checkpoints of the register and journal heads (JRN-2, REG-1).

A hash chain shows that nothing was changed inside it, not that its tail was not cut nor the
whole state rolled back. A checkpoint signs each chain's head (seq + hash + time); it is kept in
checkpoint_dir, apart from state_dir and the video, and exposed off the NVR (`recorder
checkpoint --latest`, the recorder_checkpoint_info metric) so the department holds a witness.
`recorder verify` checks the chains still contain the heads the checkpoint saw.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from recorder import keys, timeutil
from recorder.ledger import Ledger
from recorder.state import State

KIND = "beffroi-recorder-checkpoint"
LATEST = "latest.json"
HISTORY = "checkpoints.jsonl"
CHAINS = ("register", "journal")


def _canonical(body: dict[str, Any]) -> bytes:
    data = {k: v for k, v in body.items() if k != "sig"}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _head(ledger: Ledger) -> dict[str, Any] | None:
    entry = ledger.head()
    if entry is None:
        return None
    return {"seq": int(entry["seq"]), "hash": str(entry["hash"]), "t": float(entry["t"])}


def make(state: State) -> dict[str, Any]:
    """A signed checkpoint of both chain heads, now."""
    now = timeutil.now()
    public = state.key.public_key()
    body: dict[str, Any] = {"kind": KIND, "site": state.config.site, "t": round(now, 3),
                            "ts": timeutil.iso(now), "register": _head(state.register),
                            "journal": _head(state.journal),
                            "public_key_fingerprint": keys.fingerprint(public)}
    body["sig"] = keys.sign_b64(state.key, _canonical(body))
    return body


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(state: State) -> dict[str, Any]:
    """Make a checkpoint, append it to the history and replace latest.json atomically."""
    cp = make(state)
    directory = state.config.checkpoint_dir
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = json.dumps(cp, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with open(directory / HISTORY, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp = directory / f".{LATEST}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, directory / LATEST)
    _fsync_dir(directory)
    return cp


def read(path: Path) -> dict[str, Any]:
    """A checkpoint held off the NVR: the JSON `recorder checkpoint --latest` prints, or what
    the department's Prometheus holds of `recorder_checkpoint_info` — a saved scrape (text
    exposition) or an HTTP API answer (`/api/v1/query?query=recorder_checkpoint_info{…}`),
    whose `checkpoint` label is the signed checkpoint itself. ValueError with a readable
    reason when it is none of these."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a checkpoint ({exc})") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        data = _from_exposition(text)
    if isinstance(data, dict) and data.get("kind") != KIND and "data" in data:
        data = _from_api(data)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ValueError(f"{path}: not a recorder checkpoint (nor a Prometheus scrape or API "
                         "answer holding recorder_checkpoint_info)")
    return data


def _embedded(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        return None


def _from_exposition(text: str) -> Any:
    """The checkpoint label of the last recorder_checkpoint_info sample of a scrape."""
    from prometheus_client.parser import text_string_to_metric_families

    found: Any = None
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "recorder_checkpoint_info":
                    found = _embedded(sample.labels.get("checkpoint")) or found
    except ValueError:
        return None
    return found


def _from_api(answer: dict[str, Any]) -> Any:
    """The newest checkpoint among the series of a Prometheus query answer."""
    result = (answer.get("data") or {}).get("result") or []
    found = [_embedded((series.get("metric") or {}).get("checkpoint"))
             for series in result if isinstance(series, dict)]
    found = [cp for cp in found if isinstance(cp, dict)]
    return max(found, key=lambda cp: float(cp.get("t", 0))) if found else None


def latest(directory: Path) -> dict[str, Any] | None:
    """The latest local checkpoint, or None if none was written yet."""
    path = directory / LATEST
    return read(path) if path.exists() else None


def check(state: State, cp: dict[str, Any], public: Ed25519PublicKey,
          origin: str) -> str | None:
    """Compare the chains with a checkpoint; the problem, or None when both still hold it."""
    sig = cp.get("sig")
    if not isinstance(sig, str) or not keys.verify_b64(public, _canonical(cp), sig):
        return (f"{origin}: bad signature (not made by this NVR's key, or altered): cannot "
                "vouch for the chains")
    for name in CHAINS:
        head = cp.get(name)
        if head is None:
            continue
        try:
            seq, digest = int(head["seq"]), str(head["hash"])
        except (KeyError, TypeError, ValueError):
            return f"{origin}: malformed {name} head"
        ledger: Ledger = getattr(state, name)
        problem = _holds(ledger, seq, digest)
        if problem:
            return (f"{name}: {problem} the {origin} of {cp.get('ts')} (seq {seq}): entries "
                    "were cut from its tail or the state was rolled back (JRN-2)")
    return None


def _holds(ledger: Ledger, seq: int, digest: str) -> str | None:
    first: int | None = None
    last = -1
    for entry in ledger.entries():
        n = int(entry["seq"])
        first = n if first is None else first
        last = n
        if n == seq:
            return None if entry["hash"] == digest else "entry differs from"
    if first is not None and seq < first:
        return None  # older than a JRN-2 prune: the anchor check covers the head
    return f"ends at seq {last}, below"
