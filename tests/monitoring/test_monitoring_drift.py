"""Drift of a commune firewall expects the monitoring host's peer beside the hub's: the peers
are read from a real WireGuard interface (wireguard-go, private network namespace) configured
with the rendered spoke file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from beffroi.drift.linux import _wireguard
from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.render import render_site

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("wireguard-go") is None or shutil.which("unshare") is None,
    reason="root, wireguard-go, unshare")


class _Dump:
    """The one fact `_wireguard` reads, captured from the real interface beforehand."""

    def __init__(self, dump: str) -> None:
        self.dump = dump

    def command(self, command: str) -> str:
        assert command.startswith("wg show wg-beffroi dump")
        return self.dump


def _live_dump(conf: str, tmp: Path) -> str:
    (tmp / "spoke.conf").write_text(conf)
    script = ("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f wg-beffroi "
              ">/dev/null 2>&1 & pid=$!; sleep 1; "
              f"wg setconf wg-beffroi {tmp}/spoke.conf && wg show wg-beffroi dump; rc=$?; "
              "kill $pid; wait $pid; exit $rc")
    done = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_drift_accepts_the_hub_and_the_monitoring_peer(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEFFROI_VAULT_PASSWORD_FILE", str(REPO / "lab" / "test-vault-password"))
    inv = load_inventory(REPO / "inventories" / "moselle")
    spoke = next(t for o, t in render_site(inv, "evrange", reveal_secrets=True).items()
                 if o.relpath.endswith("wg-beffroi.conf"))
    dump = _live_dump(spoke, tmp_path)
    ctx = site_intent(inv, "evrange").context()
    notes: list[str] = []
    rules: set[str] = set()
    _wireguard(_Dump(dump), ctx, notes, rules)  # type: ignore[arg-type]
    assert (notes, rules) == ([], set())
    without = {**ctx, "monitoring": None}  # an extra peer the intent does not declare: drift
    _wireguard(_Dump(dump), without, notes, rules)  # type: ignore[arg-type]
    assert rules == {"NET-2"} and "monitoring" in notes[0]
