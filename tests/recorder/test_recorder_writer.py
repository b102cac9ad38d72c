"""The segment writer on its own (no ffmpeg process supervised): a real segment file is sealed,
its gap and its recording registered (REG-1) before either is indexed, its validity decided by
the sync check (TIME-1); the startup repair writes through the very same path."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from recorder_harness import make_config

from recorder import config, ffmpeg, timeutil
from recorder.index import Index
from recorder.metrics import Metrics
from recorder.repair import repair_unindexed
from recorder.state import State, open_state, sha256_file
from recorder.writer import GAP_REASON, SegmentWriter

NAME_TS = "20260101T000000Z"


def _state(base: Path) -> State:
    base.mkdir(parents=True, exist_ok=True)
    return open_state(config.load(make_config(base, [("cam1", "rtsp://127.0.0.1:9/cam1")])))


def _writer(st: State, valid: bool = True) -> SegmentWriter:
    writer = SegmentWriter(st, st.config.camera("cam1"), lambda: valid,
                           Metrics(st.config.storage_root))
    writer.out_dir.mkdir(parents=True, exist_ok=True)
    return writer


def _place(writer: SegmentWriter, source: Path, ts: str, run: str) -> Path:
    path = writer.out_dir / f"cam1_{ts}-{run}.ts"
    shutil.copyfile(source, path)
    return path


def _registered(st: State) -> list[tuple[str, dict[str, Any]]]:
    return [(e["kind"], e["data"]) for e in st.register.entries()
            if e["kind"] in ("recording", "recording_gap")]


def _indexed(st: State) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    segs = [(s.camera, s.start, s.end, s.path, s.size, s.sha256, s.valid, s.repaired, s.run)
            for s in st.index.segments("cam1", present_only=False)]
    gaps = [(g.camera, g.start, g.end, g.reason) for g in st.index.gaps("cam1")]
    return segs, gaps


def test_writer_registers_before_indexing(tmp_path: Path, small_segment: Path) -> None:
    """REG-1: when the index cannot take the rows, the gap and the recording are already
    signed in the register; nothing is indexed without its entry."""
    st = _state(tmp_path)
    try:
        writer = _writer(st)
        t0 = timeutil.now() - 600
        first = writer.write(_place(writer, small_segment, "20260101T000000Z", "a"), t0, t0 + 2,
                             "a", repaired=False)
        later = _place(writer, small_segment, "20260101T000100Z", "b")
        st.index.close()  # the index refuses every write from here on
        with pytest.raises(sqlite3.ProgrammingError):
            writer.write(later, t0 + 60, t0 + 62, "b", repaired=False)
        kinds = [(k, d.get("path")) for k, d in _registered(st)]
        assert kinds == [("recording", first.path), ("recording_gap", None),
                         ("recording", str(later.relative_to(st.config.storage_root)))]
        gap = _registered(st)[1][1]
        assert gap["start"] == timeutil.iso(t0 + 2) and gap["end"] == timeutil.iso(t0 + 60)
        index = Index(st.config.index_path)
        try:
            assert [s.path for s in index.segments("cam1")] == [first.path]
            assert index.gaps("cam1") == []
        finally:
            index.close()
    finally:
        st.close()


def test_writer_seals_and_marks_validity_from_the_sync_check(tmp_path: Path,
                                                             small_segment: Path) -> None:
    """TIME-1: the valid flag is the sync check's answer, in the index and the register; the
    hash and size are those of the bytes on disk."""
    for valid in (True, False):
        st = _state(tmp_path / str(valid))
        try:
            writer = _writer(st, valid)
            path = _place(writer, small_segment, NAME_TS, "v")
            t0 = timeutil.now() - 60
            seg = writer.write(path, t0, t0 + 2, "v", repaired=False)
            assert seg.valid is valid and not seg.repaired
            assert seg.sha256 == sha256_file(small_segment) and seg.size == path.stat().st_size
            ((kind, data),) = _registered(st)
            assert kind == "recording" and data["valid"] is valid
            assert data["sha256"] == seg.sha256 and data["location"] == "Test mast, cam1"
        finally:
            st.close()


def test_writer_records_a_gap_but_not_jitter(tmp_path: Path, small_segment: Path) -> None:
    """Less than GAP_TOLERANCE between two segments is jitter; more is a registered, indexed
    gap that runs exactly from the previous end to the next start."""
    st = _state(tmp_path)
    try:
        writer = _writer(st)
        t0 = timeutil.now() - 600
        for i, start in enumerate((t0, t0 + 2.3, t0 + 30)):
            path = _place(writer, small_segment, f"20260101T0000{i:02d}Z", "g")
            writer.write(path, start, start + 2, "g", repaired=False)
        _, gaps = _indexed(st)
        ((cam, g_start, g_end, reason),) = gaps
        assert cam == "cam1" and reason == GAP_REASON
        assert (g_start, g_end) == (pytest.approx(t0 + 4.3), pytest.approx(t0 + 30))
        assert [k for k, _ in _registered(st)] == ["recording", "recording",
                                                    "recording_gap", "recording"]
    finally:
        st.close()


def test_repair_uses_the_same_writer(tmp_path: Path, small_segment: Path) -> None:
    """A file left behind by a crash is repaired into exactly the register entries and index
    rows a live write of it gives, and the writer the repair used goes on from its end (the
    live recorder that inherits it sees no false gap)."""
    live = _state(tmp_path / "live")
    repaired = _state(tmp_path / "repaired")
    try:
        start = timeutil.parse_compact(NAME_TS)
        live_writer = _writer(live)
        path = _place(live_writer, small_segment, NAME_TS, "r")
        duration = ffmpeg.probe_duration(path) or 0.0
        assert duration > 1.0
        live_writer.write(path, start, start + duration, "r", repaired=True)

        writer = _writer(repaired)
        _place(writer, small_segment, NAME_TS, "r")
        assert repair_unindexed(writer) == 1
        assert _registered(repaired) == _registered(live)
        assert _indexed(repaired) == _indexed(live)

        assert writer.last_end == pytest.approx(start + duration)
        after = _place(writer, small_segment, "20260101T000002Z", "s")
        writer.write(after, start + duration, start + duration + 2, "s", repaired=False)
        assert _indexed(repaired)[1] == []  # continuous: no gap after the repaired segment
    finally:
        live.close()
        repaired.close()
