"""Event sources of the NVR, each from what the recorder itself knows: camera state, gaps in
the index, disk headroom, the TIME-1 sync check, a probe in the tunnel, legal holds reaching
their review date, the register/journal chains — one event when a condition starts, one when
it ends, never a stream of repeats."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from event_peers import events_config
from recorder_harness import make_config, seed_segments

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


def _watcher(tmp_path: Path, cameras: tuple[str, ...] = ("cam1",),
             **table: Any) -> tuple[Watcher, _Collect, dict[str, Any]]:
    config = make_config(tmp_path, [(c, f"rtsp://127.0.0.1:9/{c}") for c in cameras],
                         width=768, height=576)
    events_config(config, [], **table)
    state = open_state(cfgmod.load(config))
    emitter = _Collect(state.config, state.journal)
    knobs: dict[str, Any] = {"status": "recording", "synced": True}
    watcher = Watcher(state, emitter, lambda: dict.fromkeys(cameras, knobs["status"]),
                      lambda: knobs["synced"])
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


def test_a_poll_reads_only_the_new_index_rows_however_long_the_history(tmp_path: Path) -> None:
    # issue 10 §5: the watcher polls every second; a scan of every camera's segments and gaps
    # per poll costs more each day of retention
    w, em, _ = _watcher(tmp_path, cameras=("cam1", "cam2"), tamper=True)
    idx = w.state.index
    t0 = timeutil.now() - 86400
    for i in range(300):
        for cam in ("cam1", "cam2"):
            idx.add_segment(cam, t0 + 60 * i, t0 + 60 * i + 60, f"{cam}/{i}.ts", 1, "0" * 64,
                            True, False, "old")
        if i % 10 == 0:
            idx.add_gap("cam1", t0 + 60 * i - 5, t0 + 60 * i, "no stream")
    w.poll()  # baseline
    idx.add_gap("cam2", t0 + 86000, t0 + 86010, "no stream")
    idx.add_segment("cam2", t0 + 86010, t0 + 86070, "cam2/new.ts", 1, "0" * 64, True, False,
                    "new")
    statements: list[str] = []
    idx._db.set_trace_callback(statements.append)
    try:
        w.poll()
    finally:
        idx._db.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT") and (" segments" in sql or " gaps" in sql):
            plans += [row[-1] for row in idx._db.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans, statements
    assert not [p for p in plans if p.startswith("SCAN") or "TEMP B-TREE" in p], plans
    assert [k for k in em.seen if k[0] == "recording_gap"] == [("recording_gap", True, "cam2")]


@pytest.fixture(scope="module")
def still_segment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("still") / "still.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "smptebars=size=768x576:rate=15", "-t", "3", "-c:v", "libx264", "-preset",
                    "ultrafast", "-bf", "0", "-g", "15", "-pix_fmt", "yuv420p", "-f", "mpegts",
                    str(path)], check=True)
    return path


def test_segments_of_every_camera_closed_on_one_boundary_share_one_decode(
        tmp_path: Path, still_segment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cams = ("cam1", "cam2", "cam3")
    w, em, _ = _watcher(tmp_path, cameras=cams, tamper=True)
    w.poll()  # baseline: no segment yet
    t = timeutil.now() - 60
    for cam in cams:  # each camera's first segment is its baseline
        seed_segments(w.state, cam, still_segment, [t], duration=3.0)
    w.poll()
    for cam in cams:
        seed_segments(w.state, cam, still_segment, [t + 3], duration=3.0)
    launched: list[str] = []
    real = subprocess.Popen

    def spy(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        launched.append(cmd[0])
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", spy)
    w.poll()
    assert launched.count("ffmpeg") == 1
    assert sorted(k for k in em.seen if k[0] == "stream_frozen") == [
        ("stream_frozen", True, c) for c in cams]
