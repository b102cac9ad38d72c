"""Dating the segments of one ffmpeg run from its CSV segment list (recorder/seglist.py): the
origin is the smallest upper bound (list mtime - stream end), never before the spawn, and the
first boundary is trusted only once a second one, written in real time, has confirmed it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recorder.seglist import SegmentList


def _append(path: Path, text: str, mtime: float) -> None:
    with open(path, "a") as fh:
        fh.write(text)
    os.utime(path, (mtime, mtime))


def test_first_boundary_waits_for_the_second_which_corrects_the_origin(tmp_path: Path) -> None:
    listed = SegmentList(tmp_path / "run.csv", spawned=1000.0)
    assert listed.closed() == []  # no list yet
    _append(listed.path, "cam1_a.ts,0.000000,2.000000\n", 1003.5)  # written 1.5 s late
    assert listed.closed() == []
    _append(listed.path, "cam1_b.ts,2.000000,4.000000\n", 1005.2)
    (a, b) = listed.closed()
    assert a[0] == "cam1_a.ts" and a[1:] == (pytest.approx(1001.2), pytest.approx(1003.2))
    assert b[0] == "cam1_b.ts" and b[1] == a[2] and b[2] == pytest.approx(1005.2)
    assert listed.closed() == []  # each segment is handed out once


def test_origin_is_never_before_the_spawn(tmp_path: Path) -> None:
    listed = SegmentList(tmp_path / "run.csv", spawned=1002.0)
    _append(listed.path, "cam1_a.ts,0.000000,2.000000\n", 1003.0)
    assert listed.closed(final=True) == [("cam1_a.ts", 1002.0, 1004.0)]


def test_a_line_still_being_written_is_read_later(tmp_path: Path) -> None:
    listed = SegmentList(tmp_path / "run.csv", spawned=1000.0)
    _append(listed.path, "cam1_a.ts,0.000000,2.000000\ncam1_b.ts,2.0", 1002.0)
    assert [name for name, _, _ in listed.closed(final=True)] == ["cam1_a.ts"]
    _append(listed.path, "00000,4.000000\n", 1004.0)
    assert [name for name, _, _ in listed.closed(final=True)] == ["cam1_b.ts"]
