"""Recording with real ffmpeg from real RTSP cameras on loopback: continuity across segment
boundaries, camera loss and return, kill -9 and repair, graceful stop, TIME-1 validity."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from recorder_harness import (
    RecorderProcess,
    RtspServer,
    api,
    cli,
    decode_errors,
    frame_pts,
    make_config,
    stream_info,
    wait_for,
)

from recorder import clock, config, timeutil
from recorder.index import Index, Segment
from recorder.metrics import Metrics
from recorder.repair import repair_unindexed
from recorder.state import open_state
from recorder.writer import SegmentWriter

FPS = 15
pytestmark = pytest.mark.slow


def _segments(conf: config.Config, camera: str) -> list[Segment]:
    idx = Index(conf.index_path)
    try:
        return idx.segments(camera, present_only=False)
    finally:
        idx.close()


def _runs(segs: list[Segment]) -> list[str]:
    return list(dict.fromkeys(s.run for s in segs))


def test_continuous_recording_across_segment_boundaries_has_no_missing_frames(
        tmp_path: Path, camera_server: RtspServer,
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    path = make_config(tmp_path, [("cam1", camera_server.url(1)), ("cam2", camera_server.url(2))],
                       segment_seconds=4)
    conf = config.load(path)
    started = time.time()
    rec = recorder_factory(path)
    assert wait_for(lambda: len(_segments(conf, "cam1")) >= 4, 40), "no segments recorded"
    assert rec.terminate() == 0  # graceful: ffmpeg closes the current segment, it is indexed
    segs = _segments(conf, "cam1")
    assert len(segs) >= 5  # >= 4 boundaries
    # every file ffmpeg wrote is indexed; no empty leftovers
    on_disk = sorted(str(p.relative_to(conf.storage_root))
                     for p in (conf.storage_root / "cam1").glob("*.ts"))
    assert on_disk == sorted(s.path for s in segs)
    # index: contiguous UTC ranges, starting when the recorder started
    assert started - 1 < segs[0].start < started + 5
    for a, b in pairwise(segs):
        assert b.start == pytest.approx(a.end, abs=1e-6)
    # CAM-4: UTC is right. ffmpeg cuts at the first keyframe (1 s GOP) after each wall-clock
    # multiple of segment_seconds, so every later start sits just after such a multiple.
    seg_len = conf.segment_seconds
    for seg in segs[1:]:
        assert -0.25 < seg.start - seg_len * round(seg.start / seg_len - 0.25) < 1.25, seg
    # frames: continuous presentation timestamps across every boundary, none missing
    pts: list[float] = []
    for seg in segs:
        pts += frame_pts(conf.storage_root / seg.path)
    # ffmpeg's RTSP demuxer leaves the very first packet of a connection without timestamp
    # (it gets the second one's, minus 11 us): count it, check regularity from the second on.
    deltas = [b - a for a, b in pairwise(pts[1:])]
    assert max(deltas) < 1.5 / FPS, f"missing frames: largest step {max(deltas):.3f}s"
    assert min(deltas) > 0.5 / FPS, "duplicated frames"
    assert len(pts) == round((pts[-1] - pts[1]) * FPS) + 2
    # recorded duration matches wall-clock range of the index
    recorded = sum(s.duration for s in segs)
    assert recorded == pytest.approx(len(pts) / FPS, abs=0.2)
    # CAM-1/CAM-3/CAM-6 on the stored files: resolution, real frame rate, video only
    for seg in segs[1:-1]:
        info = stream_info(conf.storage_root / seg.path)
        assert (info["codec_name"], info["width"], info["height"]) == ("h264", 1280, 720)
        assert info["avg_frame_rate"] == "15/1" and info["nb_streams"] == 1
    # REG-1 + CAM-4: a signed recording entry per segment with camera, location and UTC times
    st = open_state(conf)
    try:
        entries = {e["data"]["path"]: e["data"] for e in st.register.entries()
                   if e["kind"] == "recording"}
    finally:
        st.close()
    for seg in segs:
        entry = entries[seg.path]
        assert entry["camera"] == "cam1" and entry["location"] == "Test mast, cam1"
        assert entry["sha256"] == seg.sha256 and entry["valid"] is True
        assert entry["start"] == timeutil.iso(seg.start)
    assert not [g for g in Index(conf.index_path).gaps("cam1")]
    assert cli("verify", "--config", str(path)).returncode == 0


def test_camera_drop_and_restore_resumes_and_records_the_gap(
        tmp_path: Path, camera_server: RtspServer,
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    api_port = 0
    path = make_config(tmp_path, [("cam1", camera_server.url(1))])
    conf = config.load(path)
    api_port = conf.api_listen[1]
    rec = recorder_factory(path)
    assert wait_for(lambda: len(_segments(conf, "cam1")) >= 2, 20)
    camera_server.stop()
    dropped = time.time()
    time.sleep(4)
    camera_server.start()
    restored = time.time()
    assert wait_for(lambda: len(_runs(_segments(conf, "cam1"))) >= 2, 20), "did not resume"
    status, body = api(api_port, "GET", "/metrics")
    rec.terminate()
    segs = _segments(conf, "cam1")
    first_run = [s for s in segs if s.run == segs[0].run]
    second_run = [s for s in segs if s.run != segs[0].run]
    gaps = Index(conf.index_path).gaps("cam1")
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.start == pytest.approx(first_run[-1].end, abs=1e-6)
    assert gap.end == pytest.approx(second_run[0].start, abs=1e-6)
    assert dropped - 2.5 < gap.start <= dropped + 0.5  # the last frames before the drop
    assert restored - 0.5 < gap.end < restored + 5
    assert gap.end - gap.start >= 3.5
    # REG-1: the gap is in the register; metrics count it
    st = open_state(conf)
    try:
        reg = [e["data"] for e in st.register.entries() if e["kind"] == "recording_gap"]
    finally:
        st.close()
    assert len(reg) == 1 and reg[0]["camera"] == "cam1"
    assert status == 200 and b'recorder_gaps_total{camera="cam1"} 1.0' in body
    # the recording after the return plays
    assert decode_errors(conf.storage_root / second_run[0].path) == 0


def test_kill9_then_restart_repairs_index_and_partial_segment_plays(
        tmp_path: Path, camera_server: RtspServer,
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    path = make_config(tmp_path, [("cam1", camera_server.url(1))], segment_seconds=4)
    conf = config.load(path)
    rec = recorder_factory(path)
    assert wait_for(lambda: len(_segments(conf, "cam1")) >= 1, 20)
    time.sleep(2.5)  # mid-segment
    rec.kill9()  # recorder and its ffmpeg at once: nothing closes the segment
    killed = time.time()
    indexed = {s.path for s in _segments(conf, "cam1")}
    partial = [p for p in sorted((conf.storage_root / "cam1").glob("*.ts"))
               if str(p.relative_to(conf.storage_root)) not in indexed]
    assert len(partial) == 1 and partial[0].stat().st_size > 0
    copy = tmp_path / "partial-before-restart.ts"
    shutil.copyfile(partial[0], copy)
    # the torn MPEG-TS file plays as it is
    assert len(frame_pts(copy)) > FPS
    assert decode_errors(copy) <= 2  # at most the torn last packet
    rec2 = recorder_factory(path)
    assert wait_for(lambda: len(_runs(_segments(conf, "cam1"))) >= 2, 20)
    rec2.terminate()
    segs = _segments(conf, "cam1")
    repaired = [s for s in segs if s.repaired]
    assert [s.path for s in repaired] == [str(partial[0].relative_to(conf.storage_root))]
    assert repaired[0].duration > 1.0
    assert repaired[0].end < killed + 0.5
    # the loss is bounded: the repaired segment reaches close to the kill instant
    assert killed - repaired[0].end < 2.0
    # register intact, and every segment (including the repaired one) verifies
    res = cli("verify", "--config", str(path))
    assert res.returncode == 0, res.stderr
    assert Index(conf.index_path).gaps("cam1"), "the outage is recorded as a gap"


def test_segments_are_valid_only_with_a_synchronised_clock(tmp_path: Path,
                                                           small_segment: Path) -> None:
    """TIME-1: the pluggable sync check decides the valid flag of each indexed segment."""
    for kind, expected in (("never", False), ("always", True)):
        base = tmp_path / kind
        base.mkdir()
        conf = config.load(make_config(base, [("cam1", "rtsp://127.0.0.1:9/cam1")], sync=kind))
        cam_dir = conf.storage_root / "cam1"
        cam_dir.mkdir(parents=True)
        shutil.copyfile(small_segment, cam_dir / "cam1_20260101T000000Z-abc.ts")
        st = open_state(conf)
        try:
            writer = SegmentWriter(st, conf.camera("cam1"), clock.make(kind),
                                   Metrics(conf.storage_root))
            assert repair_unindexed(writer) == 1
            (seg,) = st.index.segments("cam1")
            assert seg.valid is expected and seg.repaired
            assert seg.duration == pytest.approx(2.0, abs=0.1)
        finally:
            st.close()
