"""Event sources of the NVR, each from what the recorder itself knows: camera state, gaps in
the index, disk headroom, the TIME-1 sync check, a probe in the tunnel, legal holds reaching
their review date, the register/journal chains — one event when a condition starts, one when
it ends, never a stream of repeats."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from event_peers import events_config
from recorder_harness import make_config

from recorder import config as cfgmod
from recorder import retention, timeutil
from recorder.events.router import Emitter
from recorder.events.sources import Watcher
from recorder.state import open_state


class _Collect(Emitter):
    """The real emitter (journal + spool), also keeping what it emitted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[tuple[str, bool, str | None]] = []

    def emit(self, event: Any) -> list[str]:
        self.seen.append((event.kind, event.data.active, event.source.camera))
        return super().emit(event)


def _watcher(tmp_path: Path, **table: Any) -> tuple[Watcher, _Collect, dict[str, Any]]:
    config = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")], width=768,
                         height=576)
    events_config(config, [], **table)
    state = open_state(cfgmod.load(config))
    emitter = _Collect(state.config, state.journal)
    knobs: dict[str, Any] = {"status": "recording", "synced": True}
    watcher = Watcher(state, emitter, lambda: {"cam1": knobs["status"]}, lambda: knobs["synced"])
    return watcher, emitter, knobs


def test_camera_down_then_back_once_each(tmp_path: Path) -> None:
    w, em, knobs = _watcher(tmp_path, down_after_seconds=0.0)
    w.poll()
    knobs["status"] = "backoff"
    for _ in range(5):
        w.poll()
    knobs["status"] = "recording"
    for _ in range(5):
        w.poll()
    assert [k for k in em.seen if k[0].startswith("camera")] == [
        ("camera_down", True, "cam1"), ("camera_back", False, "cam1")]


def test_clock_and_disk_conditions_start_and_end_once(tmp_path: Path) -> None:
    w, em, knobs = _watcher(tmp_path, disk_warn_percent=100.0)  # any disk is under 100 % free
    knobs["synced"] = False
    for _ in range(3):
        w.poll()
    knobs["synced"] = True
    w.poll()
    kinds = [(k, a) for k, a, _c in em.seen]
    assert kinds.count(("disk_low", True)) == 1
    assert kinds.count(("clock_unsynced", True)) == 1
    assert kinds.count(("clock_unsynced", False)) == 1


def test_a_recording_gap_in_the_index_is_an_event(tmp_path: Path) -> None:
    w, em, _ = _watcher(tmp_path)
    w.poll()  # baseline
    now = timeutil.now()
    w.state.index.add_gap("cam1", now - 12.5, now, "no stream")
    w.poll()
    w.poll()
    assert [k for k in em.seen if k[0] == "recording_gap"] == [("recording_gap", True, "cam1")]


def test_tunnel_down_when_the_probe_in_the_tunnel_stops_answering(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    w, em, _ = _watcher(tmp_path, tunnel_probe=f"127.0.0.1:{port}")
    w.poll()
    listener.close()
    w._next.clear()  # the probe runs every 10 s; look again now
    w.poll()
    assert ("tunnel_down", True, None) in em.seen


def test_a_legal_hold_near_its_review_date_is_announced_once(tmp_path: Path) -> None:
    w, em, _ = _watcher(tmp_path, hold_review_days=5, hold_warn_days=7)
    now = timeutil.now()
    retention.add_hold(w.state, "PV 2026/123", "cam1", now - 3600, now, "mdupont")
    w.poll()
    w._next.clear()
    w.poll()
    assert [k for k in em.seen if k[0] == "hold_ending"] == [("hold_ending", True, None)]


def test_a_broken_journal_chain_raises_verify_failed(tmp_path: Path) -> None:
    w, em, _ = _watcher(tmp_path)
    for user in ("mdupont", "pbernard"):
        w.state.journal.append("live_view", {"user": user, "camera": "cam1"})
    journal = next((tmp_path / "state" / "journal").glob("*.jsonl"))
    lines = journal.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["data"]["user"] = "someone-else"  # altered after the fact
    journal.write_text("\n".join([json.dumps(entry), *lines[1:]]) + "\n")
    w.poll()
    assert ("verify_failed", True, None) in em.seen
